//! Client authentication for `/mcp`, `/metrics` and `/internal/stats`:
//! `none`; bearer tokens checked against keyed hashes (HMAC-SHA256, a
//! couple of microseconds) in constant time; or `oauth`, the runtime as an
//! OAuth 2.1 resource server ([`oauth`]: JWT access tokens from trusted
//! issuers, per-entity scopes ([`scopes`]), RFC 9728 metadata).
//!
//! Where the rule comes from ([`Access`]): with a manifest file, the release's
//! `auth` section; in pull mode, the control plane's access document
//! (`pull::spawn_follow_access`), which replaces the rule at once without a
//! reload and outranks whatever `auth` an (older, rolled-back) release
//! carries. Until the first access document arrives a pulling runtime admits
//! no one. Each accepted token's latest use (time, client IP) is remembered
//! ([`TokenUses`], bounded) and reported in heartbeats.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use shared_model::manifest::AuthSettings;
use shared_model::protocol::{MAX_TOKEN_USES, TokenUse};
use shared_model::token::{TokenHasher, parse_hex_digest};
use subtle::ConstantTimeEq;

use crate::server::Shared;

pub mod introspect;
pub mod oauth;
pub mod scopes;
pub mod token_cache;

pub use oauth::{OAuthRule, Principal};

/// The compiled auth rule of one release.
#[derive(Debug, Clone)]
pub enum AuthCheck {
    /// Anyone may call.
    Open,
    /// A bearer token whose hash is listed is required.
    Bearer {
        /// Hashes presented tokens (boxed: it carries the whole keyed hasher state).
        hasher: Box<TokenHasher>,
        /// Accepted token digests.
        digests: Vec<[u8; 32]>,
        /// The tokens' ids, in the order of `digests`.
        ids: Vec<String>,
    },
    /// An OAuth access token for this resource is required.
    OAuth(Arc<OAuthRule>),
    /// No one may call (a pulling runtime that has not yet heard who may).
    Closed,
}

/// Who a request was let in as (a request extension; absent when auth is
/// off): `token:<id>` for a bearer token, `sub:<subject>` for an OAuth token.
/// The request log names clients by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(pub String);

/// What [`AuthCheck::check`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Open access: nothing to check.
    Open,
    /// The token with this id matched.
    Token(String),
    /// An OAuth access token was accepted.
    Principal(Arc<Principal>),
    /// Refused: no token, or a bearer token that is not listed.
    Denied,
    /// Refused: an OAuth token was presented and failed this check.
    InvalidToken(String),
}

impl AuthCheck {
    /// Compiles the manifest's auth settings; bearer mode needs the runtime key.
    pub fn build(settings: &AuthSettings, runtime_key: Option<&str>) -> Result<AuthCheck, String> {
        AuthCheck::build_after(settings, runtime_key, None)
    }

    /// Like [`AuthCheck::build`], keeping what `previous` learnt (the JWKS
    /// fetched from each unchanged issuer) so a reload or a new access
    /// document does not fetch every key set again.
    pub fn build_after(
        settings: &AuthSettings,
        runtime_key: Option<&str>,
        previous: Option<&AuthCheck>,
    ) -> Result<AuthCheck, String> {
        match settings {
            AuthSettings::None => Ok(AuthCheck::Open),
            AuthSettings::Bearer { tokens } => {
                let key = runtime_key.ok_or("bearer auth needs QUARRY_RUNTIME_KEY to check tokens")?;
                let hasher = TokenHasher::from_runtime_key(key).map_err(|e| format!("QUARRY_RUNTIME_KEY: {e}"))?;
                let digests = tokens
                    .iter()
                    .map(|t| parse_hex_digest(&t.hash).ok_or_else(|| format!("token {} has a malformed hash", t.id)))
                    .collect::<Result<_, _>>()?;
                let ids = tokens.iter().map(|t| t.id.chars().take(64).collect()).collect();
                Ok(AuthCheck::Bearer { hasher: Box::new(hasher), digests, ids })
            }
            AuthSettings::Oauth(o) => {
                let before = match previous {
                    Some(AuthCheck::OAuth(rule)) => Some(rule.as_ref()),
                    _ => None,
                };
                Ok(AuthCheck::OAuth(Arc::new(OAuthRule::build(o, runtime_key, before)?)))
            }
        }
    }

    /// Decides on a request with this `Authorization` header.
    pub async fn check(&self, authorization: Option<&HeaderValue>) -> Verdict {
        let token = authorization.and_then(|h| h.to_str().ok()).and_then(bearer_token);
        let (hasher, digests, ids) = match self {
            AuthCheck::Open => return Verdict::Open,
            AuthCheck::Closed => return Verdict::Denied,
            AuthCheck::OAuth(rule) => {
                let Some(token) = token else { return Verdict::Denied };
                return match rule.check(token).await {
                    Ok(p) => Verdict::Principal(p),
                    Err(why) => Verdict::InvalidToken(why),
                };
            }
            AuthCheck::Bearer { hasher, digests, ids } => (hasher, digests, ids),
        };
        let Some(token) = token else {
            return Verdict::Denied;
        };
        let presented = hasher.digest(token);
        // Compare against every digest without an early exit: the time taken
        // says nothing about how close a guess came.
        let mut found = None;
        for (i, d) in digests.iter().enumerate() {
            if bool::from(presented.ct_eq(d)) {
                found = Some(i);
            }
        }
        found.map_or(Verdict::Denied, |i| Verdict::Token(ids[i].clone()))
    }

    /// Whether a request with this `Authorization` header may pass.
    pub async fn allows(&self, authorization: Option<&HeaderValue>) -> bool {
        !matches!(self.check(authorization).await, Verdict::Denied | Verdict::InvalidToken(_))
    }

    /// The OAuth rule, in oauth mode.
    pub fn oauth(&self) -> Option<&Arc<OAuthRule>> {
        match self {
            AuthCheck::OAuth(rule) => Some(rule),
            _ => None,
        }
    }
}

/// Where the auth rule of a runtime comes from.
#[derive(Debug, Clone)]
pub enum Access {
    /// The current release's `auth` section (manifest-file mode).
    FromRelease,
    /// The control plane's latest access document (pull mode); it outranks the release.
    Pulled(Arc<AuthCheck>),
}

/// The latest use of each accepted token, bounded by [`MAX_TOKEN_USES`]
/// (a new id beyond it replaces the least recently used one).
#[derive(Debug, Default)]
pub struct TokenUses(Mutex<HashMap<String, TokenUse>>);

impl TokenUses {
    /// Records that token `id` was accepted from `address` now.
    pub fn record(&self, id: &str, address: Option<std::net::IpAddr>) {
        let mut uses = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if uses.len() >= MAX_TOKEN_USES
            && !uses.contains_key(id)
            && let Some(oldest) = uses.values().min_by_key(|u| u.last_used_at).map(|u| u.id.clone())
        {
            uses.remove(&oldest);
        }
        let address = address.map(|a| a.to_string()).unwrap_or_default();
        uses.insert(id.to_string(), TokenUse { id: id.to_string(), last_used_at: Utc::now(), address });
    }

    /// Every recorded use, sorted by id.
    pub fn snapshot(&self) -> Vec<TokenUse> {
        let uses = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<TokenUse> = uses.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// The request, marked with who made it ([`ClientId`], and the OAuth
/// [`Principal`]) when the current rule allows it; else 401 with
/// `WWW-Authenticate: Bearer`, or in oauth mode 403 `insufficient_scope` for
/// an MCP call the token's scopes do not cover ([`scopes::check_call`]).
pub async fn authorize(shared: &Shared, mut req: Request) -> Result<Request, Response> {
    let rule = shared.auth_rule();
    let verdict = rule.check(req.headers().get(header::AUTHORIZATION)).await;
    match verdict {
        Verdict::Open => Ok(req),
        Verdict::Token(id) => {
            let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            shared.token_uses.record(&id, peer);
            req.extensions_mut().insert(ClientId(format!("token:{id}")));
            Ok(req)
        }
        Verdict::Principal(principal) => {
            let Some(oauth) = rule.oauth() else { return Ok(req) };
            let mut req = scopes::check_call(shared, oauth, &principal, req).await?;
            req.extensions_mut().insert(ClientId(format!("sub:{}", principal.subject)));
            req.extensions_mut().insert(principal);
            Ok(req)
        }
        Verdict::Denied | Verdict::InvalidToken(_) => {
            let presented = req.headers().contains_key(header::AUTHORIZATION);
            let why = match &verdict {
                Verdict::InvalidToken(why) => why.clone(),
                _ if presented => "the bearer token is not valid here".to_string(),
                _ => "a valid bearer token is required".to_string(),
            };
            if let Verdict::InvalidToken(why) = &verdict {
                tracing::info!(reason = %why, path = %req.uri().path(), "Refused an access token.");
            }
            let challenge = match rule.oauth() {
                Some(oauth) => oauth.challenge(presented.then_some(why.as_str())),
                None if presented => r#"Bearer realm="quarry", error="invalid_token""#.to_string(),
                None => r#"Bearer realm="quarry""#.to_string(),
            };
            let error = if presented { "invalid_token" } else { "unauthorized" };
            let body = axum::Json(serde_json::json!({"error": error, "error_description": why}));
            let mut res = (StatusCode::UNAUTHORIZED, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            Err(res)
        }
    }
}

/// An HTTPS client trusting the Mozilla roots over ring (independent of any
/// process-wide rustls provider) that follows no redirects.
pub(crate) fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, String> {
    crate::jwt::keys::https_client(timeout)
}

/// `GET /.well-known/oauth-protected-resource[/<resource path>]`: the RFC 9728
/// metadata in oauth mode (public), 404 otherwise.
pub async fn protected_resource_metadata(State(shared): State<Arc<Shared>>, uri: axum::http::Uri) -> Response {
    let rule = shared.auth_rule();
    let Some(oauth) = rule.oauth() else {
        let body = serde_json::json!({"error": "not_found", "error_description": "this server does not use OAuth"});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    };
    // Served at the root and at the resource's own path; any other path is not ours.
    let expected = oauth.metadata_url();
    let path = uri.path();
    if path != "/.well-known/oauth-protected-resource" && !expected.ends_with(path) {
        let body =
            serde_json::json!({"error": "not_found", "error_description": format!("the metadata is at {expected}")});
        return (StatusCode::NOT_FOUND, axum::Json(body)).into_response();
    }
    let release = shared.current();
    let m = &release.manifest;
    let entity_scopes = m
        .tools
        .iter()
        .flat_map(|t| t.scopes.iter())
        .chain(m.resources.iter().flat_map(|r| r.scopes.iter()))
        .chain(m.prompts.iter().flat_map(|p| p.scopes.iter()))
        .cloned();
    let doc = oauth.metadata(&m.server.name, entity_scopes);
    ([(header::CACHE_CONTROL, "public, max-age=60")], axum::Json(doc)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_model::manifest::BearerToken;
    use shared_model::secret::Keyring;

    #[tokio::test]
    async fn bearer_mode_accepts_only_listed_tokens() {
        let key = Keyring::generate_key();
        let hash = TokenHasher::from_runtime_key(&key).unwrap().hash_hex("good-token");
        let settings = AuthSettings::Bearer { tokens: vec![BearerToken { id: "t".into(), hash }] };
        let check = AuthCheck::build(&settings, Some(&key)).unwrap();
        let hv = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(check.check(Some(&hv("Bearer good-token"))).await, Verdict::Token("t".into()));
        assert!(!AuthCheck::Closed.allows(Some(&hv("Bearer good-token"))).await);
        assert!(check.allows(Some(&hv("Bearer good-token"))).await);
        assert!(check.allows(Some(&hv("bearer good-token"))).await);
        assert!(!check.allows(Some(&hv("Bearer bad-token"))).await);
        assert!(!check.allows(Some(&hv("Basic good-token"))).await);
        assert!(!check.allows(None).await);
        assert!(AuthCheck::build(&settings, None).is_err());
        assert!(AuthCheck::Open.allows(None).await);
    }

    #[test]
    fn token_uses_stay_bounded_and_keep_the_latest_address() {
        let uses = TokenUses::default();
        for i in 0..MAX_TOKEN_USES + 20 {
            uses.record(&format!("t{i}"), None);
        }
        assert_eq!(uses.snapshot().len(), MAX_TOKEN_USES);
        uses.record("t5", Some("10.1.2.3".parse().unwrap()));
        let t5 = uses.snapshot().into_iter().find(|u| u.id == "t5").unwrap();
        assert_eq!(t5.address, "10.1.2.3");
    }
}
