//! Unused recovery codes, by SHA-256 hash; a used code's row is deleted.

use sea_orm::entity::prelude::*;

/// A row of `recovery_codes`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "recovery_codes")]
pub struct Model {
    /// Hex SHA-256 of the normalised code.
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    /// The admin it belongs to.
    pub admin_id: String,
    /// When it was issued.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
