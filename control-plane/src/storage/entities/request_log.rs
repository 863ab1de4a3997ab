//! One MCP call, as the request log keeps it.

use sea_orm::entity::prelude::*;

/// A row of `request_log`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_log")]
pub struct Model {
    /// Increasing id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When the call finished.
    pub at: DateTimeUtc,
    /// The runtime process that served it.
    pub instance_id: String,
    /// The release that served it.
    pub release: i64,
    /// `tool`, `resource` or `prompt`.
    pub subject: String,
    /// Manifest name.
    pub name: String,
    /// `token:<id>` or `anonymous`.
    pub client: String,
    /// Whole duration, µs.
    pub duration_us: i64,
    /// Of which queue wait, µs.
    pub queue_wait_us: i64,
    /// Of which database time, µs.
    pub db_us: i64,
    /// Rows returned.
    pub rows: i64,
    /// Result bytes returned.
    pub bytes: i64,
    /// The error class; null when it succeeded.
    pub error_class: Option<String>,
    /// Arguments (sensitive ones redacted), JSON.
    pub arguments: String,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
