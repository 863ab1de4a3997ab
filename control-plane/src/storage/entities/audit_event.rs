//! The audit trail: logins, failed logins, deploys, stops, release
//! redeploys, token creation and revocation, history rollbacks.

use sea_orm::entity::prelude::*;

/// A row of `audit_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// Increasing id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What happened, e.g. `login`, `login_failed`, `deploy`.
    pub event: String,
    /// Who: `admin:<id>`, `visitor`, `system`.
    pub actor: String,
    /// The client address, when known.
    pub address: Option<String>,
    /// The client's `User-Agent`, when known.
    pub user_agent: Option<String>,
    /// Details of the event (never a secret).
    pub detail: Json,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
