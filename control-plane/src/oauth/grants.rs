//! The MCP-client side of the token endpoint and its neighbours:
//!
//! - `authorization_code` (public clients, PKCE): the code is single-use and
//!   lives a minute, bound to its client, redirect URI, PKCE verifier and
//!   resource; presenting a used code again revokes the grant it issued
//!   (RFC 6749 §4.1.2);
//! - `refresh_token`: each use returns a new refresh token and retires the old
//!   one; presenting a retired one revokes the whole grant (reuse detection,
//!   OAuth 2.1 §4.3.1), so a stolen token is good once at most;
//! - `POST /oauth/revoke` (RFC 7009): a refresh token revokes its grant;
//!   other tokens are answered 200 and left to expire (access tokens are
//!   short-lived and checked offline by the runtimes);
//! - `POST /oauth/register` (RFC 7591): public clients only, at most
//!   [`REGISTRATIONS_PER_MINUTE`] per address and minute and
//!   [`MAX_REGISTERED_CLIENTS`](crate::storage::authorization::MAX_REGISTERED_CLIENTS)
//!   in all; 403 when registration is switched off.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::authorize::{pkce_matches, random, settings, store_failed};
use super::http::{OAuthError, invalid_request, no_store, param, refuse};
use crate::app::AppState;
use crate::auth::client_ip::ClientIp;
use crate::storage::authorization::{self, Grant, Redeemed, RegisteredClient, Rotated};

/// Registrations allowed per client address and minute.
pub const REGISTRATIONS_PER_MINUTE: u32 = 10;
/// Prefix of refresh tokens (recognisable in secret scanners).
pub const REFRESH_PREFIX: &str = "qrt_";

fn invalid_grant(why: impl Into<String>) -> OAuthError {
    refuse(StatusCode::BAD_REQUEST, "invalid_grant", why)
}

/// Whether `grant_type` is one of this module's.
pub fn handles(grant_type: &str) -> bool {
    matches!(grant_type, "authorization_code" | "refresh_token")
}

/// A token request with an `authorization_code` or `refresh_token` grant.
pub async fn token(s: &AppState, pairs: &[(String, String)], grant_type: &str) -> Result<Response, OAuthError> {
    let settings = settings(s).await?;
    if !settings.enabled {
        let why = format!("grant_type `{grant_type}` needs the authorization server for MCP clients, which is off");
        return Err(refuse(StatusCode::BAD_REQUEST, "unsupported_grant_type", why));
    }
    let client_id = param(pairs, "client_id").ok_or_else(|| invalid_request("client_id is required"))?;
    let now = Utc::now();
    let refresh = format!("{REFRESH_PREFIX}{}", random(32));
    let refresh_hash = s.agent.hasher.hash_hex(&refresh);
    let refresh_expires = now + Duration::days(i64::from(settings.refresh_token_ttl_days));
    let grant = if grant_type == "authorization_code" {
        let code = param(pairs, "code").ok_or_else(|| invalid_request("code is required"))?;
        let verifier =
            param(pairs, "code_verifier").ok_or_else(|| invalid_request("code_verifier is required (PKCE)"))?;
        let redirect_uri = param(pairs, "redirect_uri").ok_or_else(|| invalid_request("redirect_uri is required"))?;
        let resource = param(pairs, "resource");
        let check = |r: &authorization::AuthorizationRequest| {
            if r.client_id != client_id {
                return Err("the code was issued to another client".to_string());
            }
            if r.redirect_uri != redirect_uri {
                return Err("redirect_uri differs from the one of the authorization request".into());
            }
            if resource.is_some_and(|x| x != r.resource) {
                return Err(format!("resource differs from the authorized one, {}", r.resource));
            }
            if !pkce_matches(verifier, &r.code_challenge) {
                return Err("code_verifier does not match the code_challenge".into());
            }
            Ok(())
        };
        let hash = s.agent.hasher.hash_hex(code);
        match authorization::redeem(&s.db, &hash, check, &refresh_hash, now, refresh_expires)
            .await
            .map_err(store_failed)?
        {
            Redeemed::Issued(g) => *g,
            Redeemed::Unknown => return Err(invalid_grant("the code is unknown or expired")),
            Redeemed::Reused => {
                tracing::warn!(client_id = %client_id, "An authorization code was presented twice; revoked its grant.");
                return Err(invalid_grant("the code was already used; everything issued with it is revoked"));
            }
            Redeemed::Mismatch(why) => return Err(invalid_grant(why)),
        }
    } else {
        let presented = param(pairs, "refresh_token").ok_or_else(|| invalid_request("refresh_token is required"))?;
        let old_hash = s.agent.hasher.hash_hex(presented);
        let g = match authorization::rotate(&s.db, &old_hash, client_id, &refresh_hash, now, refresh_expires)
            .await
            .map_err(store_failed)?
        {
            Rotated::Issued(g) => *g,
            Rotated::Unknown => return Err(invalid_grant("the refresh token is unknown, expired or revoked")),
            Rotated::WrongClient => return Err(invalid_grant("the refresh token was issued to another client")),
            Rotated::Reused => {
                tracing::warn!(client_id = %client_id, "A rotated refresh token was presented again; revoked its grant.");
                return Err(invalid_grant("the refresh token was already used; the grant is revoked, sign in again"));
            }
        };
        if let Some(r) = param(pairs, "resource")
            && r != g.grant.resource
        {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_target",
                format!("the grant is for {}", g.grant.resource),
            ));
        }
        narrowed(g, param(pairs, "scope"))?
    };
    let ttl = settings.access_token_ttl_seconds;
    let issuer = super::realm(s).issuer;
    let access = super::user_token::issue(&s.agent.oauth.keys, &issuer, &grant, ttl, now).map_err(|e| {
        tracing::error!(error = format!("{e:#}"), "Could not sign an OAuth access token.");
        refuse(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "could not sign the access token")
    })?;
    tracing::info!(client_id = %client_id, subject = %grant.grant.subject, grant_type, "Issued an access token to an MCP client.");
    Ok(no_store(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": grant.grant.scopes.join(" "),
        "refresh_token": refresh,
    })))
}

/// The grant narrowed to a requested `scope` (RFC 6749 §6: no wider than granted).
fn narrowed(mut g: Grant, asked: Option<&str>) -> Result<Grant, OAuthError> {
    let Some(asked) = asked.map(str::trim).filter(|a| !a.is_empty()) else { return Ok(g) };
    let wanted: Vec<String> = asked.split(' ').filter(|x| !x.is_empty()).map(str::to_string).collect();
    if let Some(extra) = wanted.iter().find(|w| !g.grant.scopes.contains(w)) {
        return Err(refuse(StatusCode::BAD_REQUEST, "invalid_scope", format!("`{extra}` was not granted")));
    }
    g.grant.scopes = wanted;
    Ok(g)
}

/// `POST /oauth/revoke` (RFC 7009).
pub async fn revoke(s: &AppState, pairs: &[(String, String)]) -> Result<Response, OAuthError> {
    let token = param(pairs, "token").ok_or_else(|| invalid_request("token is required"))?;
    let client_id = param(pairs, "client_id").ok_or_else(|| invalid_request("client_id is required"))?;
    if token.starts_with(REFRESH_PREFIX) {
        let hash = s.agent.hasher.hash_hex(token);
        if authorization::revoke_by_refresh(&s.db, &hash, client_id, Utc::now()).await.map_err(store_failed)? {
            tracing::info!(client_id = %client_id, "A client revoked its grant.");
        }
    }
    Ok(no_store(json!({})))
}

/// `POST /oauth/register` (RFC 7591).
pub async fn register(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, OAuthError> {
    let settings = settings(&s).await?;
    if !settings.enabled || !settings.dynamic_registration {
        let why = "dynamic client registration is switched off here; identify the client by the https URL of its \
            Client ID Metadata Document";
        return Err(refuse(StatusCode::FORBIDDEN, "access_denied", why));
    }
    if let Err(wait) = s.agent.oauth.registrations.admit(&ip.to_string(), std::time::Instant::now()) {
        let mut e =
            refuse(StatusCode::TOO_MANY_REQUESTS, "invalid_request", "too many registrations from this address");
        e.retry_after = Some(wait.as_secs().max(1));
        return Err(e);
    }
    let bad = |why: String| refuse(StatusCode::BAD_REQUEST, "invalid_client_metadata", why);
    let Ok(Json(Value::Object(meta))) = body else {
        return Err(bad("send the client metadata as a JSON object (RFC 7591)".into()));
    };
    let strings = |k: &str| -> Result<Option<Vec<String>>, OAuthError> {
        match meta.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| bad(format!("{k} must be a list of strings"))))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad(format!("{k} must be a list of strings"))),
        }
    };
    let redirect_uris = strings("redirect_uris")?.unwrap_or_default();
    super::clients::check_redirect_uris(&redirect_uris)
        .map_err(|why| refuse(StatusCode::BAD_REQUEST, "invalid_redirect_uri", why))?;
    let grant_types = strings("grant_types")?.unwrap_or_else(|| vec!["authorization_code".into()]);
    if let Some(g) = grant_types.iter().find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token")) {
        return Err(bad(format!("grant type `{g}` is not offered to registered clients")));
    }
    let response_types = strings("response_types")?.unwrap_or_else(|| vec!["code".into()]);
    if response_types.iter().any(|r| r != "code") {
        return Err(bad("response_types may only contain `code`".into()));
    }
    let name = match meta.get("client_name") {
        None | Some(Value::Null) => "Unnamed MCP client".to_string(),
        Some(Value::String(n)) if !n.trim().is_empty() && n.chars().count() <= 200 => n.trim().to_string(),
        Some(_) => return Err(bad("client_name must be 1–200 characters".into())),
    };
    let client = RegisteredClient {
        client_id: format!("qc_{}", random(18)),
        client_name: name,
        redirect_uris,
        created_at: Utc::now(),
    };
    match authorization::register(&s.db, &client, Some(&ip.to_string())).await {
        Ok(()) => {}
        Err(crate::storage::StoreError::Conflict(why)) => {
            return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", why));
        }
        Err(e) => return Err(store_failed(e)),
    }
    tracing::info!(client_id = %client.client_id, client_name = %client.client_name, "Registered an MCP client.");
    let body = json!({
        "client_id": client.client_id,
        "client_id_issued_at": client.created_at.timestamp(),
        "client_name": client.client_name,
        "redirect_uris": client.redirect_uris,
        "grant_types": grant_types,
        "response_types": ["code"],
        // Public clients only: PKCE proves the client, no secret is issued.
        "token_endpoint_auth_method": "none",
    });
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}
