//! Server-side session records: a signed cookie is only valid while its row exists.

use sea_orm::entity::prelude::*;

/// A row of `sessions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Session id, carried in the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The admin it belongs to.
    pub admin_id: String,
    /// When it stops being valid.
    pub expires_at: DateTimeUtc,
    /// When it was issued.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
