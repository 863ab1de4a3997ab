//! The latest queue state of one connection as one instance reported it.

use sea_orm::entity::prelude::*;

/// A row of `queue_snapshots`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_snapshots")]
pub struct Model {
    /// The reporting runtime process.
    #[sea_orm(primary_key, auto_increment = false)]
    pub instance_id: String,
    /// The connection.
    #[sea_orm(primary_key, auto_increment = false)]
    pub connection_id: String,
    /// The `QueueSnapshot` as JSON.
    pub body: String,
    /// When it arrived.
    pub received_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
