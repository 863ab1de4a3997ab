//! `/queue/metrics`, `/metrics/stats`, `/metrics/timeseries`: what the
//! runtimes delivered, merged over instances. Percentiles come from merged
//! log-bucket sketches (±1 %), never from averaged percentiles.

use axum::extract::State;
use chrono::{Duration, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::model::telemetry::{ConnectionQueue, SubjectStats, TimeSeries};
use crate::storage::telemetry::query::{self, Scope};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(queue_metrics)).routes(routes!(stats)).routes(routes!(timeseries))
}

/// `(length, step)` of a period, in seconds.
fn period(p: Option<&str>) -> Result<(i64, i64), ApiError> {
    Ok(match p.unwrap_or("24h") {
        "1h" => (3600, 60),
        "6h" => (6 * 3600, 300),
        "24h" => (86_400, 900),
        "7d" => (7 * 86_400, 3600),
        "30d" => (30 * 86_400, 6 * 3600),
        _ => return Err(ApiError::invalid("period", "must be one of 1h, 6h, 24h, 7d, 30d")),
    })
}

fn subject(s: Option<String>) -> Result<Option<String>, ApiError> {
    match s.as_deref() {
        None | Some("") => Ok(None),
        Some("tool" | "resource" | "prompt") => Ok(s),
        Some(_) => Err(ApiError::invalid("subject", "must be tool, resource or prompt")),
    }
}

/// Query of `GET /metrics/stats`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// `1h`, `6h`, `24h` (default), `7d` or `30d`.
    pub period: Option<String>,
    /// Only `tool`, `resource` or `prompt`.
    pub subject: Option<String>,
    /// Only this tool, resource or prompt name.
    pub tool: Option<String>,
    /// Only calls on this connection id.
    pub connection_id: Option<String>,
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/metrics/stats", tag = "metrics", params(StatsQuery), security(("session" = [])),
    responses((status = 200, description = "Per tool, resource and prompt, by name", body = Page<SubjectStats>),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn stats(State(s): State<AppState>, ApiQuery(q): ApiQuery<StatsQuery>) -> ApiResult<AppJson<Page<SubjectStats>>> {
    Ok(AppJson(stats_of(&s, q).await?))
}

/// Per tool, resource and prompt statistics over `q.period`.
pub async fn stats_of(s: &AppState, q: StatsQuery) -> ApiResult<Page<SubjectStats>> {
    let (skip, limit) = PageQuery { skip: q.skip, limit: q.limit }.bounds()?;
    let (length, _) = period(q.period.as_deref())?;
    let scope = Scope { subject: subject(q.subject)?, name: q.tool, connection: q.connection_id };
    let now = Utc::now();
    let keep = s.config.telemetry.minute_hours;
    let all = query::stats(&s.db, &scope, now - Duration::seconds(length), now, keep).await?;
    let total = all.len() as u64;
    let items = all.into_iter().skip(skip as usize).take(limit as usize).collect();
    Ok(Page { items, total })
}

/// Query of `GET /metrics/timeseries`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// `1h` (1-minute points), `6h` (5 min), `24h` (15 min, default), `7d` (1 h) or `30d` (6 h).
    pub period: Option<String>,
    /// Only `tool`, `resource` or `prompt`.
    pub subject: Option<String>,
    /// Only this tool, resource or prompt name (default: all calls).
    pub tool: Option<String>,
    /// Only calls on this connection id.
    pub connection_id: Option<String>,
}

#[utoipa::path(get, path = "/metrics/timeseries", tag = "metrics", params(SeriesQuery), security(("session" = [])),
    responses((status = 200, body = TimeSeries), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn timeseries(State(s): State<AppState>, ApiQuery(q): ApiQuery<SeriesQuery>) -> ApiResult<AppJson<TimeSeries>> {
    Ok(AppJson(series_of(&s, q).await?))
}

/// The calls over `q.period` as a time series.
pub async fn series_of(s: &AppState, q: SeriesQuery) -> ApiResult<TimeSeries> {
    let (length, step) = period(q.period.as_deref())?;
    let scope = Scope { subject: subject(q.subject)?, name: q.tool, connection: q.connection_id };
    let now = Utc::now();
    let keep = s.config.telemetry.minute_hours;
    Ok(query::timeseries(&s.db, &scope, now - Duration::seconds(length), now, step, keep).await?)
}

#[utoipa::path(get, path = "/queue/metrics", tag = "metrics", security(("session" = [])),
    responses((status = 200, description = "Per connection: summed and per instance (instances heard from in the last 2 minutes)",
        body = Page<ConnectionQueue>), (status = 401, body = ErrorBody)))]
async fn queue_metrics(State(s): State<AppState>) -> ApiResult<AppJson<Page<ConnectionQueue>>> {
    Ok(AppJson(queues(&s).await?))
}

/// The queues of every connection, summed and per instance.
pub async fn queues(s: &AppState) -> ApiResult<Page<ConnectionQueue>> {
    let items = query::queues(&s.db, Utc::now()).await?;
    Ok(Page { total: items.len() as u64, items })
}
