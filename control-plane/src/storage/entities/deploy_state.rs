//! What should be running: the active release and whether the admin stopped it.

use sea_orm::entity::prelude::*;

/// A row of `deploy_state` (always id 1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deploy_state")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// The release runtimes should serve, if any was deployed.
    pub active_release: Option<i64>,
    /// Set by `POST /deploy/stop`, cleared by the next deploy.
    pub stopped: bool,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
