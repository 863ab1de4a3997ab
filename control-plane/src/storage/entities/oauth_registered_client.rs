//! A client registered through RFC 7591 dynamic registration.

use sea_orm::entity::prelude::*;

/// A row of `oauth_registered_clients`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_registered_clients")]
pub struct Model {
    /// The issued `client_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// The client's name, as it registered.
    pub client_name: String,
    /// Its redirect URIs (JSON list), matched exactly.
    pub redirect_uris: Json,
    /// When it registered.
    pub created_at: DateTimeUtc,
    /// The address it registered from.
    pub created_from: Option<String>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
