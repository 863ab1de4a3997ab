//! `/tools`: parameterised SQL published as MCP tools. Creating or editing
//! a tool describes its statement on its database (see [`crate::describe`]).

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
use crate::describe;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::model::patch::merge_patch;
use crate::model::tool::RESULT_COLUMNS;
pub use crate::model::tool::{Tool, ToolFields};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tools, create_tool))
        .routes(routes!(get_tool, update_tool, delete_tool))
        .routes(routes!(duplicate_tool))
}

/// The documented body of a PATCH.
pub type ToolPatch = Patch<ToolFields>;

#[utoipa::path(get, path = "/tools", tag = "tools", params(PageQuery, LinkedFilterQuery), security(("session" = [])),
    responses((status = 200, body = Page<Tool>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_tools(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
    ApiQuery(filter): ApiQuery<LinkedFilterQuery>,
) -> ApiResult<AppJson<Page<Tool>>> {
    Ok(AppJson(crud::list(&s, q, filter).await?))
}

#[utoipa::path(post, path = "/tools", tag = "tools", request_body = ToolFields, security(("session" = [])),
    responses((status = 201, body = Tool), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_tool(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(fields): AppJson<ToolFields>,
) -> ApiResult<(StatusCode, AppJson<Tool>)> {
    Ok((StatusCode::CREATED, AppJson(crud::create(&s, &admin.actor(), fields).await?)))
}

#[utoipa::path(get, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Tool), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_tool(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Tool>> {
    Ok(AppJson(crud::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = ToolPatch,
    responses((status = 200, body = Tool), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_tool(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Tool>> {
    Ok(AppJson(crud::update(&s, &admin.actor(), id, patch).await?))
}

#[utoipa::path(delete, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_tool(admin: Admin, State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    crud::delete::<ToolFields>(&s, &admin.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/tools/{id}/duplicate", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 201, description = "The copy, named `<name>_copy`, `_copy_2`, …", body = Tool),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn duplicate_tool(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, AppJson<Tool>)> {
    Ok((StatusCode::CREATED, AppJson(crud::duplicate::<ToolFields>(&s, &admin.actor(), id).await?)))
}

/// A tool's result columns are the server's to describe (a value a client sends is ignored).
impl crud::Prepare for ToolFields {
    async fn prepare_create(s: &AppState, mut fields: Self) -> Self {
        fields.result_columns = describe::on_save(&s.db, &s.engine, &s.keyring, &fields).await;
        fields
    }

    /// Described for the fields as they will be once merged (a patch the
    /// write refuses is described for nothing).
    async fn prepare_patch(s: &AppState, id: Uuid, mut patch: Map<String, Value>) -> ApiResult<Map<String, Value>> {
        patch.remove(RESULT_COLUMNS);
        let current = crud::get::<ToolFields>(s, id).await?;
        if let Ok((merged, _)) = merge_patch(&current.fields, patch.clone())
            && let Some(columns) = describe::on_save(&s.db, &s.engine, &s.keyring, &merged).await
        {
            let (key, value) = describe::patch_field(&columns);
            patch.insert(key, value);
        }
        Ok(patch)
    }
}
