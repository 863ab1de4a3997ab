//! `/runtime`: the side runtimes talk to, authenticated by the runtime token
//! (`QUARRY_RUNTIME_TOKEN`), not by a session. `GET /runtime/manifest` is a
//! conditional long-poll: with `If-None-Match` set to the release it has, a
//! runtime waits up to `wait` seconds for a new one. `GET /runtime/access`
//! is the same long-poll over the access document (who may call `/mcp`), which
//! changes without a release (see `release::access`).

use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::release::hub::{Heartbeat, MAX_WAIT};
use crate::storage::heartbeats;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(manifest)).routes(routes!(access)).routes(routes!(heartbeat))
}

fn authorize(s: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if presented.is_empty() || !s.runtime_keys.token_matches(presented.trim()) {
        return Err(ApiError::Unauthorized("send the runtime token (QUARRY_RUNTIME_TOKEN) as a bearer token".into()));
    }
    Ok(())
}

/// Proof that a request carries the runtime token. Taken before the body so
/// that an unauthenticated request is a 401 whatever it sends.
pub struct RuntimeToken;

impl FromRequestParts<AppState> for RuntimeToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        authorize(s, &parts.headers).map(|()| RuntimeToken)
    }
}

/// Query of the pull.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullQuery {
    /// Seconds to wait for a release other than `If-None-Match` (0–60, default 0).
    pub wait: Option<u64>,
}

#[utoipa::path(get, path = "/runtime/manifest", tag = "runtime", params(PullQuery),
    security(("runtime_token" = [])),
    responses((status = 200, description = "The manifest of the active release; `ETag` is its content hash", body = Object),
        (status = 204, description = "Nothing is published (never deployed, or stopped)"),
        (status = 304, description = "Still the release named by `If-None-Match`"),
        (status = 401, body = ErrorBody)))]
async fn manifest(
    _: RuntimeToken,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> ApiResult<Response> {
    let etag = if_none_match(&headers);
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(MAX_WAIT);
    let hub = s.deploy.hub();
    let current = hub.current();
    let unchanged = current.as_ref().map_or("", |p| p.hash.as_str()) == etag;
    let current = if unchanged && !wait.is_zero() {
        // Bounded: when every waiting slot is taken, answer now.
        match hub.waiters.try_acquire() {
            // Shutting down: answer now (304) rather than hold the shutdown up.
            Ok(_permit) => tokio::select! {
                got = hub.wait_change(&etag, wait) => got,
                () = s.deploy.closing() => hub.current(),
            },
            Err(_) => current,
        }
    } else {
        current
    };
    let Some(p) = current else { return Ok(StatusCode::NO_CONTENT.into_response()) };
    conditional(&etag, &p.hash, &p.body)
}

/// 304 when the runtime already has `tag`, else 200 with `body`; `ETag` either way.
fn conditional(sent: &str, tag: &str, body: &str) -> ApiResult<Response> {
    let header_tag = HeaderValue::from_str(&format!("\"{tag}\"")).map_err(ApiError::internal)?;
    if tag == sent {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, header_tag)]).into_response());
    }
    let ct = HeaderValue::from_static("application/json");
    Ok((StatusCode::OK, [(header::ETAG, header_tag), (header::CONTENT_TYPE, ct)], body.to_string()).into_response())
}

fn if_none_match(headers: &HeaderMap) -> String {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"').to_string())
        .unwrap_or_default()
}

#[utoipa::path(get, path = "/runtime/access", tag = "runtime", params(PullQuery),
    security(("runtime_token" = [])),
    description = "Who may call the runtimes' `/mcp` now: the current auth mode and the keyed hashes of the tokens not revoked. Runtimes in pull mode apply it at once and ignore the `auth` section of releases.",
    responses((status = 200, description = "The access document; `ETag` is its hash", body = shared_model::protocol::AccessDocument),
        (status = 304, description = "Still the document named by `If-None-Match`"),
        (status = 401, body = ErrorBody)))]
async fn access(
    _: RuntimeToken,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<PullQuery>,
) -> ApiResult<Response> {
    let etag = if_none_match(&headers);
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(MAX_WAIT);
    let hub = s.deploy.hub();
    if hub.access().is_none() {
        s.deploy.refresh_access(&s.db, &s.keyring).await?;
    }
    let mut current = hub.access();
    if current.as_ref().is_some_and(|p| p.etag == etag) && !wait.is_zero() {
        // Bounded like the release pull: when every waiting slot is taken, answer now.
        if let Ok(_permit) = hub.waiters.try_acquire() {
            current = hub.wait_access_change(&etag, wait).await;
        }
    }
    let Some(p) = current else {
        return Err(ApiError::internal(anyhow::anyhow!("the access settings could not be read")));
    };
    conditional(&etag, &p.etag, &p.body)
}

#[utoipa::path(post, path = "/runtime/heartbeat", tag = "runtime", request_body = Heartbeat,
    security(("runtime_token" = [])),
    responses((status = 204, description = "Recorded"), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn heartbeat(
    _: RuntimeToken,
    State(s): State<AppState>,
    AppJson(beat): AppJson<Heartbeat>,
) -> ApiResult<StatusCode> {
    if beat.instance_id.trim().is_empty() {
        return Err(ApiError::invalid("body", "instance_id must be set and status must be running or error"));
    }
    s.deploy.hub().beat(beat.clone());
    heartbeats::upsert(&s.db, &beat).await?;
    Ok(StatusCode::NO_CONTENT)
}
