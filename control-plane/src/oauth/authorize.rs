//! `GET /oauth/authorize` (RFC 6749 §4.1 with PKCE, RFC 7636; RFC 8707
//! resource indicators; RFC 9207 `iss` on the way back) and the decision that
//! ends it.
//!
//! Order of checks: the server is on; then the client (a registered
//! `client_id` or a metadata document URL) and the exact `redirect_uri`. Until
//! both hold, a refusal is shown to the user (an HTML page, or a JSON error to
//! a non-browser caller) and never redirected. After that, a refusal goes back
//! to the client's redirect URI as `error`, `error_description`, `state` and
//! `iss`: `response_type` must be `code`; `code_challenge_method` must be
//! `S256` (`plain`, or none, is refused); `resource` must be the MCP URL of
//! the runtimes (absent means it); requested scopes are narrowed to those this
//! server grants.
//!
//! An accepted request is stored for ten minutes and the browser goes to the
//! consent page (`/oauth/consent?request=…`, a UI route). The request is bound
//! to that browser by an httpOnly cookie (`quarry_oauth_browser`) whose keyed
//! hash the request keeps: the consent API and the upstream sign-in serve
//! only the browser that started it.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::http::{OAuthError, invalid_request, refuse};
use super::settings::{AuthorizationServerSettings, is_scope_token};
use crate::app::AppState;
use crate::storage::authorization::{self, AuthorizationRequest, Identity};

/// The browser-binding cookie.
pub const BROWSER_COOKIE: &str = "quarry_oauth_browser";
/// The UI route of the consent page.
pub const CONSENT_PAGE: &str = "/oauth/consent";
/// How long a user has to decide.
pub const REQUEST_MINUTES: i64 = 10;
/// How long an authorization code lives.
pub const CODE_SECONDS: i64 = 60;

/// A random URL-safe string of `bytes` random bytes.
pub fn random(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The MCP resource URL the runtimes serve (the audience of user tokens).
pub async fn mcp_resource(s: &AppState) -> Result<String, crate::storage::StoreError> {
    let (settings, _) = crate::storage::settings::load(&s.db).await?;
    Ok(settings.mcp_url(&s.deploy.config.runtime_url()))
}

/// The authorization server's settings, or a `server_error` refusal.
pub async fn settings(s: &AppState) -> Result<AuthorizationServerSettings, OAuthError> {
    authorization::load(&s.db).await.map(|x| x.settings).map_err(store_failed)
}

/// A store failure as an OAuth `server_error` (logged once here).
pub fn store_failed(e: crate::storage::StoreError) -> OAuthError {
    tracing::error!(error = %e, "The store failed during an OAuth request.");
    refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the store is unavailable; retry shortly")
}

/// A refusal before the redirect URI is trusted: shown, never redirected.
struct Shown(OAuthError);

impl IntoResponse for Shown {
    fn into_response(self) -> Response {
        let e = self.0;
        let escaped =
            |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in refused</title></head>\
             <body style=\"font-family:sans-serif;max-width:40rem;margin:4rem auto\"><h1>This sign-in request was refused</h1>\
             <p><code>{}</code></p><p>{}</p><p>Close this window and tell the application's developer.</p></body></html>",
            escaped(e.error),
            escaped(&e.description)
        );
        let mut r = (e.status, Html(page)).into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// `location` with `pairs` added to its query.
pub fn with_query(location: &str, pairs: &[(&str, &str)]) -> String {
    match reqwest::Url::parse(location) {
        Ok(mut u) => {
            u.query_pairs_mut().extend_pairs(pairs.iter());
            u.to_string()
        }
        Err(_) => location.to_string(),
    }
}

fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The authorization endpoint.
pub async fn authorize(
    State(s): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let html = wants_html(&headers);
    let shown = |e: OAuthError| if html { Shown(e).into_response() } else { e.into_response() };
    let settings = match settings(&s).await {
        Ok(x) => x,
        Err(e) => return shown(e),
    };
    if !settings.enabled {
        let why = "Quarry's authorization server for MCP clients is off; an admin turns it on under Authorization \
            server (agent OAuth clients use the client_credentials grant at /oauth/token)";
        return shown(refuse(StatusCode::BAD_REQUEST, "unsupported_response_type", why));
    }
    let pairs = match query {
        Ok(Query(p)) => p,
        Err(_) => return shown(invalid_request("the query string is malformed")),
    };
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(seen, _)| seen == k) {
            return shown(invalid_request(format!("the parameter `{k}` is repeated")));
        }
    }
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let Some(client_id) = get("client_id").filter(|c| !c.is_empty() && c.len() <= 2000) else {
        return shown(invalid_request("client_id is required"));
    };
    let client = match super::clients::resolve(&s.db, &s.agent.oauth.client_documents, client_id).await {
        Ok(c) => c,
        Err(super::clients::ClientError::Invalid(why)) => {
            return shown(refuse(StatusCode::BAD_REQUEST, "invalid_client", why));
        }
        Err(super::clients::ClientError::Store(e)) => return shown(store_failed(e)),
    };
    let redirect_uri = match get("redirect_uri") {
        Some(r) if client.redirect_uris.iter().any(|u| u == r) => r.to_string(),
        Some(_) => {
            let why = "redirect_uri is not one of the client's registered redirect URIs (they are matched exactly)";
            return shown(invalid_request(why));
        }
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        None => return shown(invalid_request("redirect_uri is required (the client has several)")),
    };
    let issuer = super::realm(&s).issuer;
    let state = get("state").map(str::to_string);
    // From here on, refusals go back to the client.
    let back = |error: &str, description: &str| {
        let mut q = vec![("error", error), ("error_description", description), ("iss", issuer.as_str())];
        if let Some(st) = &state {
            q.push(("state", st));
        }
        see_other(&with_query(&redirect_uri, &q))
    };
    if get("response_type") != Some("code") {
        return back("unsupported_response_type", "response_type must be `code`");
    }
    if state.as_ref().is_some_and(|st| st.len() > 1000) {
        return back("invalid_request", "state is longer than 1000 characters");
    }
    match get("code_challenge_method") {
        Some("S256") => {}
        Some(_) | None => {
            return back("invalid_request", "PKCE is required with code_challenge_method=S256 (plain is not accepted)");
        }
    }
    let challenge = get("code_challenge").unwrap_or_default();
    let well_formed =
        challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return back(
            "invalid_request",
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        );
    }
    let resource_url = match mcp_resource(&s).await {
        Ok(r) => r,
        Err(e) => {
            let _ = store_failed(e);
            return back("server_error", "the store is unavailable; retry shortly");
        }
    };
    if let Some(r) = get("resource")
        && r != resource_url
    {
        return back("invalid_target", &format!("resource must be the MCP server's URL, {resource_url}"));
    }
    let scopes = match requested_scopes(get("scope"), &settings) {
        Ok(sc) => sc,
        Err(why) => return back("invalid_scope", &why),
    };
    let browser =
        jar.get(BROWSER_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() == 43).unwrap_or_else(|| random(32));
    let now = Utc::now();
    let request = AuthorizationRequest {
        id: random(32),
        client_id: client.client_id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: state.clone(),
        code_challenge: challenge.to_string(),
        resource: resource_url,
        browser_hash: s.agent.hasher.hash_hex(&browser),
        identity: None,
        expires_at: now + Duration::minutes(REQUEST_MINUTES),
    };
    match authorization::create_request(&s.db, &request, now).await {
        Ok(()) => {}
        Err(crate::storage::StoreError::Conflict(why)) => return back("temporarily_unavailable", &why),
        Err(e) => {
            let _ = store_failed(e);
            return back("server_error", "the store is unavailable; retry shortly");
        }
    }
    let cookie = Cookie::build((BROWSER_COOKIE, browser))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(s.config.secure_cookies())
        .path("/")
        .max_age(time::Duration::minutes(REQUEST_MINUTES))
        .build();
    let location = format!("{CONSENT_PAGE}?request={}", request.id);
    (jar.add(cookie), see_other(&location)).into_response()
}

/// The requested scopes this server may grant: without a `scope`, the
/// default scopes; otherwise the requested ones it knows (others are left out,
/// RFC 6749 §3.3), and an error when none is left.
fn requested_scopes(asked: Option<&str>, settings: &AuthorizationServerSettings) -> Result<Vec<String>, String> {
    let grantable = settings.grantable_scopes();
    let Some(asked) = asked.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(settings.default_scopes.clone());
    };
    let mut out: Vec<String> = Vec::new();
    for name in asked.split(' ').filter(|n| !n.is_empty()) {
        if !is_scope_token(name) {
            return Err("scope is a space-separated list of scope names".into());
        }
        if grantable.iter().any(|g| g == name) && !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    if out.is_empty() {
        return Err(format!("none of the requested scopes is granted here (available: {})", grantable.join(" ")));
    }
    Ok(out)
}

/// The pending request `id` when this browser started it.
pub async fn request_of_browser(
    s: &AppState,
    jar: &CookieJar,
    id: &str,
) -> Result<Option<AuthorizationRequest>, crate::storage::StoreError> {
    let Some(cookie) = jar.get(BROWSER_COOKIE) else { return Ok(None) };
    let Some(r) = authorization::pending(&s.db, id, Utc::now()).await? else { return Ok(None) };
    let ok = shared_model::token::parse_hex_digest(&r.browser_hash)
        .is_some_and(|d| s.agent.hasher.matches(cookie.value(), &d));
    Ok(ok.then_some(r))
}

/// The admin account as a signed-in identity: every grantable scope.
pub fn admin_identity(username: &str, settings: &AuthorizationServerSettings) -> Identity {
    let mut claims = Map::new();
    claims.insert("preferred_username".into(), Value::String(username.to_string()));
    claims.insert("groups".into(), json!(["quarry-admin"]));
    Identity { subject: "admin".into(), email: None, via: "admin".into(), claims, scopes: settings.grantable_scopes() }
}

/// Where the browser goes after a decision: the code (approve) or
/// `access_denied` (deny), with `state` and `iss`.
pub async fn decide(
    s: &AppState,
    request: &AuthorizationRequest,
    approved_by: Option<&Identity>,
) -> Result<String, crate::storage::StoreError> {
    let issuer = super::realm(s).issuer;
    let mut q: Vec<(&str, &str)> = vec![("iss", issuer.as_str())];
    let Some(identity) = approved_by else {
        authorization::drop_request(&s.db, &request.id).await?;
        q.insert(0, ("error", "access_denied"));
        q.insert(1, ("error_description", "the user denied the request"));
        if let Some(st) = &request.state {
            q.push(("state", st));
        }
        return Ok(with_query(&request.redirect_uri, &q));
    };
    let scopes: Vec<String> = request.scopes.iter().filter(|sc| identity.scopes.contains(sc)).cloned().collect();
    if scopes.is_empty() {
        authorization::drop_request(&s.db, &request.id).await?;
        q.insert(0, ("error", "invalid_scope"));
        q.insert(1, ("error_description", "this user may not be granted any of the requested scopes"));
        if let Some(st) = &request.state {
            q.push(("state", st));
        }
        return Ok(with_query(&request.redirect_uri, &q));
    }
    let code = random(32);
    let now = Utc::now();
    let hash = s.agent.hasher.hash_hex(&code);
    let approved = authorization::approve(
        &s.db,
        &request.id,
        identity,
        &scopes,
        &hash,
        now,
        now + Duration::seconds(CODE_SECONDS),
    )
    .await?;
    if approved.is_none() {
        return Err(crate::storage::StoreError::NotFound(
            "the authorization request expired; start again from your client".into(),
        ));
    }
    tracing::info!(client_id = %request.client_id, subject = %identity.subject, scope = %scopes.join(" "), "A user approved an MCP client.");
    q.insert(0, ("code", code.as_str()));
    if let Some(st) = &request.state {
        q.push(("state", st));
    }
    Ok(with_query(&request.redirect_uri, &q))
}

/// Whether `verifier` matches the S256 `challenge` (RFC 7636 §4.6), in constant time.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use subtle::ConstantTimeEq;
    let ok_chars = verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !(43..=128).contains(&verifier.len()) || !ok_chars {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_the_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
        assert!(!pkce_matches("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
