//! An OAuth client: its public id, the keyed hash of its secret and its allowed scopes.

use sea_orm::entity::prelude::*;

/// A row of `oauth_clients`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    /// Stable id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The admin's label.
    pub name: String,
    /// The public client identifier.
    pub client_id: String,
    /// HMAC-SHA256 of the secret under `agent.key`, hex.
    pub secret_hash: String,
    /// The allowed scopes, a JSON list of names.
    pub scopes: Json,
    /// When it was created.
    pub created_at: DateTimeUtc,
    /// When it last obtained or used an access token.
    pub last_used_at: Option<DateTimeUtc>,
    /// The client address of that request.
    pub last_used_from: Option<String>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
