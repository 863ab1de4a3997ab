//! `/releases`: the immutable, numbered releases, what each changed, and
//! redeploying an old one (rollback).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::model::release::{Change, StoredRelease};
use crate::storage::releases as store;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_releases)).routes(routes!(get_release)).routes(routes!(redeploy))
}

/// A release, without its manifest (see `GET /server/generated`).
#[derive(Serialize, ToSchema)]
pub struct ReleaseInfo {
    /// Release number.
    pub number: i64,
    /// `sha256:…` of the manifest.
    pub content_hash: String,
    /// What changed since the previous release.
    pub changes: Vec<Change>,
    /// Set when this release re-published an older one.
    pub rolled_back_from: Option<i64>,
    /// Counts of what it serves.
    pub tools: usize,
    /// Resources served.
    pub resources: usize,
    /// Prompts served.
    pub prompts: usize,
    /// When it was built.
    pub created_at: DateTime<Utc>,
}

impl ReleaseInfo {
    /// From a stored release.
    pub fn from_stored(m: StoredRelease) -> Self {
        ReleaseInfo {
            number: m.number,
            content_hash: m.content_hash,
            changes: m.changes,
            rolled_back_from: m.rolled_back_from,
            tools: m.source.tools.len(),
            resources: m.source.resources.len(),
            prompts: m.source.prompts.len(),
            created_at: m.created_at,
        }
    }
}

#[utoipa::path(get, path = "/releases", tag = "deploy", params(PageQuery), security(("session" = [])),
    responses((status = 200, description = "Newest first", body = Page<ReleaseInfo>), (status = 401, body = ErrorBody)))]
async fn list_releases(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<AppJson<Page<ReleaseInfo>>> {
    let (skip, limit) = q.bounds()?;
    let (rows, total) = store::page(&s.db, skip, limit).await?;
    let items = rows.into_iter().map(ReleaseInfo::from_stored).collect();
    Ok(AppJson(Page { items, total }))
}

#[utoipa::path(get, path = "/releases/{number}", tag = "deploy", params(("number" = i64, Path)),
    security(("session" = [])),
    responses((status = 200, body = ReleaseInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_release(State(s): State<AppState>, ApiPath(number): ApiPath<i64>) -> ApiResult<AppJson<ReleaseInfo>> {
    Ok(AppJson(ReleaseInfo::from_stored(store::get(&s.db, number).await?)))
}

#[utoipa::path(post, path = "/releases/{number}/redeploy", tag = "deploy", params(("number" = i64, Path)),
    security(("session" = [])),
    description = "Rollback: publishes the content of release `number` again, as a new release.",
    responses((status = 201, body = ReleaseInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn redeploy(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(number): ApiPath<i64>,
) -> ApiResult<(StatusCode, AppJson<ReleaseInfo>)> {
    let release = s.deploy.redeploy(&s.db, &admin.actor(), number).await?;
    Ok((StatusCode::CREATED, AppJson(ReleaseInfo::from_stored(release))))
}
