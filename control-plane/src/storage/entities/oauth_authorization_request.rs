//! A pending authorization request, then its authorization code.

use sea_orm::entity::prelude::*;

/// A row of `oauth_authorization_requests`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_authorization_requests")]
pub struct Model {
    /// Random id; the consent page's handle on the request.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The client's `client_id` (registered, or a metadata document URL).
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Requested scopes (JSON list).
    pub scopes: Json,
    /// The client's `state`, returned as given.
    pub state: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The resource (RFC 8707) the token is for.
    pub resource: String,
    /// Keyed hash of the browser-binding cookie set at `/oauth/authorize`.
    pub browser_hash: String,
    /// The signed-in user's identity once known (JSON: subject, claims, scopes).
    pub identity: Option<Json>,
    /// The `state` sent to the upstream provider.
    pub upstream_state: Option<String>,
    /// The `nonce` sent to the upstream provider.
    pub upstream_nonce: Option<String>,
    /// The PKCE verifier for the upstream provider.
    pub upstream_verifier: Option<String>,
    /// Keyed hash of the issued code.
    pub code_hash: Option<String>,
    /// The grant the code issued.
    pub grant_id: Option<String>,
    /// Whether the code was redeemed.
    pub code_used: bool,
    /// When the request arrived.
    pub created_at: DateTimeUtc,
    /// When the request (or its code) expires.
    pub expires_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
