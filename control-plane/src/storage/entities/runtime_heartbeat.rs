//! The last word of each runtime instance that pulls releases.

use sea_orm::entity::prelude::*;

/// A row of `runtime_heartbeats`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runtime_heartbeats")]
pub struct Model {
    /// Chosen by the runtime (pod name or random), ≤ 64 characters.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: String,
    /// The runtime's version.
    pub runtime_version: String,
    /// The release it serves, if any.
    pub release: Option<i64>,
    /// `running` or `error`.
    pub status: String,
    /// Why, for `error` (a refused release).
    pub message: String,
    /// When it was last heard from.
    pub last_seen: DateTimeUtc,
    /// The connections that did not answer its latest health probe (a JSON array of ids).
    pub connections_down: Option<String>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
