//! One agent tool call, as the activity log keeps it.

use sea_orm::entity::prelude::*;

/// A row of `agent_activity`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "agent_activity")]
pub struct Model {
    /// Increasing id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the call finished.
    pub at: DateTimeUtc,
    /// The credential's id.
    pub credential_id: String,
    /// The credential's name when it called.
    pub credential_name: String,
    /// The agent tool called.
    pub tool: String,
    /// Its arguments (secret-named ones redacted), JSON.
    pub arguments: String,
    /// `ok`, `error`, `refused` (missing scope) or `rate_limited`.
    pub outcome: String,
    /// The error's `detail`, when it failed.
    pub detail: Option<String>,
    /// Duration, µs.
    pub duration_us: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
