//! MySQL and MariaDB through mysql_async.
//!
//! One execution: a single round trip sets the session read-only (so that DDL,
//! which implicitly commits, still cannot write), the statement time limit
//! (MariaDB `max_statement_time`, MySQL `max_execution_time`), a server-side
//! row cap (`sql_select_limit` = `max_rows + 1`) and starts the transaction;
//! then the prepared statement runs and the transaction is rolled back
//! (read-only) or committed. If the caller's future is dropped mid-query, a
//! `KILL QUERY` is sent from another connection and the connection discarded.
//! Pooled connections are reset (`COM_RESET_CONNECTION`) when returned, which
//! releases `GET_LOCK` locks and user variables.

mod decode;
pub(crate) mod errors;
pub(crate) mod schema;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, PoolConstraints, PoolOpts, SslOpts};
use serde_json::{Map, Value};

use super::collect::{Collector, Window};
use super::compile::Compiled;
use super::{CONNECT_TIMEOUT, Column, ConnectionSpec, EngineError, SslMode};
use errors::{db_error, get_conn};

/// A mysql_async pool (cheap to clone).
#[derive(Clone)]
pub(crate) struct MyPool {
    pool: mysql_async::Pool,
    max: usize,
}

/// Driver options for `spec`; `pooled` adds the pool bounds.
pub(crate) fn opts(spec: &ConnectionSpec, pooled: bool) -> Result<Opts, EngineError> {
    let ssl = match spec.ssl_mode {
        // The driver cannot fall back to plaintext, so `prefer` means plaintext.
        SslMode::Disable | SslMode::Prefer => None,
        SslMode::Require => Some(SslOpts::default().with_danger_accept_invalid_certs(true)),
        mode => {
            let mut o = SslOpts::default().with_danger_skip_domain_validation(mode == SslMode::VerifyCa);
            if let Some(pem) = spec.extra_params.get("ssl_ca").filter(|p| !p.trim().is_empty()) {
                super::tls::root_store(spec)?; // fail early with a clear message on a bad bundle
                o = o.with_root_certs(vec![pem.as_bytes().to_vec().into()]).with_disable_built_in_roots(true);
            }
            Some(o)
        }
    };
    let min = (spec.pool_min as usize).min(spec.max_size());
    let constraints = PoolConstraints::new(min, spec.max_size())
        .ok_or_else(|| EngineError::Unsupported("pool_min must not exceed pool_max".into()))?;
    let mut b = OptsBuilder::default()
        .ip_or_hostname(spec.host.clone())
        .tcp_port(spec.effective_port())
        .user(Some(spec.username.clone()))
        .pass(spec.password.clone())
        .db_name(Some(spec.database.clone()))
        .ssl_opts(ssl)
        .prefer_socket(false)
        .pool_opts(PoolOpts::default().with_constraints(constraints).with_reset_connection(true));
    if let Some(cs) = spec.extra_params.get("charset") {
        if !cs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') || cs.len() > 30 {
            return Err(EngineError::Unsupported(format!("charset {cs:?} is not a valid character set name")));
        }
        b = b.init(vec![format!("SET NAMES {cs}")]);
    }
    if !pooled {
        b = b.pool_opts(PoolOpts::default().with_constraints(PoolConstraints::new(0, 1).unwrap_or_default()));
    }
    Ok(b.into())
}

/// Builds a lazy pool sized by the spec.
pub(crate) fn build(spec: &ConnectionSpec) -> Result<MyPool, EngineError> {
    Ok(MyPool { pool: mysql_async::Pool::new(opts(spec, true)?), max: spec.max_size() })
}

impl MyPool {
    /// Connections lent out and idle.
    pub(crate) fn state(&self) -> super::PoolState {
        use std::sync::atomic::Ordering::Relaxed;
        let m = self.pool.metrics();
        let (in_use, idle) = (m.connections_in_use.load(Relaxed), m.connections_in_pool.load(Relaxed));
        super::PoolState { in_use, idle, max: self.max }
    }
}

/// Kills the running statement from another connection if dropped while
/// armed, then closes the connection instead of returning it to the pool.
struct KillOnDrop {
    conn: Option<Conn>,
    pool: mysql_async::Pool,
    armed: bool,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let (Some(conn), true, Ok(rt)) = (self.conn.take(), self.armed, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let pool = self.pool.clone();
        rt.spawn(async move {
            let id = conn.id();
            if let Ok(Ok(mut other)) = tokio::time::timeout(CONNECT_TIMEOUT, pool.get_conn()).await {
                let _ = other.query_drop(format!("KILL QUERY {id}")).await;
            }
            let _ = conn.disconnect().await;
        });
    }
}

type Output = (Vec<Column>, Vec<Map<String, Value>>, bool);

/// Runs a compiled statement on a pooled connection.
pub(crate) async fn execute(
    pool: &MyPool,
    c: &Compiled,
    read_only: bool,
    limits: &Window,
) -> Result<Output, EngineError> {
    let conn = get_conn(&pool.pool, limits.timeout, pool.max).await?;
    let mut guard = KillOnDrop { conn: Some(conn), pool: pool.pool.clone(), armed: true };
    let Some(conn) = guard.conn.as_mut() else { return Err(EngineError::Database("connection lost".into())) };
    let result = run(conn, c, read_only, limits).await;
    guard.armed = false;
    result
}

async fn run(conn: &mut Conn, c: &Compiled, read_only: bool, limits: &Window) -> Result<Output, EngineError> {
    let err = |e| db_error(e, limits);
    // MySQL versions are 5.x, 8.x, 9.x; MariaDB's are 10.x and later.
    let mariadb = conn.server_version().0 >= 10;
    let timeout = if mariadb {
        format!("max_statement_time = {:.3}", limits.timeout.as_secs_f64())
    } else {
        format!("max_execution_time = {}", limits.timeout.as_millis())
    };
    // Prepared (and cached) first: a read-only statement that returns no rows
    // (SET, DO, SELECT … INTO OUTFILE, DDL) is refused before it runs.
    let stmt = conn.prep(c.sql.as_str()).await.map_err(err)?;
    if read_only && stmt.columns().is_empty() {
        return Err(EngineError::ReadOnly("a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into()));
    }
    let mode = if read_only { "READ ONLY" } else { "READ WRITE" };
    let mut collector = Collector::new(limits);
    let setup = format!(
        "SET SESSION TRANSACTION {mode}; SET SESSION {timeout}, sql_select_limit = {}; START TRANSACTION {mode}",
        collector.fetch_limit()
    );
    conn.query_drop(setup).await.map_err(err)?;
    let params = if c.binds.is_empty() {
        Params::Empty
    } else {
        Params::Positional(c.binds.iter().map(|b| decode::to_mysql(&b.value)).collect())
    };
    let mut result = conn.exec_iter(stmt, params).await.map_err(err)?;
    let columns = result.columns_ref().to_vec();
    let meta: Vec<(String, String)> =
        columns.iter().map(|c| (c.name_str().into_owned(), decode::type_name(c))).collect();
    let named = super::unique_columns(meta.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    while let Some(row) = result.next().await.map_err(err)? {
        let values = row.unwrap();
        let obj = named.iter().zip(&columns).zip(values).map(|((n, col), v)| (n.name.clone(), decode::to_json(col, v)));
        let obj: Map<String, Value> = obj.collect();
        if !collector.push(obj) {
            break;
        }
    }
    // Rows past the cap (at most one, thanks to sql_select_limit) are discarded.
    result.drop_result().await.map_err(err)?;
    conn.query_drop(if read_only { "ROLLBACK" } else { "COMMIT" }).await.map_err(err)?;
    let (rows, truncated) = collector.finish();
    Ok((named, rows, truncated))
}
