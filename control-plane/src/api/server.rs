//! `/server/config` and `/server/tokens`: the settings every release carries
//! and the MCP bearer tokens (stored as keyed hashes; shown once).

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

/// The server configuration as returned by the API.
#[derive(Serialize, ToSchema)]
pub struct ServerConfig {
    /// The editable settings.
    #[serde(flatten)]
    pub settings: ServerSettings,
    /// The bearer tokens (never the tokens themselves).
    pub tokens: Vec<StoredToken>,
    /// The URL clients use: `public_url` or the runtime's address, plus `/mcp`.
    pub mcp_url: String,
    /// Where a `local` or `docker` runtime listens (`QUARRY_RUNTIME_BIND`).
    pub runtime_bind: String,
}

async fn current(s: &AppState) -> ApiResult<ServerConfig> {
    let (settings, tokens) = settings::load(&s.db).await?;
    let tokens = tokens.into_iter().map(StoredToken::public).collect();
    let bind = s.deploy.config.runtime_bind;
    Ok(ServerConfig {
        mcp_url: format!("{}/mcp", settings.effective_public_url(&s.deploy.config.runtime_url())),
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
    write(&s.db, &admin.actor(), |w| Box::pin(settings::update(w, patch))).await?;
    Ok(AppJson(current(&s).await?))
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
    description = "Creates an MCP bearer token. It is returned once; only a keyed hash is kept. Takes effect with the next deploy.",
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
    Ok((StatusCode::CREATED, AppJson(CreatedToken { record: record.public(), token })))
}

#[utoipa::path(delete, path = "/server/tokens/{id}", tag = "server", params(("id" = String, Path)), security(("session" = [])),
    responses((status = 204, description = "Revoked (effective with the next deploy)"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn revoke_token(admin: Admin, State(s): State<AppState>, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    write(&s.db, &admin.actor(), |w| Box::pin(async move { settings::revoke_token(w, &id).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}
