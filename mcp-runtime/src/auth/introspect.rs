//! Opaque access tokens through RFC 7662 introspection, with the `oauth2`
//! crate as the client over the runtime's own reqwest (no second HTTP stack).
//!
//! One POST per token to the configured endpoint (HTTP Basic with the
//! configured client; 5 s timeout; at most 64 KiB read back), then the answer
//! is cached under the token's SHA-256 for `cache_seconds` — never past the
//! token's `exp` — so a busy client costs the authorization server one call
//! per token per interval. A token is accepted when the answer says `active`,
//! its `exp`/`nbf` hold (with the leeway), its `aud` (when given) names this
//! resource and its `iss` (when given) is a trusted issuer. Refusals are cached
//! too (a revoked token stays refused), within the same bound, in a
//! [`TokenCache`] (bounded; keyed by the token's SHA-256).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenResponse, BasicTokenType};
use oauth2::{
    AccessToken, AsyncHttpClient, Client, ClientId, ClientSecret, EndpointNotSet, EndpointSet, ExtraTokenFields,
    HttpRequest, HttpResponse, IntrospectionUrl, StandardRevocableToken, StandardTokenIntrospectionResponse,
    TokenIntrospectionResponse,
};
use serde_json::{Map, Value};
use shared_model::manifest::{Introspection, OAuthSettings};
use shared_model::secret::Keyring;

use super::token_cache::TokenCache;
use crate::jwt::Claims;

const TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Members of an introspection answer besides the standard ones (e.g. `email`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Extra {
    /// Every other member, by name.
    #[serde(flatten)]
    pub members: Map<String, Value>,
}
impl ExtraTokenFields for Extra {}

type Answer = StandardTokenIntrospectionResponse<Extra, BasicTokenType>;
type IntrospectionClient = Client<
    BasicErrorResponse,
    BasicTokenResponse,
    Answer,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
>;

type Decision = Result<Claims, String>;

/// Checks opaque tokens at one endpoint; clones share the cache.
#[derive(Clone)]
pub struct Introspector {
    settings: Introspection,
    client: Arc<IntrospectionClient>,
    http: Http,
    cache: Arc<TokenCache<Decision>>,
}

impl std::fmt::Debug for Introspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Introspector").field("endpoint", &self.settings.endpoint).finish_non_exhaustive()
    }
}

impl Introspector {
    /// The introspector for `settings`; a client secret needs the runtime key.
    pub fn new(settings: &Introspection, runtime_key: Option<&str>) -> Result<Introspector, String> {
        let url =
            IntrospectionUrl::new(settings.endpoint.clone()).map_err(|e| format!("introspection.endpoint: {e}"))?;
        let mut client = Client::new(ClientId::new(settings.client_id.clone())).set_introspection_url(url);
        if let Some(sealed) = &settings.client_secret {
            let key = runtime_key.ok_or("introspection.client_secret needs QUARRY_RUNTIME_KEY to be opened")?;
            let keyring = Keyring::from_base64_list(key).map_err(|e| format!("QUARRY_RUNTIME_KEY: {e}"))?;
            let secret = sealed.open(&keyring).map_err(|e| format!("introspection.client_secret: {e}"))?;
            client = client.set_client_secret(ClientSecret::new(secret));
        }
        let http = Http(super::http_client(TIMEOUT)?);
        Ok(Introspector { settings: settings.clone(), client: Arc::new(client), http, cache: Arc::default() })
    }

    /// The settings it was built from.
    pub fn settings(&self) -> &Introspection {
        &self.settings
    }

    /// Decides on the opaque `token` under `rule` (cached).
    pub async fn check(&self, token: &str, rule: &OAuthSettings) -> Decision {
        let key = TokenCache::<Decision>::key(token);
        if let Some(decision) = self.cache.get(&key) {
            return decision;
        }
        let answer = self.client.introspect(&AccessToken::new(token.to_string())).request_async(&self.http).await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                // Not cached: the next request asks again.
                tracing::warn!(endpoint = %self.settings.endpoint, error = %e, "Token introspection failed.");
                return Err("the token could not be introspected".into());
            }
        };
        let now = chrono::Utc::now();
        let decision = decide(&answer, rule, now);
        let mut keep = Duration::from_secs(u64::from(self.settings.cache_seconds));
        if let Some(exp) = answer.exp() {
            keep = keep.min((exp - now).to_std().unwrap_or(Duration::ZERO));
        }
        self.cache.put(key, decision.clone(), keep);
        decision
    }
}

/// The claims of an introspection answer, or why it is refused.
fn decide(a: &Answer, rule: &OAuthSettings, now: chrono::DateTime<chrono::Utc>) -> Decision {
    if !a.active() {
        return Err("the token is not active".into());
    }
    let leeway = chrono::Duration::seconds(i64::from(rule.leeway_seconds));
    if a.exp().is_some_and(|exp| exp + leeway < now) {
        return Err("the token has expired".into());
    }
    if a.nbf().is_some_and(|nbf| nbf - leeway > now) {
        return Err("the token is not valid yet (nbf)".into());
    }
    if let Some(aud) = a.aud() {
        let extra = rule.issuers.iter().flat_map(|i| i.audiences.iter());
        let ours = |x: &String| *x == rule.resource || extra.clone().any(|e| e == x);
        if !aud.iter().any(ours) {
            return Err("the token is not meant for this resource (aud)".into());
        }
    }
    if let Some(iss) = a.iss()
        && !rule.issuers.iter().any(|i| i.issuer == iss)
    {
        return Err("the token's issuer is not trusted here".into());
    }
    let mut claims = a.extra_fields().members.clone();
    let mut set = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            claims.insert(k.to_string(), v);
        }
    };
    set("sub", a.sub().map(Value::from));
    set("client_id", a.client_id().map(|c| Value::from(c.as_str())));
    set("username", a.username().map(Value::from));
    set("iss", a.iss().map(Value::from));
    set("exp", a.exp().map(|t| Value::from(t.timestamp())));
    let scopes = a.scopes().map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
    set("scope", scopes.map(Value::from));
    Ok(Claims(claims))
}

/// The `oauth2` crate's HTTP client: the runtime's reqwest.
#[derive(Clone)]
struct Http(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = SendError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, SendError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// One exchange, with the answer's body bounded.
async fn send(http: &reqwest::Client, req: HttpRequest) -> Result<HttpResponse, SendError> {
    let (parts, body) = req.into_parts();
    let mut out = http.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body);
    out = out.timeout(TIMEOUT);
    let mut res = out.send().await.map_err(|e| SendError(e.to_string()))?;
    let mut builder = http::Response::builder().status(res.status());
    for (k, v) in res.headers() {
        builder = builder.header(k, v);
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| SendError(e.to_string()))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(SendError(format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    builder.body(body).map_err(|e| SendError(e.to_string()))
}

/// A failed introspection exchange.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SendError(String);
