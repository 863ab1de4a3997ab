//! A refresh token: its keyed hash, its grant, whether it was used.

use sea_orm::entity::prelude::*;

/// A row of `oauth_refresh_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_refresh_tokens")]
pub struct Model {
    /// HMAC-SHA256 of the token under `agent.key`, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The grant (the token family).
    pub grant_id: String,
    /// Whether it was exchanged (rotated).
    pub used: bool,
    /// When it was issued.
    pub created_at: DateTimeUtc,
    /// When it expires.
    pub expires_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
