//! An agent token: its keyed hash, scopes and expiry.

use sea_orm::entity::prelude::*;

/// A row of `agent_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_tokens")]
pub struct Model {
    /// Stable id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The admin's label.
    pub name: String,
    /// The token's first characters.
    pub prefix: String,
    /// HMAC-SHA256 of the token under `agent.key`, hex.
    pub token_hash: String,
    /// The scopes, a JSON list of names.
    pub scopes: Json,
    /// When it stops working.
    pub expires_at: DateTimeUtc,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it last authenticated a request.
    pub last_used_at: Option<DateTimeUtc>,
    /// The client address of that request.
    pub last_used_from: Option<String>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
