//! Calls of all instances in one hour, per subject and connection (the rollup).

use sea_orm::entity::prelude::*;

/// A row of `metric_hours`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "metric_hours")]
pub struct Model {
    /// Start of the hour, Unix seconds.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: i64,
    /// Tool, resource or prompt (`tool`, `resource`, `prompt`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// Its manifest name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The connection it ran on (empty for prompts).
    #[sea_orm(primary_key, auto_increment = false)]
    pub connection_id: String,
    /// Calls finished.
    pub calls: i64,
    /// Of which failed.
    pub error_count: i64,
    /// Failed calls by class, a JSON object.
    pub errors: String,
    /// Answered from the cache.
    pub cache_hits: i64,
    /// Rows returned, summed.
    pub rows: i64,
    /// Result bytes returned, summed.
    pub bytes: i64,
    /// Latency sketch, `index:count,…`.
    pub latency: String,
    /// Start of the latest minute with a call, Unix seconds.
    pub last_called: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
