//! `/resources`: MCP resources, either the rows of a SQL query (with
//! `{param}`s of the URI template bound as parameters) or static content.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::params::check_params;
use shared_model::{ParamDef, Problems, check_placeholders, normalized_name, uri_template_params};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::entity::{Patch, check_common, check_len, column, to_column};
use super::page::{Page, PageQuery};
use super::published::{self, Columns, Published, Versioned};
use super::tools::connection_dialect;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::storage::entities::resource;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_resources, create_resource)).routes(routes!(
        get_resource,
        update_resource,
        delete_resource
    ))
}

/// The editable fields of a resource.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    /// The connection a SQL resource runs on (absent for static content).
    #[serde(default)]
    pub connection_id: Option<Uuid>,
    /// Unique, MCP-safe name.
    pub name: String,
    /// What the resource holds (1–5000 characters).
    pub description: String,
    /// A URI such as `reports://daily`, or a template such as `users://{user_id}/orders`.
    pub uri_template: String,
    /// One SQL statement whose `:name` placeholders are the template's `{name}`s.
    #[serde(default)]
    pub sql_query: Option<String>,
    /// Fixed text returned as is (instead of SQL; ≤ 1000000 bytes).
    #[serde(default)]
    pub static_content: Option<String>,
    /// One definition per URI template variable.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// MIME type of the content (default `application/json`).
    #[serde(default = "json_mime")]
    pub mime_type: String,
    /// Free labels (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Disabled resources are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
}

fn json_mime() -> String {
    "application/json".into()
}
fn yes() -> bool {
    true
}

/// The documented body of a PATCH.
pub type ResourcePatch = Patch<ResourceFields>;

/// A resource as returned by the API.
pub type Resource = Versioned<ResourceFields>;

fn valid_mime(m: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    m.len() <= 255 && m.split_once('/').is_some_and(|(t, sub)| token(t) && token(sub.split(';').next().unwrap_or("")))
}

impl Published for ResourceFields {
    type Entity = resource::Entity;
    const WHAT: &'static str = "resource";

    fn columns() -> Columns<resource::Column> {
        Columns {
            id: resource::Column::Id,
            version: resource::Column::Version,
            created_at: resource::Column::CreatedAt,
            name_key: resource::Column::NameKey,
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn from_model(m: resource::Model) -> Result<Resource, ApiError> {
        Ok(Versioned {
            id: m.id.parse().map_err(ApiError::internal)?,
            fields: ResourceFields {
                connection_id: m.connection_id.map(|c| c.parse()).transpose().map_err(ApiError::internal)?,
                name: m.name,
                description: m.description,
                uri_template: m.uri_template,
                sql_query: m.sql_query,
                static_content: m.static_content,
                parameters: column(&m.parameters)?,
                mime_type: m.mime_type,
                tags: column(&m.tags)?,
                is_enabled: m.is_enabled,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    async fn validate(&self, db: &DatabaseConnection) -> Result<(), ApiError> {
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        if !self.uri_template.contains("://")
            || self.uri_template.len() > 1024
            || self.uri_template.contains(char::is_whitespace)
        {
            p.push("uri_template", "must look like scheme://path, without spaces, at most 1024 characters");
        }
        let uri_params =
            uri_template_params(&self.uri_template).map_err(|e| p.push("uri_template", e)).unwrap_or_default();
        if !valid_mime(&self.mime_type) {
            p.push("mime_type", "must be a MIME type such as application/json or text/plain");
        }
        check_params(&self.parameters, "parameters", &mut p);
        match (&self.sql_query, &self.static_content) {
            (Some(sql), None) => {
                check_len("sql_query", Some(sql), 100_000, &mut p);
                match self.connection_id {
                    Some(id) => {
                        let dialect = connection_dialect(db, id).await?;
                        check_placeholders(sql, dialect, &self.parameters, ("sql_query", "parameters"), true, &mut p);
                    }
                    None => p.push("connection_id", "is required for a SQL resource"),
                }
                for name in &uri_params {
                    if !self.parameters.iter().any(|d| &d.name == name) {
                        p.push("uri_template", format!("{{{name}}} has no parameter declared"));
                    }
                }
                for (i, d) in self.parameters.iter().enumerate() {
                    if !uri_params.contains(&d.name) {
                        p.push(format!("parameters[{i}]"), format!("{:?} is not a variable of uri_template", d.name));
                    }
                }
            }
            (None, Some(content)) => {
                check_len("static_content", Some(content), 1_000_000, &mut p);
                if self.connection_id.is_some() {
                    p.push("connection_id", "must be empty for static content");
                }
                if !uri_params.is_empty() || !self.parameters.is_empty() {
                    p.push("uri_template", "static content cannot take parameters; use a fixed URI");
                }
            }
            _ => p.push("sql_query", "give either sql_query (with connection_id) or static_content, not both"),
        }
        p.into_result().map_err(ApiError::Invalid)
    }

    fn into_active(self) -> resource::ActiveModel {
        resource::ActiveModel {
            connection_id: Set(self.connection_id.map(|c| c.to_string())),
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            description: Set(self.description),
            uri_template: Set(self.uri_template),
            sql_query: Set(self.sql_query),
            static_content: Set(self.static_content),
            parameters: Set(to_column(&self.parameters)),
            mime_type: Set(self.mime_type),
            tags: Set(to_column(&self.tags)),
            is_enabled: Set(self.is_enabled),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

#[utoipa::path(get, path = "/resources", tag = "resources", params(PageQuery), security(("session" = [])),
    responses((status = 200, body = Page<Resource>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_resources(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<AppJson<Page<Resource>>> {
    Ok(AppJson(published::list(&s, q).await?))
}

#[utoipa::path(post, path = "/resources", tag = "resources", request_body = ResourceFields, security(("session" = [])),
    responses((status = 201, body = Resource), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_resource(
    State(s): State<AppState>,
    AppJson(fields): AppJson<ResourceFields>,
) -> ApiResult<(StatusCode, AppJson<Resource>)> {
    Ok((StatusCode::CREATED, AppJson(published::create(&s, fields).await?)))
}

#[utoipa::path(get, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Resource), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_resource(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Resource>> {
    Ok(AppJson(published::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = ResourcePatch,
    responses((status = 200, body = Resource), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_resource(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Resource>> {
    Ok(AppJson(published::update(&s, id, patch).await?))
}

#[utoipa::path(delete, path = "/resources/{id}", tag = "resources", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_resource(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    published::delete::<ResourceFields>(&s, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
