//! Sign-in through the upstream OpenID Connect provider the admin configured
//! (authorization code flow with PKCE, `state` and `nonce`):
//!
//! 1. `GET /oauth/upstream/start?request=…` (from the consent page, same
//!    browser): reads `<issuer>/.well-known/openid-configuration` (its
//!    `issuer` must equal the configured one), stores a fresh `state`, `nonce`
//!    and PKCE verifier on the pending request, and redirects to the
//!    provider's authorization endpoint with `redirect_uri` =
//!    `<public URL>/oauth/upstream/callback`;
//! 2. `GET /oauth/upstream/callback?code&state`: the `state` finds the request
//!    (once) and must come back to the browser that started it; the code is
//!    exchanged at the provider's token endpoint (client_secret_basic when a
//!    secret is set, else as a public client); the ID token is verified with
//!    the runtime's JWT verifier (`mcp_runtime::jwt`: signature by `kid`
//!    against the provider's `jwks_uri`, RS256/PS256/ES256/EdDSA, `iss`, `aud`
//!    = our client id, `exp`/`nbf` with 60 s of leeway), then `azp` and
//!    `nonce` here; claims missing from it are completed from the userinfo
//!    endpoint when the `sub` matches;
//! 3. the user's claims (`sub`, `email`, `groups`, `name`,
//!    `preferred_username` and every claim a mapping names) and the scopes the
//!    claim mappings grant are stored on the request; the browser returns to
//!    the consent page to approve or deny.
//!
//! Failures return to the consent page with `error=` (a sentence for the
//! user); the provider's tokens are never stored or logged.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::authorize::{BROWSER_COOKIE, CONSENT_PAGE, random, request_of_browser, with_query};
use super::settings::Upstream;
use crate::app::AppState;
use crate::storage::authorization::{self, Identity};

/// Where the consent page sends the browser to sign in upstream.
pub const START_PATH: &str = "/oauth/upstream/start";
/// Where the provider sends the browser back.
pub const CALLBACK_PATH: &str = "/oauth/upstream/callback";
/// Timeout of each call to the provider.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Largest answer read from the provider.
const MAX_BYTES: usize = 256 * 1024;
/// Claims always copied from the provider.
const COPIED: [&str; 6] = ["email", "email_verified", "name", "preferred_username", "groups", "roles"];

fn redirect(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Back to the consent page of request `id`, with an error sentence when given.
fn to_consent(id: &str, error: Option<&str>) -> Response {
    let base = format!("http://consent.invalid{CONSENT_PAGE}");
    let mut pairs = vec![("request", id)];
    if let Some(e) = error {
        pairs.push(("error", e));
    }
    let full = with_query(&base, &pairs);
    redirect(full.trim_start_matches("http://consent.invalid"))
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut r = (status, text.to_string()).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    userinfo_endpoint: Option<String>,
}

fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| "could not prepare a request to the identity provider".to_string())
}

async fn read_json(res: reqwest::Response, what: &str) -> Result<Value, String> {
    let status = res.status();
    let mut res = res;
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|_| format!("reading the provider's {what} failed"))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BYTES {
            return Err(format!("the provider's {what} is too large"));
        }
    }
    let v: Value = serde_json::from_slice(&body).map_err(|_| format!("the provider's {what} is not JSON"))?;
    if !status.is_success() {
        let code = v.get("error").and_then(Value::as_str).unwrap_or("error");
        return Err(format!("the provider refused the {what} request ({code}, HTTP {})", status.as_u16()));
    }
    Ok(v)
}

async fn discover(u: &Upstream) -> Result<Discovery, String> {
    let url = format!("{}/.well-known/openid-configuration", u.issuer.trim_end_matches('/'));
    let res = http()?.get(&url).send().await.map_err(|_| "the identity provider cannot be reached".to_string())?;
    let d: Discovery = serde_json::from_value(read_json(res, "configuration").await?)
        .map_err(|_| "the identity provider's configuration lacks its endpoints".to_string())?;
    if d.issuer.trim_end_matches('/') != u.issuer.trim_end_matches('/') {
        return Err("the identity provider's configuration names another issuer".into());
    }
    Ok(d)
}

/// Query of the start endpoint.
#[derive(Deserialize)]
pub struct StartQuery {
    request: String,
}

/// `GET /oauth/upstream/start`.
pub async fn start(State(s): State<AppState>, jar: CookieJar, Query(q): Query<StartQuery>) -> Response {
    let Ok(Some(req)) = request_of_browser(&s, &jar, &q.request).await else {
        return plain(
            StatusCode::BAD_REQUEST,
            "This sign-in request is unknown or expired; start again from your application.",
        );
    };
    let Ok(stored) = authorization::load(&s.db).await else {
        return to_consent(&req.id, Some("the store is unavailable; retry shortly"));
    };
    let Some(upstream) = stored.settings.upstream.filter(|_| stored.settings.enabled) else {
        return to_consent(&req.id, Some("no identity provider is configured"));
    };
    let d = match discover(&upstream).await {
        Ok(d) => d,
        Err(why) => return to_consent(&req.id, Some(&why)),
    };
    let (state, nonce, verifier) = (random(24), random(24), random(48));
    if authorization::start_upstream(&s.db, &req.id, &state, &nonce, &verifier).await.is_err() {
        return to_consent(&req.id, Some("the store is unavailable; retry shortly"));
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let callback = format!("{}{CALLBACK_PATH}", super::realm(&s).issuer);
    let location = with_query(
        &d.authorization_endpoint,
        &[
            ("response_type", "code"),
            ("client_id", &upstream.client_id),
            ("redirect_uri", &callback),
            ("scope", &upstream.scopes),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    redirect(&location)
}

/// Query of the callback.
#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /oauth/upstream/callback`.
pub async fn callback(State(s): State<AppState>, jar: CookieJar, Query(q): Query<CallbackQuery>) -> Response {
    let unknown = || {
        plain(
            StatusCode::BAD_REQUEST,
            "This sign-in is unknown, expired or already finished; start again from your application.",
        )
    };
    let Some(state) = q.state.filter(|v| !v.is_empty() && v.len() <= 64) else { return unknown() };
    let Ok(Some(pending)) = authorization::take_upstream(&s.db, &state, Utc::now()).await else { return unknown() };
    let same_browser = jar.get(BROWSER_COOKIE).is_some_and(|c| {
        shared_model::token::parse_hex_digest(&pending.request.browser_hash)
            .is_some_and(|d| s.agent.hasher.matches(c.value(), &d))
    });
    if !same_browser {
        return unknown();
    }
    let id = pending.request.id.clone();
    if let Some(e) = q.error {
        let why = q.error_description.unwrap_or(e);
        let why: String = why.chars().take(200).collect();
        return to_consent(&id, Some(&format!("the identity provider refused the sign-in: {why}")));
    }
    let Some(code) = q.code else { return to_consent(&id, Some("the identity provider sent no code")) };
    match finish(&s, &pending, &code).await {
        Ok(identity) => {
            if authorization::set_identity(&s.db, &id, &identity).await.is_err() {
                return to_consent(&id, Some("the store is unavailable; retry shortly"));
            }
            tracing::info!(subject = %identity.subject, "A user signed in through the identity provider.");
            to_consent(&id, None)
        }
        Err(why) => {
            tracing::warn!(reason = %why, "An upstream sign-in failed.");
            to_consent(&id, Some(&why))
        }
    }
}

/// Exchanges `code`, checks the ID token and gathers the user's claims.
async fn finish(s: &AppState, pending: &authorization::UpstreamPending, code: &str) -> Result<Identity, String> {
    let stored = authorization::load(&s.db).await.map_err(|_| "the store is unavailable; retry shortly".to_string())?;
    let settings = stored.settings;
    let upstream = settings.upstream.clone().ok_or("no identity provider is configured")?;
    let d = discover(&upstream).await?;
    let callback = format!("{}{CALLBACK_PATH}", super::realm(s).issuer);
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", callback),
        ("code_verifier", pending.verifier.clone()),
    ];
    let mut req = http()?.post(&d.token_endpoint).header(header::ACCEPT, "application/json");
    match stored.upstream_client_secret.as_deref() {
        Some(sealed) => {
            let secret =
                s.keyring.decrypt(sealed).map_err(|_| "the provider's client secret cannot be read".to_string())?;
            let enc = |v: &str| url_encode(v);
            req = req.basic_auth(enc(&upstream.client_id), Some(enc(&secret)));
        }
        None => form.push(("client_id", upstream.client_id.clone())),
    }
    let body = serde_urlencoded::to_string(&form).map_err(|_| "could not encode the token request".to_string())?;
    let res = req
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|_| "the identity provider's token endpoint cannot be reached".to_string())?;
    let tokens = read_json(res, "token").await?;
    let id_token =
        tokens.get("id_token").and_then(Value::as_str).ok_or("the identity provider returned no ID token")?;
    let mut claims = verify_id_token(id_token, &upstream, &d.jwks_uri, &pending.nonce).await?;
    if let (Some(userinfo), Some(access)) = (&d.userinfo_endpoint, tokens.get("access_token").and_then(Value::as_str)) {
        let wanted = wanted_claims(&upstream);
        if wanted.iter().any(|c| !claims.contains_key(*c)) {
            let res = http()?.get(userinfo).bearer_auth(access).send().await;
            if let Ok(res) = res
                && let Ok(Value::Object(info)) = read_json(res, "userinfo").await
                && info.get("sub") == claims.get("sub")
            {
                for (k, v) in info {
                    claims.entry(k).or_insert(v);
                }
            }
        }
    }
    let subject = claims.get("sub").and_then(Value::as_str).ok_or("the ID token has no subject")?.to_string();
    let kept: Map<String, Value> = claims
        .iter()
        .filter(|(k, _)| wanted_claims(&upstream).contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Identity {
        email: claims.get("email").and_then(Value::as_str).map(str::to_string),
        subject,
        via: "upstream".into(),
        scopes: settings.scopes_for(&claims),
        claims: kept,
    })
}

fn wanted_claims(u: &Upstream) -> Vec<&str> {
    let mut w: Vec<&str> = COPIED.to_vec();
    for m in &u.claim_mappings {
        if !w.contains(&m.claim.as_str()) {
            w.push(m.claim.as_str());
        }
    }
    w
}

fn url_encode(v: &str) -> String {
    serde_urlencoded::to_string([("v", v)]).map(|s| s[2..].to_string()).unwrap_or_default()
}

/// Algorithms accepted on the provider's ID tokens.
const ID_TOKEN_ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// The claims of an ID token, verified by the runtime's JWT verifier
/// (signature against `jwks_uri`, `iss`, `aud` = our client id, `exp`/`nbf`),
/// then `azp` and `nonce`.
async fn verify_id_token(token: &str, u: &Upstream, jwks_uri: &str, nonce: &str) -> Result<Map<String, Value>, String> {
    let issuer = shared_model::manifest::TrustedIssuer {
        issuer: u.issuer.clone(),
        jwks_uri: Some(jwks_uri.to_string()),
        keys: vec![],
        algorithms: ID_TOKEN_ALGORITHMS.iter().map(|a| a.to_string()).collect(),
        audiences: vec![],
    };
    let verifier = mcp_runtime::jwt::Verifier::new(&u.client_id, &[issuer], 60, None)
        .map_err(|e| format!("the identity provider's keys cannot be used: {e}"))?;
    let claims = verifier.verify(token).await.map_err(|e| format!("the ID token was refused: {e}"))?.0;
    check_id_claims(&claims, u, nonce)?;
    Ok(claims)
}

/// The checks the verifier leaves to an OpenID client: `azp` when several
/// audiences are named, and the `nonce` of this sign-in (constant time).
fn check_id_claims(claims: &Map<String, Value>, u: &Upstream, nonce: &str) -> Result<(), String> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    let several = claims.get("aud").and_then(Value::as_array).is_some_and(|a| a.len() > 1);
    if several && text("azp") != Some(u.client_id.as_str()) {
        return Err("the ID token's authorized party is not Quarry".into());
    }
    use subtle::ConstantTimeEq;
    let nonce_ok: bool = text("nonce").is_some_and(|n| n.as_bytes().ct_eq(nonce.as_bytes()).into());
    if !nonce_ok {
        return Err("the ID token's nonce does not match this sign-in".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn upstream() -> Upstream {
        Upstream {
            issuer: "https://idp.example.com".into(),
            client_id: "quarry".into(),
            scopes: "openid".into(),
            claim_mappings: vec![],
            display_name: None,
        }
    }

    #[test]
    fn the_nonce_must_match_and_several_audiences_need_quarry_as_the_authorized_party() {
        let claims = |v: Value| v.as_object().cloned().unwrap();
        let u = upstream();
        assert!(check_id_claims(&claims(json!({"aud": "quarry", "nonce": "n1"})), &u, "n1").is_ok());
        let wrong = check_id_claims(&claims(json!({"aud": "quarry", "nonce": "n2"})), &u, "n1").unwrap_err();
        assert!(wrong.contains("nonce"), "{wrong}");
        assert!(check_id_claims(&claims(json!({"aud": "quarry"})), &u, "n1").is_err(), "a missing nonce is refused");
        let several = json!({"aud": ["quarry", "other"], "nonce": "n1"});
        assert!(check_id_claims(&claims(several.clone()), &u, "n1").unwrap_err().contains("authorized party"));
        let mut with_azp = several;
        with_azp["azp"] = json!("quarry");
        assert!(check_id_claims(&claims(with_azp), &u, "n1").is_ok());
    }
}
