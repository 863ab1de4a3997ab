//! The change history. `Write::commit` calls [`record_edits`] inside its
//! transaction, so a change and its history entry persist together or not at
//! all: one entry per edit of a connection, tool, resource, prompt, the server
//! settings or a token, with the actor (and client address), the version, the
//! full snapshot after the change (the last state for a delete) and the
//! field-level diff against the state before. Release edits and token edits
//! also become audit events (see [`super::audit`]).
//!
//! On disk a connection's snapshot holds its password and secret extra
//! parameters as the store's ciphertext — the same form as the `connections`
//! table — so a rollback can restore them; reads for people mask them, and
//! diffs are masked before they are stored. Token snapshots never hold the hash.

mod diff;
pub mod retention;
pub mod rollback;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::{Value, json};
use shared_model::DbType;

pub use diff::changes;

use super::StoreError;
use super::audit::{self, events};
use super::entities::change_history;
use super::write::{Action, Edit, Kind};
use crate::model::Actor;
use crate::model::connection::StoredConnection;
use crate::model::history::HistoryEntry;

/// The JSON state of a value, for an edit's snapshot.
pub(crate) fn snap<T: Serialize>(v: &T) -> Option<Value> {
    serde_json::to_value(v).ok()
}

/// The name history uses for a kind (`None`: releases, which are audited, not versioned here).
pub fn entity_type(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Connection => "connection",
        Kind::Tool => "tool",
        Kind::Resource => "resource",
        Kind::Prompt => "prompt",
        Kind::ServerSettings => "server_config",
        Kind::Token => "token",
        Kind::AgentToken => "agent_token",
        Kind::OAuthClient => "oauth_client",
        Kind::AuthorizationServer => "authorization_server",
        Kind::OAuthGrant => "oauth_grant",
        Kind::Release => return None,
    })
}

/// Every entity type history knows.
pub const ENTITY_TYPES: [&str; 10] = [
    "connection",
    "tool",
    "resource",
    "prompt",
    "server_config",
    "token",
    "agent_token",
    "oauth_client",
    "authorization_server",
    "oauth_grant",
];

/// Every action an entry can have.
pub const ACTIONS: [&str; 4] = ["create", "update", "delete", "rollback"];

fn action_name(a: Action) -> &'static str {
    match a {
        Action::Created => "create",
        Action::Updated => "update",
        Action::Deleted => "delete",
    }
}

/// A connection's state as history keeps it (secrets as stored: sealed).
pub fn connection_snapshot(c: &StoredConnection) -> Value {
    json!({
        "id": c.id, "name": c.name, "db_type": c.db_type.as_str(), "host": c.host, "port": c.port,
        "database": c.database, "username": c.username, "password": c.password, "ssl_mode": c.ssl_mode,
        "extra_params": c.extra_params, "pool_min_size": c.pool_min_size, "pool_max_size": c.pool_max_size,
        "max_concurrent_queries": c.max_concurrent_queries, "queue_timeout_seconds": c.queue_timeout_seconds,
        "queue_enabled": c.queue_enabled, "is_active": c.is_active, "version": c.version,
        "allowed_functions": c.allowed_functions, "read_only_role": c.read_only_role,
        "created_at": c.created_at, "updated_at": c.updated_at,
    })
}

/// Reads a connection back from its snapshot.
pub(crate) fn connection_from_snapshot(v: &Value) -> Result<StoredConnection, StoreError> {
    let bad = |what: &str| StoreError::internal(anyhow::anyhow!("a connection snapshot lacks {what}"));
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from).ok_or_else(|| bad(k));
    let i = |k: &str| v.get(k).and_then(Value::as_i64).and_then(|n| i32::try_from(n).ok()).ok_or_else(|| bad(k));
    let b = |k: &str| v.get(k).and_then(Value::as_bool).ok_or_else(|| bad(k));
    let t = |k: &str| -> Result<DateTime<Utc>, StoreError> {
        serde_json::from_value(v.get(k).cloned().unwrap_or_default()).map_err(|_| bad(k))
    };
    Ok(StoredConnection {
        id: s("id")?.parse().map_err(|_| bad("id"))?,
        name: s("name")?,
        db_type: DbType::parse(&s("db_type")?).map_err(|_| bad("db_type"))?,
        host: s("host")?,
        port: i("port")?,
        database: s("database")?,
        username: s("username")?,
        password: v.get("password").and_then(Value::as_str).map(String::from),
        ssl_mode: serde_json::from_value(v.get("ssl_mode").cloned().unwrap_or_default()).unwrap_or_default(),
        // Snapshots from before the field existed read as off.
        allow_cleartext_password: v.get("allow_cleartext_password").and_then(Value::as_bool).unwrap_or(false),
        extra_params: v.get("extra_params").and_then(Value::as_object).cloned().unwrap_or_default(),
        pool_min_size: i("pool_min_size")?,
        pool_max_size: i("pool_max_size")?,
        max_concurrent_queries: i("max_concurrent_queries")?,
        queue_timeout_seconds: i("queue_timeout_seconds")?,
        queue_enabled: b("queue_enabled")?,
        is_active: b("is_active")?,
        // Absent in snapshots taken before these settings existed.
        allowed_functions: serde_json::from_value(v.get("allowed_functions").cloned().unwrap_or_default())
            .unwrap_or_default(),
        read_only_role: v.get("read_only_role").and_then(Value::as_str).map(String::from),
        version: i("version")?,
        created_at: t("created_at")?,
        updated_at: t("updated_at")?,
    })
}

/// Writes the history entries and audit events of `edits` in `tx`.
pub(crate) async fn record_edits(
    tx: &DatabaseTransaction,
    actor: &Actor,
    edits: &[Edit],
    rollback_of: Option<i64>,
) -> Result<(), StoreError> {
    let (address, user_agent) = actor.client();
    for e in edits {
        if let Some(event) = audit_event(e) {
            audit::record(tx, actor, event.0, event.1).await?;
        }
        let Some(entity_type) = entity_type(e.kind) else { continue };
        let after = if e.action == Action::Deleted { None } else { e.snapshot.as_ref() };
        let mut changes = changes(e.before.as_ref(), after);
        if e.kind == Kind::Connection {
            diff::mask_connection_changes(&mut changes);
        }
        let row = change_history::ActiveModel {
            entity_type: Set(entity_type.into()),
            entity_id: Set(e.id.clone()),
            entity_name: Set(e.name.clone()),
            action: Set(if rollback_of.is_some() { "rollback" } else { action_name(e.action) }.into()),
            version: Set(e.version),
            actor: Set(actor.to_string()),
            actor_address: Set(address.map(String::from)),
            actor_user_agent: Set(user_agent.map(String::from)),
            snapshot: Set(e.snapshot.clone()),
            changes: Set(Value::Object(changes)),
            rolled_back_to: Set(rollback_of),
            created_at: Set(Utc::now()),
            ..Default::default()
        };
        change_history::Entity::insert(row).exec(tx).await?;
    }
    if let (Some(id), Some(e)) = (rollback_of, edits.first()) {
        let detail =
            json!({"history_id": id, "entity_type": entity_type(e.kind), "entity_id": e.id, "entity_name": e.name});
        audit::record(tx, actor, events::HISTORY_ROLLBACK, detail).await?;
    }
    Ok(())
}

/// The audit event an edit is, if any.
fn audit_event(e: &Edit) -> Option<(&'static str, Value)> {
    let field = |k: &str| e.snapshot.as_ref().and_then(|s| s.get(k)).cloned().unwrap_or(Value::Null);
    match (e.kind, e.action) {
        (Kind::Release, Action::Created) => {
            let from = field("rolled_back_from");
            let event = if from.is_null() { events::DEPLOY } else { events::RELEASE_REDEPLOY };
            Some((
                event,
                json!({"release": field("number"), "content_hash": field("content_hash"), "rolled_back_from": from}),
            ))
        }
        (Kind::Release, _) if field("stopped") == Value::Bool(true) => {
            Some((events::STOP, json!({"release": field("active_release")})))
        }
        (Kind::Token, Action::Created) => {
            Some((events::TOKEN_CREATED, json!({"token_id": e.id, "name": e.name, "prefix": field("prefix")})))
        }
        (Kind::Token, Action::Deleted) => {
            Some((events::TOKEN_REVOKED, json!({"token_id": e.id, "name": e.name, "prefix": field("prefix")})))
        }
        (Kind::AgentToken, Action::Created) => Some((
            events::AGENT_TOKEN_CREATED,
            json!({"token_id": e.id, "name": e.name, "prefix": field("prefix"), "scopes": field("scopes"),
                "expires_at": field("expires_at")}),
        )),
        (Kind::AgentToken, Action::Deleted) => {
            Some((events::AGENT_TOKEN_REVOKED, json!({"token_id": e.id, "name": e.name, "prefix": field("prefix")})))
        }
        (Kind::OAuthClient, Action::Created) => Some((
            events::OAUTH_CLIENT_CREATED,
            json!({"id": e.id, "name": e.name, "client_id": field("client_id"), "scopes": field("scopes")}),
        )),
        (Kind::OAuthGrant, Action::Deleted) => Some((
            events::OAUTH_GRANT_REVOKED,
            json!({"id": e.id, "subject": field("subject"), "client_id": field("client_id")}),
        )),
        (Kind::OAuthClient, Action::Deleted) => {
            Some((events::OAUTH_CLIENT_REVOKED, json!({"id": e.id, "name": e.name, "client_id": field("client_id")})))
        }
        _ => None,
    }
}

/// Which history entries to list.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Only this entity type.
    pub entity_type: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor (`admin:<id>`, `system`).
    pub actor: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time.
    pub until: Option<DateTime<Utc>>,
}

/// A page of entries, newest first, and how many match.
pub async fn page(
    db: &impl ConnectionTrait,
    f: &HistoryFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<HistoryEntry>, u64), StoreError> {
    use change_history::Column as C;
    let equal = [
        (C::EntityType, f.entity_type.as_deref()),
        (C::EntityId, f.entity_id.as_deref()),
        (C::Action, f.action.as_deref()),
        (C::Actor, f.actor.as_deref()),
    ];
    let (rows, total) = crate::storage::crud::recent_page::<change_history::Entity, _>(
        db,
        &equal,
        (C::CreatedAt, f.since, f.until),
        C::Id,
        skip,
        limit,
    )
    .await?;
    Ok((rows.into_iter().map(public).collect(), total))
}

/// Entry `id` as people see it (secrets masked).
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<HistoryEntry, StoreError> {
    Ok(public(raw(db, id).await?))
}

/// The newest entry of an entity.
pub async fn latest(db: &impl ConnectionTrait, entity_type: &str, entity_id: &str) -> Result<HistoryEntry, StoreError> {
    use change_history::Column as C;
    let row = change_history::Entity::find()
        .filter(C::EntityType.eq(entity_type))
        .filter(C::EntityId.eq(entity_id))
        .order_by_desc(C::Id)
        .one(db)
        .await?;
    row.map(public).ok_or_else(|| StoreError::NotFound(format!("no history for {entity_type} {entity_id}")))
}

/// Entry `id` as stored (connection secrets sealed): for rollback only.
pub(crate) async fn raw(db: &impl ConnectionTrait, id: i64) -> Result<change_history::Model, StoreError> {
    change_history::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no history entry with id {id}")))
}

/// The most recent version an entity had, per its history.
pub(crate) async fn last_version(
    db: &impl ConnectionTrait,
    entity_type: &str,
    entity_id: &str,
) -> Result<Option<i32>, StoreError> {
    use change_history::Column as C;
    let v: Option<Option<i32>> = change_history::Entity::find()
        .select_only()
        .column(C::Version)
        .filter(C::EntityType.eq(entity_type))
        .filter(C::EntityId.eq(entity_id))
        .order_by_desc(C::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(v.flatten())
}

fn public(m: change_history::Model) -> HistoryEntry {
    let mut snapshot = m.snapshot;
    if m.entity_type == "connection"
        && let Some(s) = snapshot.as_mut()
    {
        diff::mask_connection(s);
    }
    HistoryEntry {
        id: m.id,
        entity_type: m.entity_type,
        entity_id: m.entity_id,
        entity_name: m.entity_name,
        action: m.action,
        version: m.version,
        actor: m.actor,
        actor_address: m.actor_address,
        actor_user_agent: m.actor_user_agent,
        snapshot,
        changes: m.changes,
        rolled_back_to: m.rolled_back_to,
        created_at: m.created_at,
    }
}
