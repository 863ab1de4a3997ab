//! Connections in the store. Secrets arrive here already encrypted (see
//! `model::connection`); deleting a connection deletes its tools and
//! resources in the same transaction.

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use shared_model::manifest::SslMode;
use shared_model::{DbType, Keyring, normalized_name};
use uuid::Uuid;

use super::entities::{connection, resource, tool};
use super::history::{connection_snapshot, snap};
use super::published::Row;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::Linked;
use crate::model::connection::{ConnectionInput, ConnectionPatch, StoredConnection};
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;

const WHAT: &str = "connection";

fn from_model(m: connection::Model) -> Result<StoredConnection, StoreError> {
    Ok(StoredConnection {
        id: m.id.parse().map_err(StoreError::internal)?,
        db_type: DbType::parse(&m.db_type).map_err(|e| StoreError::internal(anyhow::anyhow!(e)))?,
        name: m.name,
        host: m.host,
        port: m.port,
        database: m.database,
        username: m.username,
        password: m.password,
        ssl_mode: serde_json::from_value(Value::String(m.ssl_mode)).unwrap_or_default(),
        allow_cleartext_password: m.allow_cleartext_password,
        extra_params: match m.extra_params {
            Value::Object(map) => map,
            _ => Default::default(),
        },
        pool_min_size: m.pool_min_size,
        pool_max_size: m.pool_max_size,
        max_concurrent_queries: m.max_concurrent_queries,
        queue_timeout_seconds: m.queue_timeout_seconds,
        queue_enabled: m.queue_enabled,
        is_active: m.is_active,
        allowed_functions: serde_json::from_value(m.allowed_functions).unwrap_or_default(),
        read_only_role: m.read_only_role,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn ssl_mode_str(m: SslMode) -> String {
    serde_json::to_value(m).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
}

fn into_active(c: StoredConnection) -> connection::ActiveModel {
    connection::ActiveModel {
        id: Set(c.id.to_string()),
        name_key: Set(normalized_name(&c.name)),
        name: Set(c.name),
        db_type: Set(c.db_type.as_str().into()),
        host: Set(c.host),
        port: Set(c.port),
        database: Set(c.database),
        username: Set(c.username),
        password: Set(c.password),
        ssl_mode: Set(ssl_mode_str(c.ssl_mode)),
        allow_cleartext_password: Set(c.allow_cleartext_password),
        extra_params: Set(Value::Object(c.extra_params)),
        pool_min_size: Set(c.pool_min_size),
        pool_max_size: Set(c.pool_max_size),
        max_concurrent_queries: Set(c.max_concurrent_queries),
        queue_timeout_seconds: Set(c.queue_timeout_seconds),
        queue_enabled: Set(c.queue_enabled),
        is_active: Set(c.is_active),
        allowed_functions: Set(Value::from(c.allowed_functions)),
        read_only_role: Set(c.read_only_role),
        version: Set(c.version),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
    }
}

/// One page, sorted by name.
pub async fn page(
    db: &impl ConnectionTrait,
    skip: u64,
    limit: u64,
) -> Result<(Vec<StoredConnection>, u64), StoreError> {
    let (rows, total) = crud::page::<connection::Entity, _>(db, connection::Column::NameKey, skip, limit).await?;
    Ok((rows.into_iter().map(from_model).collect::<Result<_, _>>()?, total))
}

/// Every connection, sorted by name.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<StoredConnection>, StoreError> {
    let rows = connection::Entity::find().order_by_asc(connection::Column::NameKey).all(db).await?;
    rows.into_iter().map(from_model).collect()
}

/// The connection with `id`.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<StoredConnection, StoreError> {
    from_model(crud::get::<connection::Entity, _>(db, id, WHAT).await?)
}

/// What a tool or resource that names connection `id` links to.
pub async fn link(db: &impl ConnectionTrait, id: Uuid) -> Result<Linked, StoreError> {
    match connection::Entity::find_by_id(id.to_string()).one(db).await? {
        None => Ok(Linked::Missing(id)),
        Some(m) => Ok(Linked::Dialect(from_model(m)?.db_type.dialect())),
    }
}

/// Validates `input`, encrypts its secrets with `keyring` and stores it as version 1.
pub async fn create(
    w: &mut Write<'_>,
    keyring: &Keyring,
    input: ConnectionInput,
) -> Result<StoredConnection, StoreError> {
    let db_type = input.validate()?;
    let password = input.password.as_deref().map(|p| keyring.encrypt(p));
    let row = input.seal(db_type, password, None, keyring);
    let (id, name) = (row.id, row.name.clone());
    let saved = from_model(crud::insert(w.tx(), into_active(row), WHAT, &name).await?)?;
    let state = State { version: Some(saved.version), before: None, after: Some(connection_snapshot(&saved)) };
    w.record(Kind::Connection, id.to_string(), name, Action::Created, state);
    Ok(saved)
}

/// Applies `patch` to connection `id` if its version is still the one the edit was based on.
pub async fn update(
    w: &mut Write<'_>,
    keyring: &Keyring,
    id: Uuid,
    patch: ConnectionPatch,
) -> Result<StoredConnection, StoreError> {
    let current = get(w.tx(), id).await?;
    crud::check_version(patch.version, current.version)?;
    patch.check_repoint(&current)?;
    let (input, password) = patch.over(&current, keyring);
    let db_type = input.validate()?;
    let row = input.seal(db_type, password, Some(&current), keyring);
    let name = row.name.clone();
    let active = connection::ActiveModel { created_at: sea_orm::ActiveValue::NotSet, ..into_active(row) };
    let cols = (connection::Column::Id, connection::Column::Version);
    crud::update_versioned(w.tx(), active, cols.0, cols.1, id, current.version, (WHAT, &name)).await?;
    let saved = get(w.tx(), id).await?;
    let state = State {
        version: Some(saved.version),
        before: Some(connection_snapshot(&current)),
        after: Some(connection_snapshot(&saved)),
    };
    w.record(Kind::Connection, id.to_string(), name, Action::Updated, state);
    Ok(saved)
}

/// Writes `row` (from a history snapshot) back: over the current connection
/// as its next version, keeping the current password when the snapshot holds
/// none, or — when it was deleted — as a new row with `version_if_new`.
pub(crate) async fn restore(
    w: &mut Write<'_>,
    mut row: StoredConnection,
    version_if_new: i32,
) -> Result<StoredConnection, StoreError> {
    let id = row.id;
    row.updated_at = chrono::Utc::now();
    let name = row.name.clone();
    let Some(current) = connection::Entity::find_by_id(id.to_string()).one(w.tx()).await? else {
        row.version = version_if_new;
        row.created_at = row.updated_at;
        let saved = from_model(crud::insert(w.tx(), into_active(row), WHAT, &name).await?)?;
        let state = State { version: Some(saved.version), before: None, after: Some(connection_snapshot(&saved)) };
        w.record(Kind::Connection, id.to_string(), name, Action::Created, state);
        return Ok(saved);
    };
    let current = from_model(current)?;
    row.password = row.password.or_else(|| current.password.clone());
    row.version = current.version + 1;
    row.created_at = current.created_at;
    let cols = (connection::Column::Id, connection::Column::Version);
    crud::update_versioned(w.tx(), into_active(row), cols.0, cols.1, id, current.version, (WHAT, &name)).await?;
    let saved = get(w.tx(), id).await?;
    let state = State {
        version: Some(saved.version),
        before: Some(connection_snapshot(&current)),
        after: Some(connection_snapshot(&saved)),
    };
    w.record(Kind::Connection, id.to_string(), name, Action::Updated, state);
    Ok(saved)
}

/// Deletes connection `id` with its tools and resources.
pub async fn delete(w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
    let current = get(w.tx(), id).await?;
    let owned = |col: tool::Column| col.eq(id.to_string());
    for t in tool::Entity::find().filter(owned(tool::Column::ConnectionId)).all(w.tx()).await? {
        let gone = ToolFields::from_model(t)?;
        let state = State { version: Some(gone.version), before: snap(&gone), after: None };
        w.record(Kind::Tool, gone.id.to_string(), gone.fields.name.clone(), Action::Deleted, state);
    }
    let owned = resource::Column::ConnectionId.eq(id.to_string());
    for r in resource::Entity::find().filter(owned).all(w.tx()).await? {
        let gone = ResourceFields::from_model(r)?;
        let state = State { version: Some(gone.version), before: snap(&gone), after: None };
        w.record(Kind::Resource, gone.id.to_string(), gone.fields.name.clone(), Action::Deleted, state);
    }
    tool::Entity::delete_many().filter(tool::Column::ConnectionId.eq(id.to_string())).exec(w.tx()).await?;
    resource::Entity::delete_many().filter(resource::Column::ConnectionId.eq(id.to_string())).exec(w.tx()).await?;
    crud::delete::<connection::Entity, _>(w.tx(), id, WHAT).await?;
    let state = State { version: Some(current.version), before: Some(connection_snapshot(&current)), after: None };
    w.record(Kind::Connection, id.to_string(), current.name.clone(), Action::Deleted, state);
    Ok(())
}
