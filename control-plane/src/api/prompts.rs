//! `/prompts`: prompt templates whose `{arg}`s are filled by the client.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::crud;
use super::page::{FilterQuery, Page, PageQuery};
use super::patch::Patch;
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
pub use crate::model::prompt::{Prompt, PromptFields};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_prompts, create_prompt)).routes(routes!(
        get_prompt,
        update_prompt,
        delete_prompt
    ))
}

/// The documented body of a PATCH.
pub type PromptPatch = Patch<PromptFields>;

#[utoipa::path(get, path = "/prompts", tag = "prompts", params(PageQuery, FilterQuery), security(("session" = [])),
    responses((status = 200, body = Page<Prompt>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_prompts(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<FilterQuery>,
) -> ApiResult<AppJson<Page<Prompt>>> {
    Ok(AppJson(crud::list(&s, q, filter.into()).await?))
}

#[utoipa::path(post, path = "/prompts", tag = "prompts", request_body = PromptFields, security(("session" = [])),
    responses((status = 201, body = Prompt), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_prompt(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(fields): AppJson<PromptFields>,
) -> ApiResult<(StatusCode, AppJson<Prompt>)> {
    Ok((StatusCode::CREATED, AppJson(crud::create(&s, &admin.actor(), fields).await?)))
}

#[utoipa::path(get, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Prompt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_prompt(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Prompt>> {
    Ok(AppJson(crud::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = PromptPatch,
    responses((status = 200, body = Prompt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_prompt(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Prompt>> {
    Ok(AppJson(crud::update(&s, &admin.actor(), id, patch).await?))
}

#[utoipa::path(delete, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_prompt(admin: Admin, State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    crud::delete::<PromptFields>(&s, &admin.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Nothing to complete before a save.
impl crud::Prepare for PromptFields {}
