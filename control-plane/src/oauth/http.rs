//! The authorization server's HTTP surface, outside `/api` and without an
//! admin session (these are OAuth endpoints; clients authenticate themselves):
//!
//! - `GET /.well-known/oauth-authorization-server` — RFC 8414 metadata;
//! - `POST /oauth/token` — the client-credentials grant (RFC 6749 §4.4), the
//!   client authenticated by HTTP Basic or by `client_id`/`client_secret` in
//!   the form body, an optional `scope` (a subset of the client's, default all)
//!   and `resource` (RFC 8707; only the agent MCP endpoint);
//! - `GET /oauth/jwks.json` — the public keys;
//! - `GET /oauth/authorize` — the authorization code flow for MCP clients
//!   when the authorization server is on (`authorize.rs`), else
//!   `unsupported_response_type`;
//! - `POST /oauth/introspect` — RFC 7662, client-authenticated the same way;
//! - `POST /oauth/revoke` (RFC 7009) and `POST /oauth/register` (RFC 7591),
//!   and the `authorization_code` and `refresh_token` grants of the token
//!   endpoint, for MCP clients (`grants.rs`);
//! - `GET /oauth/upstream/start` and `/oauth/upstream/callback` — sign-in
//!   through the upstream OpenID Connect provider (`upstream.rs`).
//!
//! Errors are RFC 6749 §5.2 bodies (`{"error", "error_description"}`), never
//! cached. A failed client authentication is counted per (address,
//! `client_id`) — five in fifteen minutes lock the pair out with 429 — and
//! recorded in the audit trail as `agent_refused` (rate-capped per address).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Value, json};

use super::access_token::{self, Claims};
use super::realm;
use crate::agent::credential::record_refusal;
use crate::agent::scope::Scope;
use crate::app::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::guard::user_agent_of;
use crate::storage::oauth_clients::{self, StoredClient};

/// Where the RFC 8414 metadata is served.
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";
/// The token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";
/// The public keys.
pub const JWKS_PATH: &str = "/oauth/jwks.json";
/// The introspection endpoint.
pub const INTROSPECT_PATH: &str = "/oauth/introspect";
/// The authorization endpoint.
pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
/// The revocation endpoint (RFC 7009).
pub const REVOKE_PATH: &str = "/oauth/revoke";
/// The dynamic registration endpoint (RFC 7591).
pub const REGISTER_PATH: &str = "/oauth/register";

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(METADATA_PATH, get(metadata))
        .route(JWKS_PATH, get(jwks))
        .route(TOKEN_PATH, post(token))
        .route(INTROSPECT_PATH, post(introspect))
        .route(AUTHORIZE_PATH, get(super::authorize::authorize))
        .route(REVOKE_PATH, post(revoke))
        .route(REGISTER_PATH, post(super::grants::register))
        .route(super::upstream::START_PATH, get(super::upstream::start))
        .route(super::upstream::CALLBACK_PATH, get(super::upstream::callback))
}

async fn revoke(
    State(s): State<AppState>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    super::grants::revoke(&s, &params(form)?).await
}

/// An RFC 6749 §5.2 error answer (`{"error", "error_description"}`, never cached).
#[derive(Debug)]
pub struct OAuthError {
    pub(crate) status: StatusCode,
    pub(crate) error: &'static str,
    pub(crate) description: String,
    pub(crate) retry_after: Option<u64>,
}

pub(crate) fn refuse(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
    OAuthError { status, error, description: description.into(), retry_after: None }
}

pub(crate) fn invalid_request(description: impl Into<String>) -> OAuthError {
    refuse(StatusCode::BAD_REQUEST, "invalid_request", description)
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut r = (self.status, Json(body)).into_response();
        let h = r.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.error == "invalid_client" {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"quarry\""));
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

/// A successful answer that must not be cached (RFC 6749 §5.1).
pub(crate) fn no_store(body: Value) -> Response {
    let mut r = Json(body).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

async fn metadata(State(s): State<AppState>) -> Result<Json<Value>, OAuthError> {
    let issuer = realm(&s).issuer;
    let mut scopes: Vec<String> = Scope::ALL.iter().map(|s| s.as_str().to_string()).collect();
    let settings = super::authorize::settings(&s).await?;
    if !settings.enabled {
        return Ok(Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECT_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "response_types_supported": [],
        "scopes_supported": scopes,
        "service_documentation": format!("{issuer}/api/docs"),
        })));
    }
    for sc in settings.grantable_scopes() {
        if !scopes.contains(&sc) {
            scopes.push(sc);
        }
    }
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{issuer}{TOKEN_PATH}"),
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "introspection_endpoint": format!("{issuer}{INTROSPECT_PATH}"),
        "revocation_endpoint": format!("{issuer}{REVOKE_PATH}"),
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "client_id_metadata_document_supported": true,
        "authorization_response_iss_parameter_supported": true,
        "scopes_supported": scopes,
        "service_documentation": format!("{issuer}/api/docs"),
    });
    if settings.dynamic_registration {
        doc["registration_endpoint"] = json!(format!("{issuer}{REGISTER_PATH}"));
    }
    Ok(Json(doc))
}

async fn jwks(State(s): State<AppState>) -> Json<Value> {
    Json(s.agent.oauth.keys.jwks(Utc::now()))
}

/// The form's parameters; a parameter sent twice is refused (RFC 6749 §3.2).
pub(crate) fn params(
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Vec<(String, String)>, OAuthError> {
    let Form(pairs) = form
        .map_err(|_| invalid_request("send the parameters as an application/x-www-form-urlencoded body (RFC 6749)"))?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(seen, _)| seen == k) {
            return Err(invalid_request(format!("the parameter `{k}` is repeated")));
        }
    }
    Ok(pairs)
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The client's id and secret from HTTP Basic or the body (not both).
fn client_credentials(headers: &HeaderMap, pairs: &[(String, String)]) -> Result<(String, String), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, b64)| b64.trim().to_string());
    let body = param(pairs, "client_secret").map(|secret| (param(pairs, "client_id"), secret));
    match (basic, body) {
        (Some(_), Some(_)) => Err(invalid_request("authenticate the client one way: HTTP Basic or the body, not both")),
        (Some(b64), None) => {
            let bad = || refuse(StatusCode::UNAUTHORIZED, "invalid_client", "the Basic credentials are malformed");
            let raw = STANDARD.decode(b64).map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (id, secret) = text.split_once(':').ok_or_else(bad)?;
            // RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
            let decode = |v: &str| form_decode(v).ok_or_else(bad);
            Ok((decode(id)?, decode(secret)?))
        }
        (None, Some((Some(id), secret))) => Ok((id.to_string(), secret.to_string())),
        (None, Some((None, _))) => Err(invalid_request("client_secret was sent without client_id")),
        (None, None) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authenticate the client with HTTP Basic (client_id:client_secret) or client_id and client_secret in the body",
        )),
    }
}

/// Decodes an `application/x-www-form-urlencoded` value.
fn form_decode(v: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&format!("v={v}")).ok()?;
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Authenticates the client of a token or introspection request.
async fn authenticate_client(
    s: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<StoredClient, OAuthError> {
    let (client_id, secret) = client_credentials(headers, pairs)?;
    let limiter = &s.agent.oauth.failures;
    let reservation = limiter.reserve(ip, &client_id).map_err(|secs| OAuthError {
        status: StatusCode::TOO_MANY_REQUESTS,
        error: "invalid_client",
        description: format!("too many failed attempts for this client from this address; retry in {secs} seconds"),
        retry_after: Some(secs),
    })?;
    let store = |e: crate::storage::StoreError| {
        tracing::error!(error = %e, "The store failed during an OAuth client authentication.");
        refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the store is unavailable; retry shortly")
    };
    let found = oauth_clients::find_by_client_id(&s.db, &client_id).await.map_err(store)?;
    let matched = found.filter(|c| {
        shared_model::token::parse_hex_digest(&c.secret_hash).is_some_and(|d| s.agent.hasher.matches(&secret, &d))
    });
    let Some(client) = matched else {
        let reason = "OAuth client authentication failed (unknown client_id, wrong secret or revoked client)";
        let detail = json!({"client_id": client_id.chars().take(40).collect::<String>()});
        record_refusal(s, Some(ip.to_string()), user_agent_of(headers), reason, detail).await.map_err(store)?;
        return Err(refuse(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret"));
    };
    reservation.refund();
    limiter.clear(ip, &client_id);
    Ok(client)
}

async fn token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    let pairs = params(form)?;
    let grant = param(&pairs, "grant_type").ok_or_else(|| invalid_request("grant_type is required"))?;
    // MCP clients are public clients: PKCE and refresh-token rotation prove them, not a secret.
    if super::grants::handles(grant) {
        return super::grants::token(&s, &pairs, grant).await;
    }
    let client = authenticate_client(&s, ip, &headers, &pairs).await?;
    if grant != "client_credentials" {
        let why = format!(
            "grant_type `{grant}` is not supported; use client_credentials, authorization_code or refresh_token"
        );
        return Err(refuse(StatusCode::BAD_REQUEST, "unsupported_grant_type", why));
    }
    let r = realm(&s);
    if let Some(resource) = param(&pairs, "resource")
        && resource != r.audience
    {
        let why = format!("the only resource here is the agent MCP endpoint, {}", r.audience);
        return Err(refuse(StatusCode::BAD_REQUEST, "invalid_target", why));
    }
    let allowed: Vec<&str> = client.client.scopes.iter().map(|s| s.as_str()).collect();
    let granted = grant_scopes(param(&pairs, "scope"), &allowed)?;
    let ttl = s.agent.oauth.token_ttl_seconds;
    let now = Utc::now();
    let token =
        access_token::issue(&s.agent.oauth.keys, &r, &client.client.client_id, &granted, ttl, now).map_err(|e| {
            tracing::error!(error = format!("{e:#}"), "Could not sign an OAuth access token.");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "could not sign the access token")
        })?;
    if let Err(e) = oauth_clients::touch(&s.db, &client.client.id, now, Some(&ip.to_string())).await {
        tracing::warn!(error = %e, "Could not record an OAuth client's last use.");
    }
    tracing::info!(client_id = %client.client.client_id, scope = %granted.join(" "), "Issued an OAuth access token.");
    Ok(no_store(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": granted.join(" "),
    })))
}

/// The scopes to grant for a `scope` parameter: all the client's allowed
/// scopes when it is absent; else the requested scopes the client is allowed.
/// A requested scope the client is not allowed is left out rather than failing
/// the request (RFC 6749 §3.3 lets the server grant less; the answer's `scope`
/// says what was granted): MCP clients ask for every scope the resource
/// metadata lists. An unknown scope name, or nothing left to grant, is
/// `invalid_scope`.
fn grant_scopes<'a>(asked: Option<&str>, allowed: &[&'a str]) -> Result<Vec<&'a str>, OAuthError> {
    let Some(asked) = asked.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(allowed.to_vec()) };
    let mut granted = Vec::new();
    for name in asked.split(' ').filter(|n| !n.is_empty()) {
        if Scope::parse(name).is_none() {
            return Err(refuse(StatusCode::BAD_REQUEST, "invalid_scope", format!("`{name}` is not a Quarry scope")));
        }
        if let Some(ok) = allowed.iter().find(|a| **a == name)
            && !granted.contains(ok)
        {
            granted.push(*ok);
        }
    }
    if granted.is_empty() {
        let why = format!("none of the requested scopes is allowed for this client (allowed: {})", allowed.join(" "));
        return Err(refuse(StatusCode::BAD_REQUEST, "invalid_scope", why));
    }
    Ok(granted)
}

async fn introspect(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    let pairs = params(form)?;
    authenticate_client(&s, ip, &headers, &pairs).await?;
    let token = param(&pairs, "token").ok_or_else(|| invalid_request("token is required"))?;
    let Some(claims) = active_claims(&s, token).await else { return Ok(no_store(json!({"active": false}))) };
    Ok(no_store(json!({
        "active": true,
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "token_type": "Bearer",
    })))
}

/// The claims of `token` when it verifies and its client still exists.
async fn active_claims(s: &AppState, token: &str) -> Option<Claims> {
    let claims = access_token::verify(&s.agent.oauth.keys, &realm(s), token).ok()?;
    oauth_clients::find_by_client_id(&s.db, &claims.client_id).await.ok()??;
    Some(claims)
}
