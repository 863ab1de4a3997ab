//! Quarry as an OAuth 2.0 authorization server for its agent MCP endpoint:
//! the client-credentials grant for OAuth clients (`/api/v1/oauth-clients`),
//! short-lived EdDSA-signed JWT access tokens whose audience is `/agent/mcp`,
//! RFC 8414 metadata, a JWKS with key rotation, and RFC 7662 introspection.
//! `agent::credential` turns a presented access token into a credential.
//!
//! For MCP clients of the runtimes (when switched on in its settings): the
//! authorization code grant with PKCE and a consent page (`authorize.rs`),
//! clients identified by a Client ID Metadata Document or registered through
//! RFC 7591 (`clients.rs`), refresh tokens with rotation and revocation
//! (`grants.rs`), sign-in through an upstream OpenID Connect provider
//! (`upstream.rs`), and access tokens for the runtime's MCP URL that carry the
//! user's identity claims (`user_token.rs`).

pub mod access_token;
pub mod authorize;
pub mod clients;
pub mod grants;
pub mod http;
pub mod keys;
pub mod settings;
pub mod upstream;
pub mod user_token;

use crate::app::AppState;
use crate::auth::ratelimit::LoginLimiter;

/// Default lifetime of an access token, seconds (`QUARRY_OAUTH_TOKEN_TTL_SECONDS`).
pub const DEFAULT_TOKEN_TTL_SECONDS: u32 = 900;
/// Longest an access token may be configured to live, seconds.
pub const MAX_TOKEN_TTL_SECONDS: u32 = 86_400;

/// What the authorization server needs at run time.
pub struct OAuthServer {
    /// The signing keys (current and previous).
    pub keys: std::sync::Arc<keys::SigningKeys>,
    /// Failed client authentications per (client address, `client_id`): five in
    /// fifteen minutes lock that pair out, as failed logins do.
    pub failures: LoginLimiter,
    /// Lifetime of an access token, seconds.
    pub token_ttl_seconds: u32,
    /// Fetched Client ID Metadata Documents.
    pub client_documents: clients::DocumentCache,
    /// Dynamic registrations per client address and minute.
    pub registrations: crate::agent::limit::RateLimiter,
}

impl OAuthServer {
    /// Loads (or generates) the signing keys in `data_dir`.
    pub fn load(
        data_dir: &std::path::Path,
        token_ttl_seconds: u32,
        allow_loopback_clients: bool,
    ) -> anyhow::Result<OAuthServer> {
        Ok(OAuthServer {
            keys: std::sync::Arc::new(keys::SigningKeys::load_or_generate(data_dir)?),
            failures: LoginLimiter::default(),
            token_ttl_seconds,
            client_documents: clients::DocumentCache::new(allow_loopback_clients),
            registrations: crate::agent::limit::RateLimiter::new(grants::REGISTRATIONS_PER_MINUTE),
        })
    }

    /// How long a key stays in the JWKS after it stops signing: the longest a
    /// token it signed can live, plus the verification leeway.
    pub fn keep_retired_for(token_ttl_seconds: u32) -> chrono::Duration {
        chrono::Duration::seconds(i64::from(token_ttl_seconds) + access_token::LEEWAY_SECONDS as i64)
    }
}

/// The issuer and audience of this control plane's tokens, from
/// `QUARRY_PUBLIC_URL` (never from a request's `Host`).
pub fn realm(s: &AppState) -> access_token::Realm {
    let issuer = issuer(&s.config);
    access_token::Realm { audience: format!("{issuer}{}", crate::agent::PATH), issuer }
}

/// The `iss` of this control plane's tokens: `QUARRY_PUBLIC_URL` without a trailing slash.
pub fn issuer(config: &crate::config::Config) -> String {
    config.public_url.trim_end_matches('/').to_string()
}
