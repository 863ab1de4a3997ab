//! Client authentication for `/mcp`, `/metrics` and `/internal/stats`:
//! `none`, or bearer tokens checked against the manifest's keyed hashes
//! (HMAC-SHA256, a couple of microseconds) in constant time.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared_model::manifest::AuthSettings;
use shared_model::token::{TokenHasher, parse_hex_digest};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::server::Shared;

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
        /// The manifest id of each token, in the order of `digests`.
        ids: Vec<String>,
    },
}

/// The id of the bearer token a request was let in with (a request
/// extension; absent when auth is off). The request log names clients by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(pub String);

impl AuthCheck {
    /// Compiles the manifest's auth settings; bearer mode needs the runtime key.
    pub fn build(settings: &AuthSettings, runtime_key: Option<&str>) -> Result<AuthCheck, String> {
        match settings {
            AuthSettings::None => Ok(AuthCheck::Open),
            AuthSettings::Bearer { tokens } => {
                let key = runtime_key.ok_or("bearer auth needs QUARRY_RUNTIME_KEY to check tokens")?;
                let hasher = TokenHasher::from_runtime_key(key).map_err(|e| format!("QUARRY_RUNTIME_KEY: {e}"))?;
                let digests = tokens
                    .iter()
                    .map(|t| parse_hex_digest(&t.hash).ok_or_else(|| format!("token {} has a malformed hash", t.id)))
                    .collect::<Result<_, _>>()?;
                let ids = tokens.iter().map(|t| t.id.clone()).collect();
                Ok(AuthCheck::Bearer { hasher: Box::new(hasher), digests, ids })
            }
        }
    }

    /// Whether a request with this `Authorization` header may pass.
    pub fn allows(&self, authorization: Option<&HeaderValue>) -> bool {
        self.admit(authorization).is_some()
    }

    /// `None` when the request may not pass; else the token it passed with
    /// (`Some(None)` when auth is off).
    pub fn admit(&self, authorization: Option<&HeaderValue>) -> Option<Option<ClientId>> {
        let AuthCheck::Bearer { hasher, digests, ids } = self else { return Some(None) };
        let token = authorization.and_then(|h| h.to_str().ok()).and_then(bearer_token)?;
        let presented = hasher.digest(token);
        // Compare against every digest without an early exit.
        let mut any = Choice::from(0);
        let mut matched = 0u64;
        for (i, d) in digests.iter().enumerate() {
            let eq = presented.ct_eq(d);
            matched = u64::conditional_select(&matched, &(i as u64), eq);
            any |= eq;
        }
        bool::from(any).then(|| ids.get(matched as usize).cloned().map(ClientId))
    }
}

fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

/// Axum middleware: 401 with `WWW-Authenticate: Bearer` unless the current release allows the request.
pub async fn require_auth(State(shared): State<std::sync::Arc<Shared>>, mut req: Request, next: Next) -> Response {
    if let Some(client) = shared.current().auth.admit(req.headers().get(header::AUTHORIZATION)) {
        if let Some(client) = client {
            req.extensions_mut().insert(client);
        }
        return next.run(req).await;
    }
    let challenge = if req.headers().contains_key(header::AUTHORIZATION) {
        r#"Bearer realm="quarry", error="invalid_token""#
    } else {
        r#"Bearer realm="quarry""#
    };
    let body = axum::Json(
        serde_json::json!({"error": "unauthorized", "error_description": "a valid bearer token is required"}),
    );
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_model::manifest::BearerToken;
    use shared_model::secret::Keyring;

    #[test]
    fn bearer_mode_accepts_only_listed_tokens() {
        let key = Keyring::generate_key();
        let hash = TokenHasher::from_runtime_key(&key).unwrap().hash_hex("good-token");
        let settings = AuthSettings::Bearer { tokens: vec![BearerToken { id: "t".into(), hash }] };
        let check = AuthCheck::build(&settings, Some(&key)).unwrap();
        let hv = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(check.allows(Some(&hv("Bearer good-token"))));
        assert!(check.allows(Some(&hv("bearer good-token"))));
        assert!(!check.allows(Some(&hv("Bearer bad-token"))));
        assert!(!check.allows(Some(&hv("Basic good-token"))));
        assert!(!check.allows(None));
        assert!(AuthCheck::build(&settings, None).is_err());
        assert!(AuthCheck::Open.allows(None));
    }
}
