//! `/tools`: parameterised SQL published as MCP tools.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::ToolAnnotations;
use shared_model::params::check_params;
use shared_model::{DbType, ParamDef, Problems, check_placeholders, normalized_name};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::entity::{Patch, check_common, check_len, column, to_column};
use super::page::{Page, PageQuery};
use super::published::{self, Columns, Published, Versioned};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::storage::entities::{connection, tool};

/// Return shapes a tool may declare.
pub const RETURN_TYPES: [&str; 3] = ["rows", "row", "scalar"];

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tools, create_tool))
        .routes(routes!(get_tool, update_tool, delete_tool))
        .routes(routes!(duplicate_tool))
}

/// The editable fields of a tool.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ToolFields {
    /// The connection the SQL runs on.
    pub connection_id: Uuid,
    /// Unique, MCP-safe name (letters, digits, `_`, `-`; 1–64).
    pub name: String,
    /// What the tool does, for the model (1–5000 characters).
    pub description: String,
    /// One SQL statement; `:name` placeholders take the parameters' values.
    pub sql_query: String,
    /// One definition per placeholder: name, type (string, integer, number,
    /// boolean, array), required, default, enum, description, min, max, pattern.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// Free labels for grouping (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Shape of the result: `rows` (default), `row` or `scalar`.
    #[serde(default = "rows")]
    pub return_type: String,
    /// A minijinja template applied to the rows (≤ 100000 bytes).
    #[serde(default)]
    pub transform_template: Option<String>,
    /// MCP hints: read_only (default true; enforced by the engine), destructive, idempotent, open_world.
    #[serde(default)]
    pub annotations: ToolAnnotations,
    /// Seconds a result is cached per argument set (0–86400; 0 = off).
    #[serde(default)]
    pub cache_ttl: u32,
    /// Disabled tools are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
}

fn rows() -> String {
    "rows".into()
}
fn yes() -> bool {
    true
}

/// The documented body of a PATCH.
pub type ToolPatch = Patch<ToolFields>;

/// A tool as returned by the API.
pub type Tool = Versioned<ToolFields>;

/// The dialect of a tool's connection, or a 422 when it does not exist.
pub async fn connection_dialect<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<shared_model::Dialect, ApiError> {
    let conn = connection::Entity::find_by_id(id.to_string()).one(db).await?;
    let conn = conn.ok_or_else(|| ApiError::invalid("connection_id", format!("no connection with id {id}")))?;
    let db_type = DbType::parse(&conn.db_type).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    Ok(db_type.dialect())
}

impl Published for ToolFields {
    type Entity = tool::Entity;
    const WHAT: &'static str = "tool";

    fn columns() -> Columns<tool::Column> {
        Columns {
            id: tool::Column::Id,
            version: tool::Column::Version,
            created_at: tool::Column::CreatedAt,
            name_key: tool::Column::NameKey,
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn from_model(m: tool::Model) -> Result<Tool, ApiError> {
        Ok(Versioned {
            id: m.id.parse().map_err(ApiError::internal)?,
            fields: ToolFields {
                connection_id: m.connection_id.parse().map_err(ApiError::internal)?,
                name: m.name,
                description: m.description,
                sql_query: m.sql_query,
                parameters: column(&m.parameters)?,
                tags: column(&m.tags)?,
                return_type: m.return_type,
                transform_template: m.transform_template,
                annotations: column(&m.annotations)?,
                cache_ttl: u32::try_from(m.cache_ttl).unwrap_or(0),
                is_enabled: m.is_enabled,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    async fn validate(&self, db: &DatabaseConnection) -> Result<(), ApiError> {
        let dialect = connection_dialect(db, self.connection_id).await?;
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        check_len("sql_query", Some(&self.sql_query), 100_000, &mut p);
        check_params(&self.parameters, "parameters", &mut p);
        check_placeholders(&self.sql_query, dialect, &self.parameters, ("sql_query", "parameters"), true, &mut p);
        if !RETURN_TYPES.contains(&self.return_type.as_str()) {
            p.push("return_type", format!("must be one of {}", RETURN_TYPES.join(", ")));
        }
        check_len("transform_template", self.transform_template.as_deref(), 100_000, &mut p);
        if self.cache_ttl > 86_400 {
            p.push("cache_ttl", "must be between 0 and 86400 seconds");
        }
        p.into_result().map_err(ApiError::Invalid)
    }

    fn into_active(self) -> tool::ActiveModel {
        tool::ActiveModel {
            connection_id: Set(self.connection_id.to_string()),
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            description: Set(self.description),
            sql_query: Set(self.sql_query),
            parameters: Set(to_column(&self.parameters)),
            tags: Set(to_column(&self.tags)),
            return_type: Set(self.return_type),
            transform_template: Set(self.transform_template),
            annotations: Set(to_column(&self.annotations)),
            cache_ttl: Set(i32::try_from(self.cache_ttl).unwrap_or(i32::MAX)),
            is_enabled: Set(self.is_enabled),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

#[utoipa::path(get, path = "/tools", tag = "tools", params(PageQuery), security(("session" = [])),
    responses((status = 200, body = Page<Tool>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_tools(State(s): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<AppJson<Page<Tool>>> {
    Ok(AppJson(published::list(&s, q).await?))
}

#[utoipa::path(post, path = "/tools", tag = "tools", request_body = ToolFields, security(("session" = [])),
    responses((status = 201, body = Tool), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_tool(
    State(s): State<AppState>,
    AppJson(fields): AppJson<ToolFields>,
) -> ApiResult<(StatusCode, AppJson<Tool>)> {
    Ok((StatusCode::CREATED, AppJson(published::create(&s, fields).await?)))
}

#[utoipa::path(get, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Tool), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_tool(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Tool>> {
    Ok(AppJson(published::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = ToolPatch,
    responses((status = 200, body = Tool), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_tool(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Tool>> {
    Ok(AppJson(published::update(&s, id, patch).await?))
}

#[utoipa::path(delete, path = "/tools/{id}", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_tool(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    published::delete::<ToolFields>(&s, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The first of `<name>_copy`, `<name>_copy_2`, … that no tool uses.
async fn free_copy_name<C: ConnectionTrait>(db: &C, name: &str) -> Result<String, ApiError> {
    let base = format!("{name}_copy");
    let taken: Vec<String> = tool::Entity::find()
        .select_only()
        .column(tool::Column::NameKey)
        .filter(tool::Column::NameKey.starts_with(normalized_name(&base)))
        .into_tuple()
        .all(db)
        .await?;
    let candidates = std::iter::once(base.clone()).chain((2..).map(|n| format!("{base}_{n}")));
    let free = candidates.take(10_000).find(|c| !taken.contains(&normalized_name(c)));
    let free = free.ok_or_else(|| ApiError::Conflict(format!("too many copies of {name:?}")))?;
    if free.len() > shared_model::names::MAX_NAME_LEN {
        return Err(ApiError::Conflict(format!("{free:?} would be longer than 64 characters; rename the tool first")));
    }
    Ok(free)
}

#[utoipa::path(post, path = "/tools/{id}/duplicate", tag = "tools", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 201, description = "The copy, named `<name>_copy`, `_copy_2`, …", body = Tool),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn duplicate_tool(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, AppJson<Tool>)> {
    let mut fields = published::get::<ToolFields>(&s, id).await?.fields;
    fields.name = free_copy_name(&s.db, &fields.name).await?;
    Ok((StatusCode::CREATED, AppJson(published::insert(&s, fields).await?)))
}
