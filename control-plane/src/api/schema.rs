//! `/schema/{connection_id}/…`: browse the tables and columns a connection sees.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::connections::engine_spec;
use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, AppJson};
use crate::storage::crud;
use crate::storage::entities::connection;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tables)).routes(routes!(list_columns))
}

/// A table or view.
#[derive(Serialize, ToSchema)]
pub struct Table {
    /// Schema (PostgreSQL), database (MySQL) or `main` (SQLite).
    pub schema: String,
    /// Table name.
    pub name: String,
    /// `table` or `view`.
    pub kind: String,
}

/// A column of a table.
#[derive(Serialize, ToSchema)]
pub struct TableColumn {
    pub name: String,
    /// The database's type name.
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    /// The default expression, if any.
    pub default: Option<String>,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

async fn spec_of(s: &AppState, id: Uuid) -> ApiResult<mcp_runtime::db::ConnectionSpec> {
    engine_spec(&crud::get::<connection::Entity, _>(&s.db, id, "connection").await?, &s.keyring)
}

#[utoipa::path(get, path = "/schema/{connection_id}/tables", tag = "schema", params(("connection_id" = Uuid, Path)),
    security(("session" = [])),
    responses((status = 200, body = Vec<Table>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, description = "The database failed", body = ErrorBody), (status = 504, body = ErrorBody)))]
async fn list_tables(
    State(s): State<AppState>,
    ApiPath(connection_id): ApiPath<Uuid>,
) -> ApiResult<AppJson<Vec<Table>>> {
    let spec = spec_of(&s, connection_id).await?;
    let found = s.engine.list_tables(&connection_id.to_string(), &spec).await?;
    let kind = |k| serde_json::to_value(k).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
    Ok(AppJson(found.into_iter().map(|t| Table { schema: t.schema, name: t.name, kind: kind(t.kind) }).collect()))
}

#[utoipa::path(get, path = "/schema/{connection_id}/tables/{table}/columns", tag = "schema",
    params(("connection_id" = Uuid, Path), ("table" = String, Path, description = "`name` or `schema.name`")),
    security(("session" = [])),
    responses((status = 200, body = Vec<TableColumn>), (status = 401, body = ErrorBody),
        (status = 404, description = "No such connection or table", body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 504, body = ErrorBody)))]
async fn list_columns(
    State(s): State<AppState>,
    ApiPath((connection_id, table)): ApiPath<(Uuid, String)>,
) -> ApiResult<AppJson<Vec<TableColumn>>> {
    let spec = spec_of(&s, connection_id).await?;
    let found = s.engine.list_columns(&connection_id.to_string(), &spec, &table).await?;
    Ok(AppJson(
        found
            .into_iter()
            .map(|c| TableColumn {
                name: c.name,
                data_type: c.data_type,
                nullable: c.nullable,
                default: c.default,
                primary_key: c.primary_key,
            })
            .collect(),
    ))
}
