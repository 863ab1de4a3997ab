//! The authorization server's settings: one row.

use sea_orm::entity::prelude::*;

/// The row of `authorization_server_config` (id 1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_server_config")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The settings without the upstream client secret (JSON).
    pub settings: Json,
    /// The upstream provider's client secret, sealed with the store key.
    pub upstream_client_secret: Option<String>,
    /// When it last changed.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
