//! MySQL and MariaDB through mysql_async.
//!
//! Lexing: a pool's first use reads the session's `sql_mode` and client
//! character set ([`MyPool::lexing`]); the scanner then lexes every statement
//! with those `NO_BACKSLASH_ESCAPES`/`ANSI_QUOTES` flags, and each call pins
//! the session to that `sql_mode` and to `character_set_client = utf8mb4`, so
//! a later `SET GLOBAL sql_mode` cannot make the server lex differently. Only
//! UTF-8 client character sets are accepted: in GBK, Big5 or SJIS a byte 0x5C
//! (`\`) can end a multibyte character, and the scanner would see an escape
//! the server does not.
//!
//! One execution: a single round trip sets the session read-only (so that DDL,
//! which implicitly commits, still cannot write), the statement time limit
//! (MariaDB `max_statement_time`, MySQL `max_execution_time`), a server-side
//! row cap (`sql_select_limit` = `max_rows + 1`), the lexing settings, and
//! starts the transaction; then the statement is prepared (a read-only one
//! that returns no rows — SET, DO, DDL — is refused before it runs), runs, and
//! the transaction is rolled back (read-only) or committed. If the caller's future is dropped mid-query, a
//! `KILL QUERY` is sent from another connection and the connection discarded.
//! Pooled connections are reset (`COM_RESET_CONNECTION`) when returned, which
//! releases `GET_LOCK` locks and user variables.

mod decode;
pub(crate) mod errors;
pub(crate) mod policy;
pub(crate) mod schema;

use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Params, PoolConstraints, PoolOpts, SslOpts};
use serde_json::{Map, Value};
use shared_model::SqlModes;
use tokio::sync::OnceCell;

use super::collect::{Collector, Window};
use super::compile::Compiled;
use super::{CONNECT_TIMEOUT, Column, ColumnDesc, ConnectionSpec, EngineError, Limits, SslMode};
use errors::{db_error, get_conn};

/// A mysql_async pool (cheap to clone).
#[derive(Clone)]
pub(crate) struct MyPool {
    pool: mysql_async::Pool,
    max: usize,
    lexing: Arc<OnceCell<Lexing>>,
}

/// How the pool's sessions lex SQL, read once from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexing {
    /// The session's `@@sql_mode`, pinned on every call.
    sql_mode: String,
    /// Its lexing flags.
    pub modes: SqlModes,
}

/// Client character sets whose multibyte characters never contain a byte below 0x80.
const UTF8_CHARSETS: &[&str] = &["utf8mb4", "utf8mb3", "utf8"];

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
    // The driver's handshake asks for utf8mb4; `setup` queries run again
    // after each reset, so a chosen UTF-8 variant survives pooling.
    let mut setup = Vec::new();
    if let Some(cs) = spec.extra_params.get("charset") {
        if !UTF8_CHARSETS.iter().any(|u| u.eq_ignore_ascii_case(cs)) {
            return Err(EngineError::Unsupported(format!(
                "charset {cs:?} is not supported: Quarry speaks UTF-8 to the server (use utf8mb4)"
            )));
        }
        setup.push(format!("SET NAMES {}", cs.to_ascii_lowercase()));
    }
    if let Some(mode) = spec.extra_params.get("sql_mode") {
        if !mode.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b',') {
            return Err(EngineError::Unsupported(format!("sql_mode {mode:?} is not a list of mode names")));
        }
        setup.push(format!("SET SESSION sql_mode = '{mode}'"));
    }
    b = b.setup(setup);
    if !pooled {
        b = b.pool_opts(PoolOpts::default().with_constraints(PoolConstraints::new(0, 1).unwrap_or_default()));
    }
    Ok(b.into())
}

/// Builds a lazy pool sized by the spec.
pub(crate) fn build(spec: &ConnectionSpec) -> Result<MyPool, EngineError> {
    Ok(MyPool { pool: mysql_async::Pool::new(opts(spec, true)?), max: spec.max_size(), lexing: Default::default() })
}

impl MyPool {
    /// The sessions' lexing settings, read from the server on first use
    /// (waiting at most `wait` for a connection). Refuses a session whose
    /// client character set is not UTF-8 (for instance one an `init_connect`
    /// changed).
    pub(crate) async fn lexing(&self, wait: std::time::Duration) -> Result<&Lexing, EngineError> {
        self.lexing
            .get_or_try_init(|| async {
                let mut conn = get_conn(&self.pool, wait, self.max).await?;
                let sql = "SELECT @@SESSION.sql_mode, @@SESSION.character_set_client";
                let row: Option<(String, String)> =
                    conn.query_first(sql).await.map_err(|e| EngineError::Database(e.to_string()))?;
                let (sql_mode, charset) = row.unwrap_or_default();
                if !UTF8_CHARSETS.contains(&charset.as_str()) {
                    return Err(EngineError::Unsupported(format!(
                        "the session's client character set is {charset}; Quarry needs a UTF-8 one (utf8mb4)"
                    )));
                }
                if !sql_mode.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b',') {
                    return Err(EngineError::Unsupported(format!(
                        "the session's sql_mode {sql_mode:?} is not understood"
                    )));
                }
                Ok(Lexing { modes: SqlModes::from_sql_mode(&sql_mode), sql_mode })
            })
            .await
    }

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
    let lexing = pool.lexing(limits.timeout).await?;
    let result = run(conn, c, lexing, read_only, limits).await;
    guard.armed = false;
    result
}

/// The result columns of `c` from the metadata of a prepared statement
/// (COM_STMT_PREPARE, under the pinned `sql_mode`; nothing runs), nullable
/// unless the server sets the column's `NOT_NULL` flag.
///
/// The server types an expression over a placeholder before it has a value
/// (`?` is `NULL`, `? + 1` is `DOUBLE`), then by the value at execution
/// (`BIGINT`): in a statement with placeholders, a column that is not a table
/// column gets no type (empty) rather than a wrong one.
pub(crate) async fn describe(pool: &MyPool, c: &Compiled, limits: &Limits) -> Result<Vec<ColumnDesc>, EngineError> {
    let err = |e| db_error(e, limits);
    let mut conn = get_conn(&pool.pool, limits.timeout, pool.max).await?;
    let lexing = pool.lexing(limits.timeout).await?;
    conn.query_drop(format!("SET SESSION sql_mode = '{}'", lexing.sql_mode)).await.map_err(err)?;
    let stmt = conn.prep(c.sql.as_str()).await.map_err(err)?;
    let meta: Vec<(String, String)> =
        stmt.columns().iter().map(|c| (c.name_str().into_owned(), decode::type_name(c))).collect();
    let named = super::unique_columns(meta.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    let has_placeholders = !c.binds.is_empty();
    Ok(named
        .into_iter()
        .zip(stmt.columns().iter())
        .map(|(col, meta)| {
            let argument_typed = has_placeholders && meta.org_table_str().is_empty();
            ColumnDesc {
                name: col.name,
                sql_type: if argument_typed { String::new() } else { col.db_type },
                nullable: Some(!meta.flags().contains(mysql_async::consts::ColumnFlags::NOT_NULL_FLAG)),
            }
        })
        .collect())
}

async fn run(
    conn: &mut Conn,
    c: &Compiled,
    lexing: &Lexing,
    read_only: bool,
    limits: &Window,
) -> Result<Output, EngineError> {
    let err = |e| db_error(e, limits);
    // MySQL versions are 5.x, 8.x, 9.x; MariaDB's are 10.x and later.
    let mariadb = conn.server_version().0 >= 10;
    let timeout = if mariadb {
        format!("max_statement_time = {:.3}", limits.timeout.as_secs_f64())
    } else {
        format!("max_execution_time = {}", limits.timeout.as_millis())
    };
    let mode = if read_only { "READ ONLY" } else { "READ WRITE" };
    let mut collector = Collector::new(limits);
    let setup = format!(
        "SET SESSION TRANSACTION {mode}; SET SESSION {timeout}, sql_select_limit = {}, sql_mode = '{}', \
         character_set_client = utf8mb4; START TRANSACTION {mode}",
        collector.fetch_limit(),
        lexing.sql_mode
    );
    conn.query_drop(setup).await.map_err(err)?;
    // Prepared (and cached) under the pinned sql_mode: a read-only statement
    // that returns no rows (SET, DO, DDL) is refused before it runs.
    let stmt = conn.prep(c.sql.as_str()).await.map_err(err)?;
    if read_only && stmt.columns().is_empty() {
        conn.query_drop("ROLLBACK").await.map_err(err)?;
        return Err(EngineError::ReadOnly("a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into()));
    }
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
