//! `/releases`: the immutable, numbered releases, what each changed, the
//! content diff of two of them, and redeploying an old one (rollback).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::model::Actor;
use crate::model::release::{Change, DiffEntry, StoredRelease};
use crate::release::diff;
use crate::storage::StoreError;
use crate::storage::releases as store;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_releases))
        .routes(routes!(get_release))
        .routes(routes!(release_diff))
        .routes(routes!(redeploy))
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
    Ok(AppJson(list(&s, q).await?))
}

/// One page of releases, newest first.
pub async fn list(s: &AppState, q: PageQuery) -> ApiResult<Page<ReleaseInfo>> {
    let (skip, limit) = q.bounds()?;
    let (rows, total) = store::page(&s.db, skip, limit).await?;
    let items = rows.into_iter().map(ReleaseInfo::from_stored).collect();
    Ok(Page { items, total })
}

/// Release `number`, or 404.
pub async fn get(s: &AppState, number: i64) -> ApiResult<ReleaseInfo> {
    Ok(ReleaseInfo::from_stored(store::get(&s.db, number).await?))
}

#[utoipa::path(get, path = "/releases/{number}", tag = "deploy", params(("number" = i64, Path)),
    security(("session" = [])),
    responses((status = 200, body = ReleaseInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_release(State(s): State<AppState>, ApiPath(number): ApiPath<i64>) -> ApiResult<AppJson<ReleaseInfo>> {
    Ok(AppJson(get(&s, number).await?))
}

/// Which release a diff compares with.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// `previous` (the default: the release before it; nothing for release 1),
    /// `active` (the release runtimes should serve) or a release number.
    pub against: Option<String>,
}

/// What differs between two releases, entity by entity.
#[derive(Serialize, ToSchema)]
pub struct ReleaseDiff {
    /// The release shown (`after`).
    pub number: i64,
    /// The release compared against (`before`); none when release 1 is compared with its (empty) predecessor.
    pub against: Option<i64>,
    /// The entities that differ: server settings, auth, connections, tools, resources, prompts.
    pub entries: Vec<DiffEntry>,
}

#[utoipa::path(get, path = "/releases/{number}/diff", tag = "deploy", params(("number" = i64, Path), DiffQuery),
    security(("session" = [])),
    description = "The content of release `number` compared with `against`: each differing entity with both sides, \
        secrets masked.",
    responses((status = 200, body = ReleaseDiff), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`against` is not `previous`, `active` or an existing release", body = ErrorBody)))]
async fn release_diff(
    State(s): State<AppState>,
    ApiPath(number): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> ApiResult<AppJson<ReleaseDiff>> {
    Ok(AppJson(diff_of(&s, number, q).await?))
}

/// Release `number` compared with what `q.against` names.
pub async fn diff_of(s: &AppState, number: i64, q: DiffQuery) -> ApiResult<ReleaseDiff> {
    let release = store::get(&s.db, number).await?;
    let against = match q.against.as_deref().map(str::trim) {
        None | Some("" | "previous") => (number > 1).then_some(number - 1),
        Some("active") => Some(store::state(&s.db).await?.active_release.ok_or_else(|| {
            ApiError::invalid("against", "nothing has been deployed yet; compare with `previous` or a release number")
        })?),
        Some(other) => Some(other.parse::<i64>().map_err(|_| {
            ApiError::invalid("against", format!("{other:?} is not `previous`, `active` or a release number"))
        })?),
    };
    let base = match against {
        None => None,
        Some(n) => match store::get(&s.db, n).await {
            Ok(r) => Some(r),
            Err(StoreError::NotFound(_)) => {
                return Err(ApiError::invalid("against", format!("there is no release {n}")));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let entries = diff::entries(base.as_ref().map(|b| &b.source), &release.source);
    Ok(ReleaseDiff { number, against, entries })
}

#[utoipa::path(post, path = "/releases/{number}/redeploy", tag = "deploy", params(("number" = i64, Path)),
    security(("session" = [])),
    description = "Rollback: publishes the content of release `number` again, as a new release. Its tools are \
        described on their databases again first: a tool whose result columns no longer match the output schema the \
        release carries is a 422 naming it, and nothing is redeployed.",
    responses((status = 201, body = ReleaseInfo), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A tool's output schema no longer holds; `problems` names it", body = ErrorBody)))]
async fn redeploy(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(number): ApiPath<i64>,
) -> ApiResult<(StatusCode, AppJson<ReleaseInfo>)> {
    Ok((StatusCode::CREATED, AppJson(rollback_to(&s, &admin.actor(), number).await?)))
}

/// Publishes the content of release `number` again, as a new release.
pub async fn rollback_to(s: &AppState, actor: &Actor, number: i64) -> ApiResult<ReleaseInfo> {
    Ok(ReleaseInfo::from_stored(s.deploy.redeploy(&s.db, &s.engine, &s.keyring, actor, number).await?))
}
