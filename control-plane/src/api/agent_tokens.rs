//! `/agent-tokens`: the tokens AI agents use on `/agent/mcp` — scoped,
//! expiring, shown once, stored as a keyed hash. Revoking one refuses the
//! next request made with it.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::Page;
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, AppJson};
use crate::model::agent::token::{AgentToken, NewAgentToken};
use crate::storage::{agent_tokens, write};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_agent_tokens, create_agent_token)).routes(routes!(revoke_agent_token))
}

/// An agent token just created: the only time it is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedAgentToken {
    /// The stored record.
    #[serde(flatten)]
    pub record: AgentToken,
    /// The token; copy it now, it cannot be shown again.
    pub token: String,
    /// Where agents use it: the agent MCP endpoint's URL.
    pub mcp_url: String,
}

#[utoipa::path(get, path = "/agent-tokens", tag = "agent", security(("session" = [])),
    responses((status = 200, description = "Oldest first; never the tokens or their hashes", body = Page<AgentToken>),
        (status = 401, body = ErrorBody)))]
async fn list_agent_tokens(State(s): State<AppState>) -> ApiResult<AppJson<Page<AgentToken>>> {
    let items = agent_tokens::list(&s.db).await?;
    Ok(AppJson(Page { total: items.len() as u64, items }))
}

#[utoipa::path(post, path = "/agent-tokens", tag = "agent", request_body = NewAgentToken, security(("session" = [])),
    description = "Creates an agent token for `/agent/mcp` with the given scopes. It expires after 24 hours unless \
        `expires_at` or `expires_in_hours` says otherwise (at most `QUARRY_AGENT_TOKEN_MAX_HOURS`, default 720). It is \
        returned once; only a keyed hash is kept.",
    responses((status = 201, body = CreatedAgentToken), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Unknown scope, none, a bad name or expiry", body = ErrorBody)))]
async fn create_agent_token(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(body): AppJson<NewAgentToken>,
) -> ApiResult<(StatusCode, AppJson<CreatedAgentToken>)> {
    let minted = body.mint(s.agent.config.max_token_hours, &s.agent.hasher, chrono::Utc::now())?;
    let minted = write(&s.db, &admin.actor(), |w| {
        Box::pin(async move {
            agent_tokens::create(w, &minted).await?;
            Ok(minted)
        })
    })
    .await?;
    let mcp_url = format!("{}{}", s.config.public_url, crate::agent::PATH);
    Ok((StatusCode::CREATED, AppJson(CreatedAgentToken { record: minted.record, token: minted.token, mcp_url })))
}

#[utoipa::path(delete, path = "/agent-tokens/{id}", tag = "agent", params(("id" = String, Path)), security(("session" = [])),
    description = "Revokes an agent token: the next request made with it is refused (401).",
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_agent_token(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    write(&s.db, &admin.actor(), |w| Box::pin(async move { agent_tokens::revoke(w, &id).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}
