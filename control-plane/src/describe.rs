//! Tools' result columns, as their databases describe the statements (see
//! `mcp_runtime::db::Engine::describe`: prepared, never run). Each release
//! derives a tool's output schema from them (`release::build`).
//!
//! When they are described:
//! - **on save** (`api/tools.rs`): creating or editing a tool describes its
//!   SQL, within [`DESCRIBE_TIMEOUT`], and the columns are stored with the
//!   tool in the same write. A database that cannot be asked does not block
//!   the save: an edit that changed the SQL, connection or parameters then
//!   stores no columns (`ToolFields::drop_stale`), one that did not keeps them.
//! - **on deploy** ([`check`], before the deploy's write): every enabled tool
//!   is described again. Columns missing (saved while the database was away,
//!   or imported) are filled in by the deploy's own write ([`fill`]); columns
//!   that differ from the stored ones — a table changed after the tool was
//!   saved — are a problem naming the tool, and nothing is deployed until it
//!   is saved again: a client must not learn of the change by failing to
//!   validate a result. A database the check cannot reach is logged, not
//!   refused (the previous behaviour): its tools keep the columns they have.
//! - **on redeploy** ([`check_release`]): a stored release published again
//!   (rollback) carries the output schemas of its time; each tool is
//!   described again and a schema the database no longer matches is a
//!   problem naming the tool, so nothing is redeployed. Unreachable databases
//!   are logged, as on deploy.
//! - **on preview** (`api/preview.rs`): the previewed statement is described
//!   to show the output schema the release would carry; nothing is stored.

use std::collections::HashMap;
use std::time::Duration;

use mcp_runtime::db::{ColumnDesc, Engine, EngineError};
use mcp_runtime::shape;
use serde_json::{Map, Value};
use shared_model::manifest::Manifest;
use shared_model::{Keyring, ParamDef, Problems};
use uuid::Uuid;

use crate::model::tool::{RESULT_COLUMNS, ToolFields};
use crate::storage::{Conn, StoreError, Write, connections, published};

/// The longest a save or a deploy waits for one statement's description.
pub const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Describes the statement of `tool` on its connection.
pub async fn describe(
    db: &impl Conn,
    engine: &Engine,
    keyring: &Keyring,
    tool: &ToolFields,
) -> Result<Vec<ColumnDesc>, EngineError> {
    describe_sql(db, engine, keyring, tool.connection_id, &tool.sql_query, &tool.parameters).await
}

/// Describes `sql` with `parameters` on the stored connection `connection_id`.
pub async fn describe_sql(
    db: &impl Conn,
    engine: &Engine,
    keyring: &Keyring,
    connection_id: Uuid,
    sql: &str,
    parameters: &[ParamDef],
) -> Result<Vec<ColumnDesc>, EngineError> {
    let conn = connections::get(db, connection_id).await.map_err(|e| EngineError::NotFound(e.to_string()))?;
    let spec = conn.engine_spec(keyring).map_err(|e| EngineError::Unsupported(e.to_string()))?;
    engine.describe(&connection_id.to_string(), &spec, sql, parameters, DESCRIBE_TIMEOUT).await
}

/// [`describe`] for a save: the columns, or `None` (logged) when the
/// database could not describe the statement.
pub async fn on_save(db: &impl Conn, engine: &Engine, keyring: &Keyring, tool: &ToolFields) -> Option<Vec<ColumnDesc>> {
    match describe(db, engine, keyring, tool).await {
        Ok(columns) => Some(columns),
        Err(e) => {
            tracing::info!(tool = %tool.name, error = %e, "A tool's result columns could not be described; the deploy will try again.");
            None
        }
    }
}

/// The patch field holding freshly described columns.
pub fn patch_field(columns: &[ColumnDesc]) -> (String, Value) {
    (RESULT_COLUMNS.to_string(), serde_json::to_value(columns).expect("columns serialize"))
}

/// What the deploy check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Tools whose stored columns no longer match the database.
    pub problems: Problems,
    /// Tools that had no columns, with the ones described now and the fields they were described for.
    pub derived: Vec<(Uuid, ToolFields, Vec<ColumnDesc>)>,
    /// Tools that could not be checked, and why (for the deploy log).
    pub unchecked: Vec<String>,
}

/// Describes every enabled tool on an active connection again and compares
/// with its stored columns. A connection that cannot be reached is asked
/// once: its other tools are reported unchecked without waiting again.
pub async fn check(db: &impl Conn, engine: &Engine, keyring: &Keyring) -> Result<Checked, StoreError> {
    let active: HashMap<Uuid, bool> = connections::all(db).await?.into_iter().map(|c| (c.id, c.is_active)).collect();
    let mut out = Checked::default();
    let mut probe = Probe::default();
    for tool in published::all::<ToolFields>(db).await? {
        let t = tool.fields;
        if !t.is_enabled || active.get(&t.connection_id) != Some(&true) {
            continue;
        }
        let described = probe.describe(db, engine, keyring, &t.name, t.connection_id, &t.sql_query, &t.parameters);
        match described.await {
            Err(why) => out.unchecked.push(why),
            Ok(now) => match &t.result_columns {
                None => out.derived.push((tool.id, t, now)),
                Some(saved) if *saved == now => {}
                Some(saved) => out.problems.push(
                    format!("tools.{}.sql_query", t.name),
                    format!(
                        "the database now describes other result columns than the tool was saved with ({}), so its \
                         output schema no longer holds; save the tool again to derive it anew",
                        differences(saved, &now).join("; ")
                    ),
                ),
            },
        }
    }
    Ok(out)
}

/// Describes statements for a check, asking a connection that cannot be reached only once.
#[derive(Default)]
struct Probe {
    unreachable: HashMap<Uuid, String>,
}

impl Probe {
    /// The columns of tool `name`'s statement, or why they could not be described (for the deploy log).
    #[allow(clippy::too_many_arguments)]
    async fn describe(
        &mut self,
        db: &impl Conn,
        engine: &Engine,
        keyring: &Keyring,
        name: &str,
        connection_id: Uuid,
        sql: &str,
        parameters: &[ParamDef],
    ) -> Result<Vec<ColumnDesc>, String> {
        if let Some(why) = self.unreachable.get(&connection_id) {
            return Err(format!("{name}: {why}"));
        }
        describe_sql(db, engine, keyring, connection_id, sql, parameters).await.map_err(|e| {
            if matches!(e, EngineError::Connect(_) | EngineError::Timeout(_) | EngineError::PoolExhausted(_)) {
                self.unreachable.insert(connection_id, e.to_string());
            }
            format!("{name}: {e}")
        })
    }
}

/// The redeploy check: describes every tool of the stored release `manifest`
/// (release `number`) again, on the store's connection of the name the
/// release uses, derives its output schema the way the build does
/// (`shape::output_schema`, with the release's return type, `exact_numerics`
/// and paging) and compares it with the schema the release carries. A
/// mismatch is a problem naming the tool: redeploying would advertise a
/// schema the results no longer keep. A tool whose release carries no schema
/// has nothing to break; a database or connection that cannot be asked is
/// reported unchecked (logged, not refused), as in [`check`].
pub async fn check_release(
    db: &impl Conn,
    engine: &Engine,
    keyring: &Keyring,
    manifest: &Manifest,
    number: i64,
) -> Result<Checked, StoreError> {
    let stored: HashMap<String, Uuid> = connections::all(db).await?.into_iter().map(|c| (c.name, c.id)).collect();
    let mut out = Checked::default();
    let mut probe = Probe::default();
    for t in &manifest.tools {
        let Some(carried) = &t.output_schema else { continue };
        let (Some(conn), Some(&id)) =
            (manifest.connections.iter().find(|c| c.id == t.connection), stored.get(&t.connection))
        else {
            out.unchecked.push(format!("{}: its connection {:?} is no longer in the store", t.name, t.connection));
            continue;
        };
        let columns = match probe.describe(db, engine, keyring, &t.name, id, &t.sql, &t.parameters).await {
            Err(why) => {
                out.unchecked.push(why);
                continue;
            }
            Ok(columns) => columns,
        };
        let now =
            shape::output_schema(conn.db_type, &columns, t.return_type, manifest.server.exact_numerics, t.pageable);
        if now != *carried {
            let listed: Vec<String> = columns.iter().map(|c| format!("`{}` {}", c.name, c.sql_type)).collect();
            out.problems.push(
                format!("tools.{}.sql_query", t.name),
                format!(
                    "the database now describes other result columns ({}) than release {number} was built with, so \
                     the output schema it carries no longer holds; deploy the current tools instead (save the tool \
                     again to derive its schema anew), or restore the columns it expects",
                    if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
                ),
            );
        }
    }
    Ok(out)
}

/// Stores the columns [`check`] derived, in the deploy's write, for each tool
/// whose SQL, connection and parameters are still those described.
pub async fn fill(w: &mut Write<'_>, derived: Vec<(Uuid, ToolFields, Vec<ColumnDesc>)>) -> Result<(), StoreError> {
    for (id, described, columns) in derived {
        let current = published::get::<ToolFields>(w.tx(), id).await?.fields;
        let same = current.sql_query == described.sql_query
            && current.connection_id == described.connection_id
            && current.parameters == described.parameters;
        if same && current.result_columns.is_none() {
            let patch: Map<String, Value> = [patch_field(&columns)].into_iter().collect();
            published::update::<ToolFields>(w, id, patch).await?;
        }
    }
    Ok(())
}

/// What changed between the stored and the described columns, by name.
fn differences(saved: &[ColumnDesc], now: &[ColumnDesc]) -> Vec<String> {
    let mut out = Vec::new();
    for s in saved {
        match now.iter().find(|n| n.name == s.name) {
            None => out.push(format!("`{}` is gone", s.name)),
            Some(n) if n.sql_type != s.sql_type => {
                out.push(format!("`{}` is {} instead of {}", s.name, n.sql_type, s.sql_type))
            }
            Some(n) if n.nullable != s.nullable => out.push(format!(
                "`{}` is {}",
                s.name,
                if n.nullable == Some(false) { "no longer nullable" } else { "now nullable" }
            )),
            Some(_) => {}
        }
    }
    for n in now.iter().filter(|n| !saved.iter().any(|s| s.name == n.name)) {
        out.push(format!("`{}` is new", n.name));
    }
    if out.is_empty() {
        out.push("the columns are in another order".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, sql_type: &str) -> ColumnDesc {
        ColumnDesc { name: name.into(), sql_type: sql_type.into(), nullable: None }
    }

    #[test]
    fn differences_name_each_changed_column() {
        let saved = [col("id", "int4"), col("amount", "numeric"), col("old", "text")];
        let now = [col("id", "int4"), col("amount", "text"), col("new", "int8")];
        assert_eq!(differences(&saved, &now), ["`amount` is text instead of numeric", "`old` is gone", "`new` is new"]);
    }
}
