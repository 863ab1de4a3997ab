//! Each delivering runtime process: the last delivery applied and what it dropped.

use sea_orm::entity::prelude::*;

/// A row of `telemetry_instances`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "telemetry_instances")]
pub struct Model {
    /// The process's id (heartbeat name + random suffix).
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: String,
    /// The last delivery number applied.
    pub last_sequence: i64,
    /// The release it served at that delivery.
    pub release: i64,
    /// Request-log records it dropped (buffer full), since it started.
    pub dropped_records: i64,
    /// Metric deltas it dropped, since it started.
    pub dropped_deltas: i64,
    /// When its last delivery arrived.
    pub last_seen: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
