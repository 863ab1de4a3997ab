//! `/agent-activity`: every call an AI agent made on `/agent/mcp` — which
//! credential, which tool, its redacted arguments, the outcome and duration —
//! and per-tool and per-credential statistics.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::model::agent::activity::{ActivityEntry, ActivityFilter, ActivityStats, outcome};
use crate::storage::agent_activity;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_activity)).routes(routes!(activity_stats))
}

/// Filters and page of `GET /agent-activity`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Only calls made with this agent token (its id).
    pub token: Option<String>,
    /// Only calls of this agent tool.
    pub tool: Option<String>,
    /// `ok`, `error`, `refused` or `rate_limited`.
    pub outcome: Option<String>,
    /// Calls at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Calls before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

impl ActivityQuery {
    fn filter(self) -> Result<ActivityFilter, ApiError> {
        if let Some(o) = self.outcome.as_deref().filter(|o| !outcome::ALL.contains(o)) {
            return Err(ApiError::invalid("outcome", format!("{o:?} is not one of {}", outcome::ALL.join(", "))));
        }
        let blank = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(ActivityFilter {
            credential_id: blank(self.token),
            tool: blank(self.tool),
            outcome: blank(self.outcome),
            since: self.since,
            until: self.until,
        })
    }
}

#[utoipa::path(get, path = "/agent-activity", tag = "agent", params(ActivityQuery), security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<ActivityEntry>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_activity(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<AppJson<Page<ActivityEntry>>> {
    let (skip, limit) = PageQuery { skip: q.skip, limit: q.limit }.bounds()?;
    let (items, total) = agent_activity::page(&s.db, &q.filter()?, skip, limit).await?;
    Ok(AppJson(Page { items, total }))
}

#[utoipa::path(get, path = "/agent-activity/stats", tag = "agent", params(ActivityQuery), security(("session" = [])),
    description = "Calls, errors and p50/p95 duration per tool and per credential, over the calls the filters select \
        (`skip` and `limit` are ignored; at most the newest 100000 calls are read).",
    responses((status = 200, body = ActivityStats), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn activity_stats(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<AppJson<ActivityStats>> {
    Ok(AppJson(agent_activity::stats(&s.db, &q.filter()?).await?))
}
