//! SQLite through sqlx. `database` is the file path. Read-only work uses a
//! separate pool whose connections are opened read-only (`SQLITE_OPEN_READONLY`)
//! with `PRAGMA query_only = ON`; other work uses a read-write pool and a
//! transaction. SQLite has no statement timeout, so a progress handler
//! interrupts the statement at its deadline or when the caller goes away.
//!
//! Other processes may change the schema under a pooled connection (the
//! application that owns the file migrates it). SQLite prepares against the
//! schema a connection last read, and sqlx keeps the columns of the
//! statements it cached, so a changed table would come back with its old
//! columns (and sqlx's worker would index past them). Before each statement
//! the connection's `PRAGMA schema_version` is compared with the one it saw
//! last ([`fresh_schema`]); on a change its cached statements are dropped and
//! the schema is read again.

mod decode;
pub(crate) mod schema;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use serde_json::{Map, Value};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Column as _, Connection, Executor, SqlSafeStr, Sqlite, Statement, TypeInfo};

use super::collect::{Collector, Window};
use super::compile::Compiled;
use super::error::one_line;
use super::{Column, ColumnDesc, ConnectionSpec, EngineError, Limits};

/// A read-only and a read-write pool on the same file (both lazy).
#[derive(Clone)]
pub(crate) struct SqlitePools {
    ro: SqlitePool,
    rw: SqlitePool,
    max: usize,
    /// The schema version each open connection (by its handle) last saw.
    schema_seen: Arc<Mutex<HashMap<usize, i64>>>,
}

pub(crate) fn options(spec: &ConnectionSpec, read_only: bool) -> SqliteConnectOptions {
    let o = SqliteConnectOptions::new()
        .filename(&spec.database)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(5));
    if read_only { o.pragma("query_only", "ON") } else { o }
}

/// Builds both pools, sized by the spec.
pub(crate) fn build(spec: &ConnectionSpec) -> Result<SqlitePools, EngineError> {
    if spec.database.trim().is_empty() {
        return Err(EngineError::Unsupported("a SQLite connection needs the database file path in `database`".into()));
    }
    let pool =
        |ro| SqlitePoolOptions::new().max_connections(spec.max_size() as u32).connect_lazy_with(options(spec, ro));
    Ok(SqlitePools { ro: pool(true), rw: pool(false), max: spec.max_size(), schema_seen: Arc::default() })
}

impl SqlitePools {
    /// Connections lent out and idle, over both pools.
    pub(crate) fn state(&self) -> super::PoolState {
        let (size, idle) = (self.ro.size() + self.rw.size(), self.ro.num_idle() + self.rw.num_idle());
        super::PoolState { in_use: (size as usize).saturating_sub(idle), idle, max: self.max }
    }
}

/// A flag that, once set, makes the progress handler interrupt the statement.
pub(crate) struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A pooled connection with a fresh progress handler: it interrupts work past
/// `deadline` or once the returned guard is dropped. Installing it on every
/// checkout replaces any handler a previous (cancelled) user left behind.
pub(crate) async fn acquire(
    pool: &SqlitePool,
    max: usize,
    deadline: Duration,
) -> Result<(PoolConnection<Sqlite>, StopOnDrop), EngineError> {
    let mut conn = tokio::time::timeout(deadline, pool.acquire())
        .await
        .map_err(|_| EngineError::PoolExhausted(max))?
        .map_err(|e| EngineError::Connect(schema::open_error(&e)))?;
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, until) = (stop.clone(), Instant::now() + deadline);
    let mut handle = conn.lock_handle().await.map_err(|e| EngineError::Database(one_line(&e.to_string())))?;
    handle.set_progress_handler(1000, move || !flag.load(Ordering::Relaxed) && Instant::now() < until);
    drop(handle);
    Ok((conn, StopOnDrop(stop)))
}

fn db_error(e: sqlx::Error, limits: &Limits) -> EngineError {
    let message = match &e {
        sqlx::Error::Database(db) => one_line(db.message()),
        other => one_line(&other.to_string()),
    };
    if message.contains("interrupted") {
        EngineError::Timeout(limits.timeout)
    } else if message.contains("readonly") || message.contains("read-only") || message.contains("query_only") {
        EngineError::ReadOnly(message)
    } else {
        EngineError::Database(message)
    }
}

type Output = (Vec<Column>, Vec<Map<String, Value>>, bool);

/// Runs a compiled statement.
pub(crate) async fn execute(
    p: &SqlitePools,
    c: &Compiled,
    read_only: bool,
    limits: &Window,
) -> Result<Output, EngineError> {
    let pool = if read_only { &p.ro } else { &p.rw };
    let (mut conn, _stop) = acquire(pool, p.max, limits.timeout).await?;
    let err = |e| db_error(e, limits);
    fresh_schema(&mut conn, &p.schema_seen).await.map_err(err)?;
    if read_only {
        return run(&mut conn, c, true, limits).await;
    }
    let mut tx = conn.begin().await.map_err(err)?;
    let out = run(&mut tx, c, false, limits).await?;
    tx.commit().await.map_err(err)?;
    Ok(out)
}

/// The result columns of `c`, prepared on a read-only connection (nothing
/// runs): declared types as results name them; nullability is unknown, as
/// SQLite columns hold whatever a row stores.
pub(crate) async fn describe(p: &SqlitePools, c: &Compiled, limits: &Limits) -> Result<Vec<ColumnDesc>, EngineError> {
    let (mut conn, _stop) = acquire(&p.ro, p.max, limits.timeout).await?;
    fresh_schema(&mut conn, &p.schema_seen).await.map_err(|e| db_error(e, limits))?;
    let stmt = conn.prepare(AssertSqlSafe(c.sql.clone()).into_sql_str()).await.map_err(|e| db_error(e, limits))?;
    let columns = super::unique_columns(stmt.columns().iter().map(|col| (col.name(), col.type_info().name())));
    Ok(columns.into_iter().map(|c| ColumnDesc { name: c.name, sql_type: c.db_type, nullable: None }).collect())
}

/// Makes `conn` prepare against the schema as it is now (see the module doc):
/// one `PRAGMA schema_version` per statement; on a change since this
/// connection's last look (or its first), its cached statements are dropped
/// and a read of `sqlite_schema` makes SQLite load the schema again.
async fn fresh_schema(conn: &mut sqlx::SqliteConnection, seen: &Mutex<HashMap<usize, i64>>) -> Result<(), sqlx::Error> {
    let version: i64 = sqlx::query_scalar("PRAGMA schema_version").fetch_one(&mut *conn).await?;
    let key = conn.lock_handle().await?.as_raw_handle().as_ptr() as usize;
    let changed = {
        let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        // Closed connections leave their entries; past a bound they all go (a lookup miss only refreshes).
        if seen.len() > 1024 {
            seen.clear();
        }
        seen.insert(key, version) != Some(version)
    };
    if changed {
        conn.clear_cached_statements().await?;
        sqlx::query("SELECT 1 FROM sqlite_schema LIMIT 1").execute(&mut *conn).await?;
    }
    Ok(())
}

async fn run(
    conn: &mut sqlx::SqliteConnection,
    c: &Compiled,
    read_only: bool,
    limits: &Window,
) -> Result<Output, EngineError> {
    let err = |e| db_error(e, limits);
    // The SQL was compiled from the admin's text with placeholders only; values are bound.
    let stmt = conn.prepare(AssertSqlSafe(c.sql.clone()).into_sql_str()).await.map_err(err)?;
    if read_only && stmt.columns().is_empty() {
        return Err(EngineError::ReadOnly("a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into()));
    }
    let columns = super::unique_columns(stmt.columns().iter().map(|col| (col.name(), col.type_info().name())));
    let mut query = stmt.query();
    for b in &c.binds {
        query = decode::bind(query, &b.value);
    }
    let mut collector = Collector::new(limits);
    let mut rows = query.fetch(&mut *conn);
    while let Some(row) = rows.try_next().await.map_err(err)? {
        if !collector.push(decode::row_json(&row, &columns)) {
            break;
        }
    }
    let (rows, truncated) = collector.finish();
    Ok((columns, rows, truncated))
}
