//! `/server/config` and `/server/tokens`: the settings every release carries
//! and the MCP bearer tokens (stored as keyed hashes; shown once). Token and
//! auth changes reach running runtimes at once through the access document
//! (`release::access`), without a deploy; the other settings with the next deploy.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, AppJson};
use crate::model::Actor;
use crate::settings::{ServerSettings, StoredToken};
use crate::storage::{settings, write};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_config, patch_config))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .merge(super::server_info::router())
}

/// A bearer token as listed: its record and its latest use seen by a runtime.
#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    /// The stored record (never the token or its hash).
    #[serde(flatten)]
    pub record: StoredToken,
    /// When a runtime last accepted it (reported with heartbeats; unknown after a
    /// control-plane restart until the runtimes report again).
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The client address of that request.
    pub last_used_from: Option<String>,
}

/// The server configuration as returned by the API.
#[derive(Serialize, ToSchema)]
pub struct ServerConfig {
    /// The editable settings.
    #[serde(flatten)]
    pub settings: ServerSettings,
    /// The bearer tokens (never the tokens themselves), with their latest use.
    pub tokens: Vec<TokenInfo>,
    /// The URL clients use: `public_url` or the runtime's address, plus `/mcp`.
    pub mcp_url: String,
    /// Where a `local` or `docker` runtime listens (`QUARRY_RUNTIME_BIND`).
    pub runtime_bind: String,
}

/// The server configuration with the tokens' latest use.
pub async fn current(s: &AppState) -> ApiResult<ServerConfig> {
    let (settings, tokens) = settings::load(&s.db).await?;
    let uses = s.deploy.hub().token_uses();
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let used = uses.get(&t.id);
            TokenInfo {
                last_used_at: used.map(|u| u.last_used_at),
                last_used_from: used.map(|u| u.address.clone()).filter(|a| !a.is_empty()),
                record: t.public(),
            }
        })
        .collect();
    let bind = s.deploy.config.runtime_bind;
    Ok(ServerConfig {
        mcp_url: settings.mcp_url(&s.deploy.config.runtime_url()),
        settings,
        tokens,
        runtime_bind: bind.to_string(),
    })
}

#[utoipa::path(get, path = "/server/config", tag = "server", security(("session" = [])),
    responses((status = 200, body = ServerConfig), (status = 401, body = ErrorBody)))]
async fn get_config(State(s): State<AppState>) -> ApiResult<AppJson<ServerConfig>> {
    Ok(AppJson(current(&s).await?))
}

#[utoipa::path(patch, path = "/server/config", tag = "server", security(("session" = [])),
    request_body(content = Object, description = "Any subset of the settings; takes effect with the next deploy"),
    responses((status = 200, body = ServerConfig), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn patch_config(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<ServerConfig>> {
    Ok(AppJson(update(&s, &admin.actor(), patch).await?))
}

/// Merges `patch` over the settings (refusing open access on the network
/// unless acknowledged) and lets runtimes follow auth changes at once.
pub async fn update(s: &AppState, actor: &Actor, patch: Map<String, Value>) -> ApiResult<ServerConfig> {
    let exposed = s.deploy.open_access_needs_ack();
    let runtime_url = s.deploy.config.runtime_url();
    let keyring = s.keyring.clone();
    write(&s.db, actor, |w| {
        Box::pin(async move {
            let new = settings::update(w, &keyring, patch).await?;
            new.check_exposure(exposed)?;
            new.check_oauth_resource(&runtime_url)?;
            Ok(new)
        })
    })
    .await?;
    s.deploy.refresh_access(&s.db, &s.keyring).await?;
    current(s).await
}

/// A new bearer token's label.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A label to recognise it by (1–100 characters).
    pub name: String,
}

/// A token just created: the only time it is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The stored record.
    #[serde(flatten)]
    pub record: StoredToken,
    /// The token; copy it now, it cannot be shown again.
    pub token: String,
}

#[utoipa::path(post, path = "/server/tokens", tag = "server", request_body = NewToken, security(("session" = [])),
    description = "Creates an MCP bearer token. It is returned once; only a keyed hash is kept. Running runtimes accept it within seconds, without a deploy.",
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_token(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(body): AppJson<NewToken>,
) -> ApiResult<(StatusCode, AppJson<CreatedToken>)> {
    let (record, token) = StoredToken::mint(&body.name, &s.runtime_keys.token_hasher)?;
    let stored = record.clone();
    write(&s.db, &admin.actor(), |w| Box::pin(settings::add_token(w, stored))).await?;
    s.deploy.refresh_access(&s.db, &s.keyring).await?;
    Ok((StatusCode::CREATED, AppJson(CreatedToken { record: record.public(), token })))
}

#[utoipa::path(delete, path = "/server/tokens/{id}", tag = "server", params(("id" = String, Path)), security(("session" = [])),
    description = "Revokes an MCP bearer token: running runtimes refuse it within seconds (no deploy needed), and no rollback brings it back.",
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn revoke_token(admin: Admin, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    write(&s.db, &admin.actor(), |w| Box::pin(async move { settings::revoke_token(w, &id).await })).await?;
    s.deploy.refresh_access(&s.db, &s.keyring).await?;
    Ok(StatusCode::NO_CONTENT)
}
