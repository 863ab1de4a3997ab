//! The one row of server settings that go into every release.

use sea_orm::entity::prelude::*;

/// A row of `server_config` (always id 1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "server_config")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// `ServerSettings` as JSON.
    pub settings: Json,
    /// MCP bearer tokens (`Vec<StoredToken>`): keyed hashes, never the tokens.
    pub tokens: Json,
    /// The settings' secrets, encrypted with the store key (`SettingsSecrets`; added by `migration_mcp_oauth`).
    pub secrets: Option<Json>,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
