//! Rollback: a history entry's snapshot written back as a NEW version
//! through the ordinary storage functions, so it is validated like any edit
//! and recorded (action `rollback`, `rolled_back_to` = the entry). A deleted
//! entity is recreated under its old id, one version past its last. What
//! cannot apply is refused with a conflict that says what to do, and the
//! store stays as it was.
//!
//! Rolling back a connection restores its own fields only (the password too
//! when the snapshot holds one, else the current one stays); tools and
//! resources deleted with it have their own delete entries to roll back.
//! The auth settings (`auth_mode`, its acknowledgement, `oauth`) are never
//! rolled back: so a rollback neither weakens MCP auth nor loses or
//! resurrects the OAuth introspection secret, which history never holds.
//! Tokens cannot be rolled back: history never keeps their hash.

use serde_json::{Map, Value};
use shared_model::Keyring;
use uuid::Uuid;

use super::super::published::{self, Row};
use super::super::write::Write;
use super::super::{StoreError, connections, settings};
use super::{connection_from_snapshot, last_version, raw};
use crate::model::Linked;
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;

/// Restores the snapshot of history entry `history_id` in `w`; returns the
/// entity type and id it wrote.
pub async fn rollback(w: &mut Write<'_>, keyring: &Keyring, history_id: i64) -> Result<(String, String), StoreError> {
    let entry = raw(w.tx(), history_id).await?;
    let Some(snapshot) = entry.snapshot.clone() else {
        return Err(StoreError::Conflict(format!("history entry {history_id} holds no snapshot to restore")));
    };
    w.mark_rollback(history_id);
    let (t, id) = (entry.entity_type.as_str(), entry.entity_id.as_str());
    match t {
        "tool" => restore::<ToolFields>(w, id, snapshot).await?,
        "resource" => restore::<ResourceFields>(w, id, snapshot).await?,
        "prompt" => restore::<PromptFields>(w, id, snapshot).await?,
        "connection" => {
            let row = connection_from_snapshot(&snapshot)?;
            let next = last_version(w.tx(), t, id).await?.unwrap_or(0) + 1;
            connections::restore(w, row, next).await.map_err(|e| taken(e, "connection"))?;
        }
        "server_config" => {
            // A rollback never weakens MCP auth: the auth fields are changed
            // only on purpose, with PATCH /server/config.
            let mut patch = object(snapshot);
            patch.remove("auth_mode");
            patch.remove("allow_unauthenticated_network_access");
            patch.remove("oauth");
            settings::update(w, keyring, patch).await?;
        }
        "token" | "agent_token" | "oauth_client" => {
            return Err(StoreError::Conflict(
                "a token or OAuth client cannot be rolled back (its hash is never kept in history); create a new token or client instead".into(),
            ));
        }
        "authorization_server" | "oauth_grant" => {
            return Err(StoreError::Conflict(
                "the authorization server's settings and grants are not rolled back (a secret is never kept in history, a revoked grant stays revoked); change them with PATCH /authorization-server".into(),
            ));
        }
        other => return Err(StoreError::internal(anyhow::anyhow!("unknown entity type {other:?} in history"))),
    }
    Ok((entry.entity_type, entry.entity_id))
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

async fn restore<F: Row>(w: &mut Write<'_>, id: &str, snapshot: Value) -> Result<(), StoreError> {
    let uuid: Uuid = id.parse().map_err(StoreError::internal)?;
    let mut fields = object(snapshot);
    for k in ["id", "version", "created_at", "updated_at"] {
        fields.remove(k);
    }
    let parsed: F = serde_json::from_value(Value::Object(fields.clone())).map_err(StoreError::internal)?;
    if let Some(conn) = parsed.connection_id()
        && let Linked::Missing(_) = connections::link(w.tx(), conn).await?
    {
        return Err(StoreError::Conflict(format!(
            "cannot roll back the {what} {name:?}: its connection {conn} no longer exists; roll back the \
             connection's delete in the history first, or edit the {what} to use another connection",
            what = F::WHAT,
            name = parsed.name(),
        )));
    }
    let outcome = match published::get::<F>(w.tx(), uuid).await {
        Ok(_) => published::update::<F>(w, uuid, fields).await.map(drop),
        Err(StoreError::NotFound(_)) => {
            let next = last_version(w.tx(), F::WHAT, id).await?.unwrap_or(0) + 1;
            published::restore::<F>(w, uuid, parsed, next).await.map(drop)
        }
        Err(e) => Err(e),
    };
    outcome.map_err(|e| taken(e, F::WHAT))
}

/// A name conflict, with what to do about it.
fn taken(e: StoreError, what: &str) -> StoreError {
    match e {
        StoreError::Conflict(m) => StoreError::Conflict(format!(
            "cannot roll back: {m}; rename or delete that {what} first, then roll back again"
        )),
        other => other,
    }
}
