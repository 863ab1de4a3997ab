//! `/prompts`: prompt templates whose `{arg}`s are filled by the client.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, DatabaseConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::PromptArgument;
use shared_model::{Problems, normalized_name, validate_name};
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
use crate::storage::entities::prompt;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_prompts, create_prompt)).routes(routes!(
        get_prompt,
        update_prompt,
        delete_prompt
    ))
}

/// The editable fields of a prompt.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PromptFields {
    /// Unique, MCP-safe name.
    pub name: String,
    /// Human-readable title (≤ 255 characters).
    #[serde(default)]
    pub title: Option<String>,
    /// What the prompt is for (1–5000 characters).
    pub description: String,
    /// The text; each `{arg}` is replaced by that argument's value (1–100000 bytes).
    pub template: String,
    /// Declared arguments: name, description, required, default, enum (≤ 50).
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// Free labels (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Disabled prompts are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
}

fn yes() -> bool {
    true
}

/// The documented body of a PATCH.
pub type PromptPatch = Patch<PromptFields>;

/// A prompt as returned by the API.
pub type Prompt = Versioned<PromptFields>;

impl Published for PromptFields {
    type Entity = prompt::Entity;
    const WHAT: &'static str = "prompt";

    fn columns() -> Columns<prompt::Column> {
        Columns {
            id: prompt::Column::Id,
            version: prompt::Column::Version,
            created_at: prompt::Column::CreatedAt,
            name_key: prompt::Column::NameKey,
        }
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn from_model(m: prompt::Model) -> Result<Prompt, ApiError> {
        Ok(Versioned {
            id: m.id.parse().map_err(ApiError::internal)?,
            fields: PromptFields {
                name: m.name,
                title: m.title,
                description: m.description,
                template: m.template,
                arguments: column(&m.arguments)?,
                tags: column(&m.tags)?,
                is_enabled: m.is_enabled,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    async fn validate(&self, _: &DatabaseConnection) -> Result<(), ApiError> {
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        if self.template.trim().is_empty() {
            p.push("template", "must not be empty");
        }
        check_len("template", Some(&self.template), 100_000, &mut p);
        if self.title.as_ref().is_some_and(|t| t.chars().count() > 255) {
            p.push("title", "must be at most 255 characters");
        }
        if self.arguments.len() > 50 {
            p.push("arguments", "at most 50 arguments are allowed");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.arguments.iter().enumerate() {
            let here = format!("arguments[{i}]");
            if let Err(e) = validate_name(&a.name) {
                p.push(format!("{here}.name"), e);
            }
            if !seen.insert(a.name.as_str()) {
                p.push(format!("{here}.name"), format!("argument {:?} is declared twice", a.name));
            }
            if !self.template.contains(&format!("{{{}}}", a.name)) {
                p.push(format!("{here}.name"), format!("the template never uses {{{}}}", a.name));
            }
            if a.description.chars().count() > 1000 {
                p.push(format!("{here}.description"), "must be at most 1000 characters");
            }
            if let Some(d) = &a.default
                && !a.enum_values.is_empty()
                && !a.enum_values.contains(d)
            {
                p.push(format!("{here}.default"), "must be one of the enum values");
            }
        }
        p.into_result().map_err(ApiError::Invalid)
    }

    fn into_active(self) -> prompt::ActiveModel {
        prompt::ActiveModel {
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            title: Set(self.title),
            description: Set(self.description),
            template: Set(self.template),
            arguments: Set(to_column(&self.arguments)),
            tags: Set(to_column(&self.tags)),
            is_enabled: Set(self.is_enabled),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

#[utoipa::path(get, path = "/prompts", tag = "prompts", params(PageQuery), security(("session" = [])),
    responses((status = 200, body = Page<Prompt>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_prompts(State(s): State<AppState>, ApiQuery(q): ApiQuery<PageQuery>) -> ApiResult<AppJson<Page<Prompt>>> {
    Ok(AppJson(published::list(&s, q).await?))
}

#[utoipa::path(post, path = "/prompts", tag = "prompts", request_body = PromptFields, security(("session" = [])),
    responses((status = 201, body = Prompt), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_prompt(
    State(s): State<AppState>,
    AppJson(fields): AppJson<PromptFields>,
) -> ApiResult<(StatusCode, AppJson<Prompt>)> {
    Ok((StatusCode::CREATED, AppJson(published::create(&s, fields).await?)))
}

#[utoipa::path(get, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Prompt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_prompt(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Prompt>> {
    Ok(AppJson(published::get(&s, id).await?))
}

#[utoipa::path(patch, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    request_body = PromptPatch,
    responses((status = 200, body = Prompt), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_prompt(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<Prompt>> {
    Ok(AppJson(published::update(&s, id, patch).await?))
}

#[utoipa::path(delete, path = "/prompts/{id}", tag = "prompts", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_prompt(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    published::delete::<PromptFields>(&s, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
