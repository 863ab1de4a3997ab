//! Pending logins: the password was right, the second factor is still due.

use sea_orm::entity::prelude::*;

/// A row of `login_challenges`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_challenges")]
pub struct Model {
    /// Hex SHA-256 of the pending token (the token itself is never stored).
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The admin whose password was verified.
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
