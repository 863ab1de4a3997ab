//! `/connections`: the databases tools run against. Passwords and secret
//! extra parameters are encrypted at rest and never returned.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use mcp_runtime::db::{ConnectionSpec, TestOutcome};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::SslMode;
use shared_model::{DbType, Keyring, Problems, normalized_name, validate_name};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, AppJson};
use crate::storage::crud;
use crate::storage::entities::{connection, resource, tool};

/// What secrets look like in responses.
pub const MASK: &str = "••••••";
const WHAT: &str = "connection";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(get_connection, update_connection, delete_connection))
        .routes(routes!(test_connection))
}

/// The editable fields of a connection (the password is handled apart).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// Unique, MCP-safe name (letters, digits, `_`, `-`; 1–64).
    pub name: String,
    /// `postgresql`, `mysql` (also MariaDB) or `sqlite`.
    pub db_type: String,
    /// Server host name or address (not used for SQLite).
    #[serde(default)]
    pub host: String,
    /// Server port; defaults to the engine's usual port (not used for SQLite).
    pub port: Option<u16>,
    /// Database name, or the file path for SQLite.
    pub database: String,
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// Password; stored encrypted, never returned.
    pub password: Option<String>,
    /// TLS policy: `disable`, `prefer` (default), `require`, `verify-ca`, `verify-full`.
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// Extra driver parameters (e.g. `ssl_ca`); keys naming a password, secret, token or key are encrypted.
    #[serde(default)]
    pub extra_params: Map<String, Value>,
    /// Connections kept open when idle (0–100, default 0).
    #[serde(default)]
    pub pool_min_size: i32,
    /// Most connections open at once (1–100, default 10).
    #[serde(default = "default_pool_max")]
    pub pool_max_size: i32,
    /// Most queries running at once (1–200, default 5).
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_queries: i32,
    /// Longest a call waits for a slot (1–300 s, default 30).
    #[serde(default = "default_queue_timeout")]
    pub queue_timeout_seconds: i32,
    /// Whether calls queue for a slot (default true).
    #[serde(default = "yes")]
    pub queue_enabled: bool,
    /// Inactive connections and their tools are not deployed (default true).
    #[serde(default = "yes")]
    pub is_active: bool,
}

fn default_pool_max() -> i32 {
    10
}
fn default_max_concurrent() -> i32 {
    5
}
fn default_queue_timeout() -> i32 {
    30
}
fn yes() -> bool {
    true
}

/// A partial update; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub db_type: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub username: Option<String>,
    /// A new password; `null` removes it; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    pub ssl_mode: Option<SslMode>,
    /// Replaces the extra parameters; a secret sent back as the mask keeps its stored value.
    pub extra_params: Option<Map<String, Value>>,
    pub pool_min_size: Option<i32>,
    pub pool_max_size: Option<i32>,
    pub max_concurrent_queries: Option<i32>,
    pub queue_timeout_seconds: Option<i32>,
    pub queue_enabled: Option<bool>,
    pub is_active: Option<bool>,
    /// The version this edit is based on; a stale one is refused with 409.
    pub version: Option<i32>,
}

/// Distinguishes an explicit `null` from an absent field.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A connection as returned by the API.
#[derive(Serialize, ToSchema)]
pub struct Connection {
    pub id: Uuid,
    pub name: String,
    pub db_type: String,
    pub host: String,
    pub port: i32,
    pub database: String,
    pub username: String,
    /// Whether a password is stored.
    pub has_password: bool,
    /// `••••••` when a password is stored.
    pub password_masked: Option<String>,
    pub ssl_mode: SslMode,
    /// Extra parameters with secret values masked.
    pub extra_params: Map<String, Value>,
    pub pool_min_size: i32,
    pub pool_max_size: i32,
    pub max_concurrent_queries: i32,
    pub queue_timeout_seconds: i32,
    pub queue_enabled: bool,
    pub is_active: bool,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// Whether an extra parameter holds a secret, judged by its key.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "private_key", "ssl_key", "credentials"].iter().any(|s| k.contains(s))
}

fn ssl_mode_str(m: SslMode) -> String {
    serde_json::to_value(m).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

impl Connection {
    fn from_model(m: connection::Model) -> Self {
        let mut extra = match m.extra_params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        for (k, v) in extra.iter_mut() {
            if is_secret_key(k) {
                *v = Value::String(MASK.into());
            }
        }
        Connection {
            id: m.id.parse().unwrap_or_default(),
            name: m.name,
            db_type: m.db_type,
            host: m.host,
            port: m.port,
            database: m.database,
            username: m.username,
            has_password: m.password.is_some(),
            password_masked: m.password.map(|_| MASK.into()),
            ssl_mode: serde_json::from_value(Value::String(m.ssl_mode)).unwrap_or_default(),
            extra_params: extra,
            pool_min_size: m.pool_min_size,
            pool_max_size: m.pool_max_size,
            max_concurrent_queries: m.max_concurrent_queries,
            queue_timeout_seconds: m.queue_timeout_seconds,
            queue_enabled: m.queue_enabled,
            is_active: m.is_active,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn range(p: &mut Problems, field: &str, v: i32, lo: i32, hi: i32) {
    if !(lo..=hi).contains(&v) {
        p.push(field, format!("must be between {lo} and {hi} (got {v})"));
    }
}

impl ConnectionInput {
    /// Every problem with the input; returns the parsed engine when valid.
    fn validate(&self) -> Result<DbType, ApiError> {
        let mut p = Problems::default();
        if let Err(e) = validate_name(&self.name) {
            p.push("name", e);
        }
        let db_type = DbType::parse(&self.db_type).map_err(|e| p.push("db_type", e)).ok();
        let file_based = db_type == Some(DbType::Sqlite);
        if !file_based && self.host.trim().is_empty() {
            p.push("host", "is required for a server database");
        }
        if self.host.len() > 255 || self.host.chars().any(char::is_whitespace) {
            p.push("host", "must be a host name or address without spaces (at most 255 characters)");
        }
        if !file_based && self.port == Some(0) {
            p.push("port", "must be between 1 and 65535");
        }
        if self.database.trim().is_empty() || self.database.len() > 1024 {
            p.push("database", "must be 1–1024 characters (the file path for SQLite)");
        }
        if self.username.len() > 255 {
            p.push("username", "must be at most 255 characters");
        }
        if self.password.as_ref().is_some_and(|pw| pw.len() > 1024) {
            p.push("password", "must be at most 1024 characters");
        }
        range(&mut p, "pool_min_size", self.pool_min_size, 0, 100);
        range(&mut p, "pool_max_size", self.pool_max_size, 1, 100);
        if self.pool_min_size > self.pool_max_size {
            p.push("pool_min_size", "must not exceed pool_max_size");
        }
        range(&mut p, "max_concurrent_queries", self.max_concurrent_queries, 1, 200);
        range(&mut p, "queue_timeout_seconds", self.queue_timeout_seconds, 1, 300);
        if serde_json::to_vec(&self.extra_params).map_or(0, |v| v.len()) > 64 * 1024 {
            p.push("extra_params", "must be at most 64 KiB of JSON");
        }
        p.into_result().map_err(ApiError::Invalid)?;
        Ok(db_type.expect("validated above"))
    }

    /// Builds the stored row; `password` is the already-encrypted value to keep.
    fn into_active(
        self,
        db_type: DbType,
        password: Option<String>,
        old_extra: &Map<String, Value>,
        keyring: &Keyring,
    ) -> connection::ActiveModel {
        let extra = seal_extra(self.extra_params, old_extra, keyring);
        connection::ActiveModel {
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            db_type: Set(db_type.as_str().into()),
            port: Set(match db_type {
                DbType::Sqlite => 0,
                t => self.port.or(t.default_port()).map_or(0, i32::from),
            }),
            host: Set(self.host.trim().into()),
            database: Set(self.database),
            username: Set(self.username),
            password: Set(password),
            ssl_mode: Set(ssl_mode_str(self.ssl_mode)),
            extra_params: Set(Value::Object(extra)),
            pool_min_size: Set(self.pool_min_size),
            pool_max_size: Set(self.pool_max_size),
            max_concurrent_queries: Set(self.max_concurrent_queries),
            queue_timeout_seconds: Set(self.queue_timeout_seconds),
            queue_enabled: Set(self.queue_enabled),
            is_active: Set(self.is_active),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

/// Encrypts secret extra parameters; a masked value keeps the stored ciphertext.
fn seal_extra(extra: Map<String, Value>, old: &Map<String, Value>, keyring: &Keyring) -> Map<String, Value> {
    extra
        .into_iter()
        .map(|(k, v)| {
            if !is_secret_key(&k) {
                return (k, v);
            }
            let sealed = match &v {
                Value::String(s) if s == MASK => old.get(&k).cloned().unwrap_or(Value::Null),
                Value::String(s) => Value::String(keyring.encrypt(s)),
                Value::Null => Value::Null,
                other => Value::String(keyring.encrypt(&other.to_string())),
            };
            (k, sealed)
        })
        .collect()
}

fn patch_into_input(m: &connection::Model, p: ConnectionPatch) -> ConnectionInput {
    ConnectionInput {
        name: p.name.unwrap_or_else(|| m.name.clone()),
        db_type: p.db_type.unwrap_or_else(|| m.db_type.clone()),
        host: p.host.unwrap_or_else(|| m.host.clone()),
        port: p.port.or(u16::try_from(m.port).ok()),
        database: p.database.unwrap_or_else(|| m.database.clone()),
        username: p.username.unwrap_or_else(|| m.username.clone()),
        password: p.password.flatten(),
        ssl_mode: p
            .ssl_mode
            .unwrap_or_else(|| serde_json::from_value(Value::String(m.ssl_mode.clone())).unwrap_or_default()),
        extra_params: p.extra_params.unwrap_or_else(|| m.extra_params.as_object().cloned().unwrap_or_default()),
        pool_min_size: p.pool_min_size.unwrap_or(m.pool_min_size),
        pool_max_size: p.pool_max_size.unwrap_or(m.pool_max_size),
        max_concurrent_queries: p.max_concurrent_queries.unwrap_or(m.max_concurrent_queries),
        queue_timeout_seconds: p.queue_timeout_seconds.unwrap_or(m.queue_timeout_seconds),
        queue_enabled: p.queue_enabled.unwrap_or(m.queue_enabled),
        is_active: p.is_active.unwrap_or(m.is_active),
    }
}

#[utoipa::path(get, path = "/connections", tag = "connections", params(PageQuery), security(("session" = [])),
    responses((status = 200, body = Page<Connection>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_connections(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<AppJson<Page<Connection>>> {
    let (skip, limit) = q.bounds()?;
    let (rows, total) = crud::page::<connection::Entity, _>(&s.db, connection::Column::NameKey, skip, limit).await?;
    Ok(AppJson(Page { items: rows.into_iter().map(Connection::from_model).collect(), total }))
}

#[utoipa::path(post, path = "/connections", tag = "connections", request_body = ConnectionInput, security(("session" = [])),
    responses((status = 201, body = Connection), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn create_connection(
    State(s): State<AppState>,
    AppJson(input): AppJson<ConnectionInput>,
) -> ApiResult<(StatusCode, AppJson<Connection>)> {
    let db_type = input.validate()?;
    let password = input.password.as_deref().map(|p| s.keyring.encrypt(p));
    let name = input.name.clone();
    let mut row = input.into_active(db_type, password, &Map::new(), &s.keyring);
    let now = Utc::now();
    row.id = Set(Uuid::new_v4().to_string());
    row.version = Set(1);
    row.created_at = Set(now);
    let saved = crud::insert(&s.db, row, WHAT, &name).await?;
    Ok((StatusCode::CREATED, AppJson(Connection::from_model(saved))))
}

#[utoipa::path(get, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_connection(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<Connection>> {
    Ok(AppJson(Connection::from_model(crud::get::<connection::Entity, _>(&s.db, id, WHAT).await?)))
}

#[utoipa::path(patch, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), request_body = ConnectionPatch,
    security(("session" = [])),
    responses((status = 200, body = Connection), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_connection(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
    AppJson(patch): AppJson<ConnectionPatch>,
) -> ApiResult<AppJson<Connection>> {
    let current = crud::get::<connection::Entity, _>(&s.db, id, WHAT).await?;
    crud::check_version(patch.version, current.version)?;
    let password = match &patch.password {
        None => current.password.clone(),
        Some(None) => None,
        Some(Some(p)) => Some(s.keyring.encrypt(p)),
    };
    let input = patch_into_input(&current, patch);
    let db_type = input.validate()?;
    let name = input.name.clone();
    let old_extra = current.extra_params.as_object().cloned().unwrap_or_default();
    let mut row = input.into_active(db_type, password, &old_extra, &s.keyring);
    row.version = Set(current.version + 1);
    crud::update_versioned(
        &s.db,
        row,
        connection::Column::Id,
        connection::Column::Version,
        id,
        current.version,
        (WHAT, &name),
    )
    .await?;
    Ok(AppJson(Connection::from_model(crud::get::<connection::Entity, _>(&s.db, id, WHAT).await?)))
}

#[utoipa::path(delete, path = "/connections/{id}", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 204, description = "Deleted with its tools and resources"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_connection(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    let tx = s.db.begin().await?;
    tool::Entity::delete_many().filter(tool::Column::ConnectionId.eq(id.to_string())).exec(&tx).await?;
    resource::Entity::delete_many().filter(resource::Column::ConnectionId.eq(id.to_string())).exec(&tx).await?;
    crud::delete::<connection::Entity, _>(&tx, id, WHAT).await?;
    tx.commit().await?;
    s.engine.forget(&id.to_string());
    Ok(StatusCode::NO_CONTENT)
}

/// The engine's view of a stored connection, with its secrets decrypted.
pub fn engine_spec(m: &connection::Model, keyring: &Keyring) -> Result<ConnectionSpec, ApiError> {
    let open = |v: &str| keyring.decrypt(v).map_err(ApiError::internal);
    let db_type = DbType::parse(&m.db_type).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let mut spec = ConnectionSpec::new(db_type, &m.host, u16::try_from(m.port).unwrap_or(0), &m.database, &m.username);
    spec.password = m.password.as_deref().map(open).transpose()?;
    spec.ssl_mode = serde_json::from_value(Value::String(m.ssl_mode.clone())).unwrap_or_default();
    for (k, v) in m.extra_params.as_object().into_iter().flatten() {
        let text = match v {
            Value::Null => continue,
            Value::String(s) if is_secret_key(k) => open(s)?,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        spec.extra_params.insert(k.clone(), text);
    }
    spec.pool_min = u32::try_from(m.pool_min_size).unwrap_or(0);
    spec.pool_max = u32::try_from(m.pool_max_size).unwrap_or(1).max(1);
    Ok(spec)
}

#[utoipa::path(post, path = "/connections/{id}/test", tag = "connections", params(("id" = Uuid, Path)), security(("session" = [])),
    responses((status = 200, description = "The outcome; `success` is false when the database cannot be reached", body = TestOutcome),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn test_connection(State(s): State<AppState>, ApiPath(id): ApiPath<Uuid>) -> ApiResult<AppJson<TestOutcome>> {
    let row = crud::get::<connection::Entity, _>(&s.db, id, WHAT).await?;
    Ok(AppJson(s.engine.test_connection(&engine_spec(&row, &s.keyring)?).await))
}
