//! The admin's TOTP secret (sealed) and whether two-factor login is on.

use sea_orm::entity::prelude::*;

/// A row of `admin_totp`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_totp")]
pub struct Model {
    /// The admin it belongs to.
    #[sea_orm(primary_key, auto_increment = false)]
    pub admin_id: String,
    /// The base32 secret, encrypted with the store keyring.
    pub secret_encrypted: String,
    /// False between setup and its verification.
    pub enabled: bool,
    /// The last accepted time step; a code of this step or older is refused.
    pub last_step: Option<i64>,
    /// Creation time.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
