//! `/schema/{connection_id}/…`: browse the tables and columns a connection sees.

use axum::extract::State;
use mcp_runtime::db::{ColumnInfo, TableInfo};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, AppJson};
use crate::storage::connections;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_tables)).routes(routes!(list_columns))
}

async fn spec_of(s: &AppState, id: Uuid) -> ApiResult<mcp_runtime::db::ConnectionSpec> {
    Ok(connections::get(&s.db, id).await?.engine_spec(&s.keyring)?)
}

#[utoipa::path(get, path = "/schema/{connection_id}/tables", tag = "schema", params(("connection_id" = Uuid, Path)),
    security(("session" = [])),
    responses((status = 200, body = Vec<TableInfo>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, description = "The database failed", body = ErrorBody), (status = 504, body = ErrorBody)))]
async fn list_tables(
    State(s): State<AppState>,
    ApiPath(connection_id): ApiPath<Uuid>,
) -> ApiResult<AppJson<Vec<TableInfo>>> {
    Ok(AppJson(tables(&s, connection_id).await?))
}

/// The tables and views the connection `connection_id` sees.
pub async fn tables(s: &AppState, connection_id: Uuid) -> ApiResult<Vec<TableInfo>> {
    let spec = spec_of(s, connection_id).await?;
    Ok(s.engine.list_tables(&connection_id.to_string(), &spec).await?)
}

#[utoipa::path(get, path = "/schema/{connection_id}/tables/{table}/columns", tag = "schema",
    params(("connection_id" = Uuid, Path), ("table" = String, Path, description = "`name` or `schema.name`")),
    security(("session" = [])),
    responses((status = 200, body = Vec<ColumnInfo>), (status = 401, body = ErrorBody),
        (status = 404, description = "No such connection or table", body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody), (status = 504, body = ErrorBody)))]
async fn list_columns(
    State(s): State<AppState>,
    ApiPath((connection_id, table)): ApiPath<(Uuid, String)>,
) -> ApiResult<AppJson<Vec<ColumnInfo>>> {
    Ok(AppJson(columns(&s, connection_id, &table).await?))
}

/// The columns of `table` (`name` or `schema.name`) on connection `connection_id`.
pub async fn columns(s: &AppState, connection_id: Uuid, table: &str) -> ApiResult<Vec<ColumnInfo>> {
    let spec = spec_of(s, connection_id).await?;
    Ok(s.engine.list_columns(&connection_id.to_string(), &spec, table).await?)
}
