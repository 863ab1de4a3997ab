//! `/history`: every change of a connection, tool, resource, prompt, the
//! server settings or a token — who, from where, the snapshot after it and
//! the field-level diff — and rollback to a snapshot as a new version.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::model::Actor;
use crate::model::history::HistoryEntry;
use crate::storage::history::{self, ACTIONS, ENTITY_TYPES, HistoryFilter, rollback};
use crate::storage::write;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_history)).routes(routes!(entity_history)).routes(routes!(rollback_entry))
}

/// Filters and page of `GET /history`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// `connection`, `tool`, `resource`, `prompt`, `server_config` or `token`.
    pub entity_type: Option<String>,
    /// One entity's id.
    pub entity_id: Option<String>,
    /// `create`, `update`, `delete` or `rollback`.
    pub action: Option<String>,
    /// `admin:<id>`, `agent:<token id>` or `system`.
    pub actor: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Entries before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

fn one_of(field: &str, value: &Option<String>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => {
            Err(ApiError::invalid(field, format!("must be one of {}", allowed.join(", "))))
        }
        _ => Ok(()),
    }
}

#[utoipa::path(get, path = "/history", tag = "history", params(HistoryQuery), security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<HistoryEntry>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_history(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<AppJson<Page<HistoryEntry>>> {
    Ok(AppJson(list(&s, q).await?))
}

/// One page of history entries, newest first, filtered by `q`.
pub async fn list(s: &AppState, q: HistoryQuery) -> ApiResult<Page<HistoryEntry>> {
    let (skip, limit) = PageQuery { skip: q.skip, limit: q.limit }.bounds()?;
    one_of("entity_type", &q.entity_type, &ENTITY_TYPES)?;
    one_of("action", &q.action, &ACTIONS)?;
    let filter = HistoryFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        action: q.action,
        actor: q.actor,
        since: q.since,
        until: q.until,
    };
    let (items, total) = history::page(&s.db, &filter, skip, limit).await?;
    Ok(Page { items, total })
}

#[utoipa::path(get, path = "/history/{entity_type}/{entity_id}", tag = "history",
    params(("entity_type" = String, Path, description = "`connection`, `tool`, `resource`, `prompt`, `server_config` or `token`"),
        ("entity_id" = String, Path), PageQuery),
    security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<HistoryEntry>),
        (status = 400, description = "Unknown entity type", body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn entity_history(
    State(s): State<AppState>,
    ApiPath((entity_type, entity_id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<AppJson<Page<HistoryEntry>>> {
    Ok(AppJson(of_entity(&s, entity_type, entity_id, q).await?))
}

/// One page of the history of one entity, newest first.
pub async fn of_entity(
    s: &AppState,
    entity_type: String,
    entity_id: String,
    q: PageQuery,
) -> ApiResult<Page<HistoryEntry>> {
    if !ENTITY_TYPES.contains(&entity_type.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "unknown entity type {entity_type:?}; use one of {}",
            ENTITY_TYPES.join(", ")
        )));
    }
    let (skip, limit) = q.bounds()?;
    let filter = HistoryFilter { entity_type: Some(entity_type), entity_id: Some(entity_id), ..Default::default() };
    let (items, total) = history::page(&s.db, &filter, skip, limit).await?;
    Ok(Page { items, total })
}

#[utoipa::path(post, path = "/history/{history_id}/rollback", tag = "history", params(("history_id" = i64, Path)),
    security(("session" = [])),
    description = "Restores the entry's snapshot as a new version of the entity (recreating it if it was deleted), \
        through the same checks as an edit. Returns the new history entry (action `rollback`). Takes effect for MCP \
        clients with the next deploy.",
    responses((status = 200, description = "The new history entry", body = HistoryEntry), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Cannot apply (name taken, connection gone, a token); `detail` says what to do", body = ErrorBody),
        (status = 422, description = "The snapshot no longer passes validation", body = ErrorBody)))]
async fn rollback_entry(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(history_id): ApiPath<i64>,
) -> ApiResult<AppJson<HistoryEntry>> {
    Ok(AppJson(roll_back(&s, &admin.actor(), history_id).await?))
}

/// Restores entry `history_id`'s snapshot as a new version; the new entry.
pub async fn roll_back(s: &AppState, actor: &Actor, history_id: i64) -> ApiResult<HistoryEntry> {
    let keyring = s.keyring.clone();
    let (entity_type, entity_id) =
        write(&s.db, actor, |w| Box::pin(async move { rollback::rollback(w, &keyring, history_id).await })).await?;
    if entity_type == "connection" {
        // Pools opened with the old settings must not outlive them.
        s.engine.forget(&entity_id);
    }
    Ok(history::latest(&s.db, &entity_type, &entity_id).await?)
}
