//! `/oauth-clients`: machine credentials for Quarry's authorization server
//! (`crate::oauth`). A client trades its `client_id` and secret at
//! `/oauth/token` for a short-lived access token to `/agent/mcp`. The secret
//! is shown once and stored as a keyed hash; revoking a client refuses its next
//! token request and the next use of any access token already issued to it.

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
use crate::model::agent::oauth_client::{NewOAuthClient, OAuthClient};
use crate::model::agent::scope::Scope;
use crate::storage::{oauth_clients, write};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_oauth_clients, create_oauth_client)).routes(routes!(revoke_oauth_client))
}

/// An OAuth client just created: the only time its secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedOAuthClient {
    /// Stable id.
    pub id: String,
    /// The admin's label.
    pub name: String,
    /// The public client identifier.
    pub client_id: String,
    /// The client secret; copy it now, it cannot be shown again.
    pub client_secret: String,
    /// The scopes it may be granted.
    pub scopes: Vec<Scope>,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(get, path = "/oauth-clients", tag = "agent", security(("session" = [])),
    responses((status = 200, description = "Oldest first; never the secrets or their hashes", body = Page<OAuthClient>),
        (status = 401, body = ErrorBody)))]
async fn list_oauth_clients(State(s): State<AppState>) -> ApiResult<AppJson<Page<OAuthClient>>> {
    let items = oauth_clients::list(&s.db).await?;
    Ok(AppJson(Page { total: items.len() as u64, items }))
}

#[utoipa::path(post, path = "/oauth-clients", tag = "agent", request_body = NewOAuthClient, security(("session" = [])),
    description = "Creates an OAuth client for the client-credentials grant at `/oauth/token`, allowed the given \
        scopes. The secret is returned once; only a keyed hash is kept.",
    responses((status = 201, body = CreatedOAuthClient), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Unknown scope (named), no scope or a bad name", body = ErrorBody)))]
async fn create_oauth_client(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(body): AppJson<NewOAuthClient>,
) -> ApiResult<(StatusCode, AppJson<CreatedOAuthClient>)> {
    let minted = body.mint(&s.agent.hasher, chrono::Utc::now())?;
    let minted = write(&s.db, &admin.actor(), |w| {
        Box::pin(async move {
            oauth_clients::create(w, &minted).await?;
            Ok(minted)
        })
    })
    .await?;
    let c = minted.record;
    let created = CreatedOAuthClient {
        id: c.id,
        name: c.name,
        client_id: c.client_id,
        client_secret: minted.secret,
        scopes: c.scopes,
        created_at: c.created_at,
    };
    Ok((StatusCode::CREATED, AppJson(created)))
}

#[utoipa::path(delete, path = "/oauth-clients/{id}", tag = "agent", params(("id" = String, Path)), security(("session" = [])),
    description = "Revokes an OAuth client: its next token request fails (401 `invalid_client`) and access tokens \
        already issued to it are refused on their next use.",
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_oauth_client(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    write(&s.db, &admin.actor(), |w| Box::pin(async move { oauth_clients::revoke(w, &id).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}
