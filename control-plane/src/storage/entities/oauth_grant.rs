//! What a user allowed a client.

use sea_orm::entity::prelude::*;

/// A row of `oauth_grants`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_grants")]
pub struct Model {
    /// Stable id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The user's subject.
    pub subject: String,
    /// The user's email, when known.
    pub email: Option<String>,
    /// Identity claims copied into access tokens (JSON object).
    pub identity: Json,
    /// The client's `client_id`.
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// Granted scopes (JSON list).
    pub scopes: Json,
    /// The resource the tokens are for.
    pub resource: String,
    /// When it was granted.
    pub created_at: DateTimeUtc,
    /// When a token was last issued under it.
    pub last_used_at: Option<DateTimeUtc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTimeUtc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
