//! `/resources`: MCP resources, either the rows of a SQL query (with
//! `{param}`s of the URI template bound as parameters) or static content.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::crud;
use super::page::{LinkedFilterQuery, Page, PageQuery};
use super::patch::Patch;
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
pub use crate::model::resource::{Resource, ResourceFields};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_resources, create_resource)).routes(routes!(
        get_resource,
        update_resource,
        delete_resource
    ))
}

/// The documented body of a PATCH.
pub type ResourcePatch = Patch<ResourceFields>;

#[utoipa::path(get, path = "/resources", tag = "resources", params(PageQuery, LinkedFilterQuery), security(("session" = [])),
    responses((status = 200, body = Page<Resource>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_resources(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<LinkedFilterQuery>,
) -> ApiResult<AppJson<Page<Resource>>> {
    Ok(AppJson(crud::list(&s, q, filter).await?))
}

#[utoipa::path(post, path = "/resources", tag = "resources", request_body = ResourceFields, security(("session" = [])),
    responses((status = 201, body = Resource), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_resource(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(fields): AppJson<ResourceFields>,
) -> ApiResult<(StatusCode, AppJson<Resource>)> {
    Ok((StatusCode::CREATED, AppJson(crud::create(&s, &admin.actor(), fields).await?)))
}

#[utoipa::path(get, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Resource), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_resource(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Resource>> {
    Ok(AppJson(crud::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = ResourcePatch,
    responses((status = 200, body = Resource), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_resource(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Resource>> {
    Ok(AppJson(crud::update(&s, &admin.actor(), id, patch).await?))
}

#[utoipa::path(delete, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_resource(admin: Admin, State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    crud::delete::<ResourceFields>(&s, &admin.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Nothing to complete before a save.
impl crud::Prepare for ResourceFields {}
