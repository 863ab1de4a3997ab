//! `/audit`: the audit trail — logins, failed logins, deploys, stops,
//! release redeploys, token creation and revocation, history rollbacks —
//! with the client address and user agent of each.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::model::history::AuditEntry;
use crate::storage::audit::{self, AuditFilter};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// Filters and page of `GET /audit`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// One event, e.g. `login`, `login_failed`, `deploy`, `token_created`.
    pub event: Option<String>,
    /// `admin:<id>`, `visitor` or `system`.
    pub actor: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub until: Option<DateTime<Utc>>,
}

#[utoipa::path(get, path = "/audit", tag = "history", params(AuditQuery), security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<AuditEntry>), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn list_audit(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<AppJson<Page<AuditEntry>>> {
    let (skip, limit) = PageQuery { skip: q.skip, limit: q.limit }.bounds()?;
    let filter = AuditFilter { event: q.event, actor: q.actor, since: q.since, until: q.until };
    let (items, total) = audit::page(&s.db, &filter, skip, limit).await?;
    Ok(AppJson(Page { items, total }))
}
