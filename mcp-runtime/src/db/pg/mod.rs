//! PostgreSQL through a pool of [`wire::Conn`]s.
//!
//! Before a read-only call, the statement must pass the read-only policy
//! (`db::policy::pg`; a cached verdict per SQL text, so usually no I/O).
//!
//! Every call is one pipelined exchange behind a single `Sync`, answered in
//! one round trip: `BEGIN READ ONLY` (or `BEGIN` for read-write tools),
//! `SET LOCAL ROLE <read_only_role>` when the connection names one (read-only
//! calls only; ROLLBACK switches back), the cached prepared statement
//! executed to at most `max_rows + 1` rows (so the server itself stops past
//! the cap), then `pg_advisory_unlock_all()`, which releases session advisory
//! locks the statement took, and `ROLLBACK`, which undoes session settings it
//! changed (with a read-only role, the unlock comes after the ROLLBACK). A
//! read-only call runs under the session's `statement_timeout`, set once per
//! connection and timeout outside any transaction (the ROLLBACK keeps it
//! intact); read-write work sets `SET LOCAL statement_timeout` and ends with
//! `COMMIT`. When the statement fails, the rest is skipped by the server and
//! a second exchange rolls back (and unlocks). If the caller's future is
//! dropped mid-call, a cancel request is sent and the connection is
//! discarded; a connection the server closed is discarded too.
//!
//! Statements are prepared once per connection and kept while calls hold
//! them (see `wire::statements`). When a table changes the result type of a
//! statement prepared before, the server refuses it at Bind with `0A000`
//! before anything runs: the statement is prepared again and the call runs
//! once more, so callers see the new columns, not the error.

mod array;
mod bind;
mod decode;
mod describe;
mod errors;
mod interval;
pub(crate) mod schema;
pub(crate) mod wire;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, RecycleError, RecycleResult, Timeouts};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::DataRowBody;
use postgres_types::Type;
use serde_json::{Map, Value};

use super::collect::{Collector, Window};
use super::compile::Compiled;
use super::ident::quote_double;
use super::policy::pg::PgPolicy;
use super::{CONNECT_TIMEOUT, Column, ConnectionSpec, EngineError, Limits};
pub(crate) use describe::describe;
pub(crate) use errors::{connect_error, db_error, error_chain};
pub(crate) use wire::MAX_STATEMENTS;
use wire::{Conn, PgError, Step, Target};

/// Opens and recycles [`Conn`]s for one target.
pub(crate) struct Manager(Target);

impl managed::Manager for Manager {
    type Type = Conn;
    type Error = PgError;

    async fn create(&self) -> Result<Conn, PgError> {
        wire::connect(&self.0).await
    }

    async fn recycle(&self, conn: &mut Conn, _: &Metrics) -> RecycleResult<PgError> {
        if conn.is_reusable() { Ok(()) } else { Err(RecycleError::message("the connection is no longer usable")) }
    }
}

/// A pool of connections to one database, and where cancel requests go.
#[derive(Clone)]
pub(crate) struct PgPool {
    pool: managed::Pool<Manager>,
    target: Arc<Target>,
    /// The read-only policy with its verdict and catalog caches.
    policy: Arc<PgPolicy>,
    /// `SET LOCAL ROLE "<read_only_role>"`, when the connection names a role.
    set_role: Option<Arc<str>>,
}

/// Where `spec` points, with its TLS settings (no I/O).
pub(crate) fn target(spec: &ConnectionSpec) -> Result<Target, EngineError> {
    Ok(Target {
        host: spec.host.clone(),
        port: spec.effective_port(),
        user: spec.username.clone(),
        database: spec.database.clone(),
        password: spec.password.clone(),
        application_name: spec.extra_params.get("application_name").map_or("quarry", String::as_str).to_string(),
        ssl_mode: spec.ssl_mode,
        tls: super::tls::client_config(spec)?.map(Arc::new),
        allow_cleartext_password: spec.allow_cleartext_password,
    })
}

/// Builds a lazy pool sized by the spec (connections open on first use).
pub(crate) fn build(spec: &ConnectionSpec) -> Result<PgPool, EngineError> {
    let target = target(spec)?;
    let pool = managed::Pool::builder(Manager(target.clone()))
        .max_size(spec.max_size())
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| EngineError::Unsupported(format!("cannot build the pool: {e}")))?;
    let role = spec.read_only_role.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let set_role = role.map(|r| Arc::from(format!("SET LOCAL ROLE {}", quote_double(r))));
    let policy = Arc::new(PgPolicy::new(&spec.allowed_functions, role));
    Ok(PgPool { pool, target: Arc::new(target), policy, set_role })
}

impl PgPool {
    /// A pooled connection, waiting at most `wait` for a free one.
    pub(crate) async fn get(&self, wait: Duration) -> Result<Object<Manager>, EngineError> {
        let t = Timeouts { wait: Some(wait), create: Some(CONNECT_TIMEOUT), recycle: Some(Duration::from_secs(5)) };
        self.pool.timeout_get(&t).await.map_err(|e| errors::pool_error(e, self.pool.status().max_size))
    }

    /// Connections lent out and idle.
    pub(crate) fn state(&self) -> super::PoolState {
        let s = self.pool.status();
        super::PoolState { in_use: s.size.saturating_sub(s.available), idle: s.available, max: s.max_size }
    }
}

/// Sends a cancel request and discards the connection if dropped while the
/// server may still be working for the caller.
struct CancelOnDrop {
    conn: Option<Object<Manager>>,
    target: Arc<Target>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take_if(|c| c.is_busy()) else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let (key, target) = (conn.key(), self.target.clone());
        // Detached: a late cancel must never hit a later call on this connection.
        drop(Object::take(conn));
        rt.spawn(async move { wire::cancel(&target, key).await });
    }
}

/// Columns, rows and whether they were cut.
type Output = (Vec<Column>, Vec<Map<String, Value>>, bool);

/// Runs a compiled statement on a pooled connection.
pub(crate) async fn execute(
    pool: &PgPool,
    c: &Compiled,
    read_only: bool,
    limits: &Window,
) -> Result<Output, EngineError> {
    let mut guard = CancelOnDrop { conn: Some(pool.get(limits.timeout).await?), target: pool.target.clone() };
    let Some(conn) = guard.conn.as_deref_mut() else { return Err(EngineError::Database("connection lost".into())) };
    if read_only {
        pool.policy.check(&c.sql, conn).await?;
    }
    let role = if read_only { pool.set_role.as_deref() } else { None };
    run(conn, c, read_only, role, limits).await
}

async fn run(
    conn: &mut Conn,
    c: &Compiled,
    read_only: bool,
    role: Option<&str>,
    limits: &Window,
) -> Result<Output, EngineError> {
    let cached = conn.has_prepared(&c.sql);
    match call(conn, c, read_only, role, limits).await {
        // "cached plan must not change result type": a table changed under the
        // statement this connection prepared earlier. The server refuses at
        // Bind, before the statement runs, and the transaction was rolled
        // back, so the call is prepared again and run once more.
        Err(Failed::Pg(e)) if cached && e.code() == Some(STALE_PLAN) => {
            tracing::debug!(error = %e, "A table changed under a prepared statement; preparing it again.");
            conn.forget(&c.sql);
            call(conn, c, read_only, role, limits).await.map_err(|f| f.into_engine(conn, &c.sql, limits))
        }
        ran => ran.map_err(|f| f.into_engine(conn, &c.sql, limits)),
    }
}

/// SQLSTATE `feature_not_supported`, which "cached plan must not change result type" uses.
const STALE_PLAN: &str = "0A000";

/// Why one attempt at a call failed.
enum Failed {
    Pg(PgError),
    Engine(EngineError),
}

impl Failed {
    fn into_engine(self, conn: &mut Conn, sql: &str, limits: &Limits) -> EngineError {
        match self {
            Failed::Pg(e) => {
                if e.code() == Some(STALE_PLAN) {
                    // Whatever the cause, the next call prepares the statement again.
                    conn.forget(sql);
                }
                db_error(e, limits)
            }
            Failed::Engine(e) => e,
        }
    }
}

impl From<PgError> for Failed {
    fn from(e: PgError) -> Failed {
        Failed::Pg(e)
    }
}

/// One attempt: prepare (or reuse) the statements, run the pipeline, and
/// roll back after a failure. `role` is the `SET LOCAL ROLE` statement to
/// run right after `BEGIN`, in the same pipeline.
async fn call(
    conn: &mut Conn,
    c: &Compiled,
    read_only: bool,
    role: Option<&str>,
    limits: &Window,
) -> Result<Output, Failed> {
    let stmt = conn.prepare(&c.sql).await?;
    if read_only && stmt.columns.is_empty() {
        return Err(Failed::Engine(EngineError::ReadOnly(
            "a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into(),
        )));
    }
    let columns = super::unique_columns(stmt.columns.iter().map(|(name, ty)| (name.as_str(), ty.name())));
    let ms = limits.timeout.as_millis().max(1);
    // Read-only calls run under the session's `statement_timeout`: ROLLBACK
    // undoes whatever the statement changed, so it holds for the next call.
    // Work that commits may have changed it, so a read-write call sets its own
    // with `SET LOCAL` (a utility statement, prepared once per connection and
    // timeout: no trip through the planner and executor, unlike
    // `SELECT set_config(…)`) and the session's is set again afterwards.
    let timeout = if read_only {
        conn.set_session_timeout(ms).await?;
        None
    } else {
        conn.forget_session_timeout();
        Some(conn.prepare(&format!("SET LOCAL statement_timeout = {ms}")).await?)
    };
    let begin = conn.prepare(if read_only { "BEGIN READ ONLY" } else { "BEGIN" }).await?;
    let set_role = match role {
        Some(sql) => Some(conn.prepare(sql).await?),
        None => None,
    };
    // Prepared beforehand: a failed transaction accepts nothing but ROLLBACK.
    let rollback = conn.prepare("ROLLBACK").await?;
    let (commit, unlock) = match read_only {
        true => (None, Some(conn.prepare(UNLOCK).await?)),
        false => (Some(conn.prepare("COMMIT").await?), None),
    };
    // A read-only call releases the session advisory locks the statement took
    // inside its transaction, which saves the server a transaction of its own
    // per call; as the read-only role, which may not be allowed to, it does so
    // after ROLLBACK has switched back. After a failure: ROLLBACK, then unlock.
    let ends = match (read_only, role) {
        (true, None) => [unlock.as_ref(), Some(&rollback)],
        (true, Some(_)) => [Some(&rollback), unlock.as_ref()],
        (false, _) => [commit.as_ref(), None],
    };
    let undo = [Some(&rollback), unlock.as_ref()];
    let params: Vec<Option<String>> = c.binds.iter().map(bind::text).collect();
    let mut collector = Collector::new(limits);
    let fetch = i32::try_from(collector.fetch_limit()).unwrap_or(i32::MAX);
    let mut steps = vec![bare(&begin)];
    steps.extend([&set_role, &timeout].into_iter().flatten().map(bare));
    let main = steps.len();
    steps.push(Step { stmt: &stmt, params: &params, max_rows: fetch });
    steps.extend(ends.into_iter().flatten().map(bare));
    let mut open = true;
    let template = row_template(&columns);
    let ran = conn
        .pipeline(&steps, main, |row| {
            if open {
                open = collector.push(row_json(row, &stmt.columns, &template)?);
            }
            Ok(())
        })
        .await;
    if ran.is_err() && conn.in_failed_transaction() {
        let undo: Vec<Step> = undo.into_iter().flatten().map(bare).collect();
        // A connection the rollback fails on is not reused (see `Conn::is_reusable`).
        let _ = conn.pipeline(&undo, usize::MAX, |_| Ok(())).await;
    }
    ran?;
    let (rows, truncated) = collector.finish();
    Ok((columns, rows, truncated))
}

/// Releases session advisory locks the statement may have taken.
const UNLOCK: &str = "SELECT pg_advisory_unlock_all()";

/// A step that binds no parameters and keeps no rows.
fn bare(stmt: &Arc<wire::Statement>) -> Step<'_> {
    Step { stmt, params: &[], max_rows: 0 }
}

/// A row with every column set to null: each row starts as a copy of it, so
/// no row hashes its column names again (the map keeps the query's order).
fn row_template(columns: &[Column]) -> Map<String, Value> {
    columns.iter().map(|c| (c.name.clone(), Value::Null)).collect()
}

fn row_json(
    row: &DataRowBody,
    types: &[(String, Type)],
    template: &Map<String, Value>,
) -> io::Result<Map<String, Value>> {
    let buf = row.buffer();
    let mut out = template.clone();
    let mut ranges = row.ranges();
    for (slot, (_, ty)) in out.values_mut().zip(types) {
        if let Some(r) = ranges.next()?.flatten() {
            *slot = decode::decode(ty, &buf[r]).unwrap_or_else(|e| Value::String(format!("<{e}>")));
        }
    }
    Ok(out)
}
