//! `/connections`: the databases tools run against. Passwords and secret
//! extra parameters are encrypted at rest and never returned.

use axum::extract::State;
use axum::http::StatusCode;
use mcp_runtime::db::TestOutcome;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::model::Actor;
pub use crate::model::connection::{Connection, ConnectionInput, ConnectionPatch, MASK};
use crate::storage::{connections, write};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(get_connection, update_connection, delete_connection))
        .routes(routes!(test_connection))
}

#[utoipa::path(get, path = "/connections", tag = "connections", params(PageQuery), security(("session" = [])),
    responses((status = 200, body = Page<Connection>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_connections(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<AppJson<Page<Connection>>> {
    Ok(AppJson(list(&s, q).await?))
}

/// One page of connections, by name.
pub async fn list(s: &AppState, q: PageQuery) -> ApiResult<Page<Connection>> {
    let (skip, limit) = q.bounds()?;
    let (rows, total) = connections::page(&s.db, skip, limit).await?;
    Ok(Page { items: rows.into_iter().map(Connection::from).collect(), total })
}

#[utoipa::path(post, path = "/connections", tag = "connections", request_body = ConnectionInput, security(("session" = [])),
    responses((status = 201, body = Connection), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_connection(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(input): AppJson<ConnectionInput>,
) -> ApiResult<(StatusCode, AppJson<Connection>)> {
    Ok((StatusCode::CREATED, AppJson(create(&s, &admin.actor(), input).await?)))
}

/// Validates and stores a new connection (its secrets sealed).
pub async fn create(s: &AppState, actor: &Actor, input: ConnectionInput) -> ApiResult<Connection> {
    let keyring = s.keyring.clone();
    let saved = write(&s.db, actor, |w| Box::pin(async move { connections::create(w, &keyring, input).await })).await?;
    Ok(saved.into())
}

#[utoipa::path(get, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_connection(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Connection>> {
    Ok(AppJson(get(&s, id).await?))
}

/// The connection with `id` (secrets masked), or 404.
pub async fn get(s: &AppState, id: Uuid) -> ApiResult<Connection> {
    Ok(connections::get(&s.db, id).await?.into())
}

#[utoipa::path(patch, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), request_body = ConnectionPatch,
    security(("session" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_connection(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<ConnectionPatch>,
) -> ApiResult<AppJson<Connection>> {
    Ok(AppJson(update(&s, &admin.actor(), id, patch).await?))
}

/// Applies `patch` to the connection with `id`.
pub async fn update(s: &AppState, actor: &Actor, id: Uuid, patch: ConnectionPatch) -> ApiResult<Connection> {
    let keyring = s.keyring.clone();
    let saved =
        write(&s.db, actor, |w| Box::pin(async move { connections::update(w, &keyring, id, patch).await })).await?;
    Ok(saved.into())
}

#[utoipa::path(delete, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted with its tools and resources"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_connection(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    delete(&s, &admin.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the connection with `id` and its tools and resources; closes its pool.
pub async fn delete(s: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    write(&s.db, actor, |w| Box::pin(connections::delete(w, id))).await?;
    s.engine.forget(&id.to_string());
    Ok(())
}

#[utoipa::path(post, path = "/connections/{id}/test", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, description = "The outcome; `success` is false when the database cannot be reached", body = TestOutcome),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn test_connection(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<TestOutcome>> {
    Ok(AppJson(test(&s, id).await?))
}

/// Tries the connection with `id`: reachability, version, least-privilege warnings.
pub async fn test(s: &AppState, id: Uuid) -> ApiResult<TestOutcome> {
    let spec = connections::get(&s.db, id).await?.engine_spec(&s.keyring)?;
    Ok(s.engine.test_connection(&spec).await)
}
