//! `/logs`: the request log — one entry per MCP call the runtimes delivered,
//! newest first, searchable by tool, outcome, client, time and text.

use std::collections::HashMap;

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{MAX_SEARCH_LEN, Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::model::telemetry::{LogEntry, LogFilter};
use crate::storage::{settings, telemetry::request_log};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_logs))
}

/// Filters and page of `GET /logs`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Only calls of this tool, resource or prompt name.
    pub tool: Option<String>,
    /// `ok` or `error`.
    pub outcome: Option<String>,
    /// `anonymous`, or an MCP token's name.
    pub client: Option<String>,
    /// Calls at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Calls before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
    /// Text in the name, client, error class or arguments, ignoring case (up to 200 characters).
    pub search: Option<String>,
}

#[utoipa::path(get, path = "/logs", tag = "metrics", params(LogQuery), security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<LogEntry>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_logs(State(s): State<AppState>, ApiQuery(q): ApiQuery<LogQuery>) -> ApiResult<AppJson<Page<LogEntry>>> {
    Ok(AppJson(search(&s, q).await?))
}

/// One page of the request log, newest first, filtered by `q`.
pub async fn search(s: &AppState, q: LogQuery) -> ApiResult<Page<LogEntry>> {
    let (skip, limit) = PageQuery { skip: q.skip, limit: q.limit }.bounds()?;
    let failed = match q.outcome.as_deref() {
        None | Some("") => None,
        Some("ok") => Some(false),
        Some("error") => Some(true),
        Some(_) => return Err(ApiError::invalid("outcome", "must be ok or error")),
    };
    if q.search.as_ref().is_some_and(|t| t.chars().count() > MAX_SEARCH_LEN) {
        return Err(ApiError::invalid("search", format!("must be at most {MAX_SEARCH_LEN} characters")));
    }
    let (_, tokens) = settings::load(&s.db).await?;
    let names: HashMap<String, String> = tokens.into_iter().map(|t| (t.id, t.name)).collect();
    // A client is named by its token's name; the log stores the token id.
    let client = q
        .client
        .filter(|c| !c.is_empty())
        .map(|c| names.iter().find(|(_, name)| **name == c).map_or(c, |(id, _)| format!("token:{id}")));
    let filter = LogFilter { name: q.tool, failed, client, from: q.since, to: q.until, text: q.search };
    let (items, total) = request_log::page(&s.db, &filter, &names, skip, limit).await?;
    Ok(Page { items, total })
}
