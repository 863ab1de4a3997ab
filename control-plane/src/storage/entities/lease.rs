//! A lease on a once-per-installation background job.

use sea_orm::entity::prelude::*;

/// A row of `leases`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leases")]
pub struct Model {
    /// The job, e.g. `telemetry-compaction`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The control-plane process holding it.
    pub holder: String,
    /// When it lapses unless renewed (Unix seconds).
    pub expires_at: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
