//! `/deploy`: publish the store as a release, stop, status, and the log stream.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::releases::ReleaseInfo;
use crate::app::AppState;
use crate::auth::Admin;
use crate::deploy::logs::{LogBuffer, LogLine};
use crate::deploy::status::{DeployStatus, status as compute_status};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::model::Actor;

/// Longest a log message may take to reach a client before it is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(deploy)).routes(routes!(get_status)).routes(routes!(stop)).routes(routes!(logs))
}

/// The outcome of a deploy.
#[derive(Serialize, ToSchema)]
pub struct DeployResult {
    /// The release that was published.
    pub release: ReleaseInfo,
    /// The deployment's status right after publishing.
    pub status: DeployStatus,
    /// A first MCP bearer token, minted because bearer auth (the default) had
    /// none. This is the only time it is shown: copy it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[utoipa::path(post, path = "/deploy", tag = "deploy", security(("session" = [])),
    description = "Validates the store (placeholders, connections of tools and resources, names, server settings), \
        describes every enabled tool's statement on its database again (result columns that changed since the tool \
        was saved are a problem: save the tool again), builds the next release and publishes it. With any problem, nothing is deployed and every problem is listed. \
        With bearer auth (the default) and no token yet, a first token is minted and returned once in `token`. \
        `auth_mode: none` is refused when the runtime is reachable from the network, unless \
        `allow_unauthenticated_network_access` is set.",
    responses((status = 201, body = DeployResult), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "The store cannot be deployed; `problems` says what to fix", body = ErrorBody)))]
async fn deploy(admin: Admin, State(s): State<AppState>) -> ApiResult<(StatusCode, AppJson<DeployResult>)> {
    Ok((StatusCode::CREATED, AppJson(publish(&s, &admin.actor()).await?)))
}

/// Builds the next release from the store and publishes it.
pub async fn publish(s: &AppState, actor: &Actor) -> ApiResult<DeployResult> {
    let span = mcp_runtime::otel_span!(
        "deploy.publish",
        quarry.release = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let deploying = s.deploy.deploy(&s.db, &s.engine, &s.keyring, actor);
    let done = deploying.instrument(span.clone()).await.inspect_err(|_| {
        span.record("otel.status_code", "ERROR");
    })?;
    span.record("quarry.release", done.release.number);
    let status = compute_status(&s.deploy, &s.db, &s.keyring).await?;
    let release = ReleaseInfo::from_stored(done.release);
    Ok(DeployResult { release, status, token: done.token })
}

/// The deployment's status.
pub async fn status(s: &AppState) -> ApiResult<DeployStatus> {
    Ok(compute_status(&s.deploy, &s.db, &s.keyring).await?)
}

/// Unpublishes the release and stops the runtime; the status after.
pub async fn stop_deployment(s: &AppState, actor: &Actor) -> ApiResult<DeployStatus> {
    s.deploy.stop(&s.db, actor).await?;
    status(s).await
}

#[utoipa::path(get, path = "/deploy/status", tag = "deploy", security(("session" = [])),
    responses((status = 200, body = DeployStatus), (status = 401, body = ErrorBody)))]
async fn get_status(State(s): State<AppState>) -> ApiResult<AppJson<DeployStatus>> {
    Ok(AppJson(status(&s).await?))
}

#[utoipa::path(post, path = "/deploy/stop", tag = "deploy", security(("session" = [])),
    description = "Unpublishes the release and stops the runtime (local, docker); pulling runtimes unload it.",
    responses((status = 200, body = DeployStatus), (status = 401, body = ErrorBody)))]
async fn stop(admin: Admin, State(s): State<AppState>) -> ApiResult<AppJson<DeployStatus>> {
    Ok(AppJson(stop_deployment(&s, &admin.actor()).await?))
}

#[utoipa::path(get, path = "/deploy/logs", tag = "deploy", security(("session" = [])),
    description = "WebSocket. Sends the recent lines (runtime output and deploy steps), then follows. \
        Each message is a JSON `LogLine`. A client too slow to keep up is told how many lines it missed.",
    responses((status = 101, description = "Switching to the WebSocket protocol; each message is a `LogLine`",
        body = LogLine), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, description = "Too many followers", body = ErrorBody)))]
async fn logs(State(s): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> ApiResult<Response> {
    crate::auth::guard::check_origin(&headers, &s.config.public_url)?;
    let permit = s.deploy.logs.followers.clone().try_acquire_owned().map_err(|_| ApiError::RateLimited(5))?;
    let (logs, closing) = (s.deploy.logs.clone(), s.deploy.closing());
    Ok(ws.max_message_size(4096).on_upgrade(move |socket| follow(socket, logs, permit, closing)))
}

async fn send(socket: &mut WebSocket, line: &LogLine) -> bool {
    let Ok(text) = serde_json::to_string(line) else { return true };
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await, Ok(Ok(())))
}

async fn follow(
    mut socket: WebSocket,
    logs: std::sync::Arc<LogBuffer>,
    _permit: OwnedSemaphorePermit,
    closing: impl Future<Output = ()>,
) {
    let (recent, mut rx) = logs.snapshot_and_follow();
    tokio::pin!(closing);
    for line in &recent {
        if !send(&mut socket, line).await {
            return;
        }
    }
    loop {
        tokio::select! {
            got = rx.recv() => {
                let line = match got {
                    Ok(line) => line,
                    Err(RecvError::Lagged(n)) => LogLine {
                        at: chrono::Utc::now(),
                        source: "deploy",
                        line: format!("… {n} lines skipped: this client reads too slowly"),
                    },
                    Err(RecvError::Closed) => return,
                };
                if !send(&mut socket, &line).await {
                    return;
                }
            }
            () = &mut closing => {
                // "Going away": the server is shutting down (RFC 6455 §7.4.1).
                let frame = CloseFrame { code: 1001, reason: "the control plane is shutting down".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                return;
            }
            incoming = socket.recv() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    }
}
