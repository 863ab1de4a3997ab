//! PostgreSQL through deadpool-postgres / tokio-postgres.
//!
//! Read-only work is one pipelined exchange of three messages, sent together
//! and answered in one round trip: `BEGIN READ ONLY; SET LOCAL
//! statement_timeout = …` (one simple query), the bind and execution of the
//! cached prepared statement, and `ROLLBACK; SELECT pg_advisory_unlock_all()`
//! (one simple query), which undoes session settings the query changed and
//! releases session advisory locks taken indirectly, even when the query
//! failed. When a result passes its cap, a cancel request stops the rest and
//! the connection is discarded (a late cancel could hit a later statement);
//! that statement then runs through a portal fetched to at most
//! `max_rows + 1` rows, so the server itself stops at the cap. That cursor
//! form (transaction, timeout, bind, fetch, end) also serves read-write work,
//! which ends in `COMMIT`. If the caller's future is dropped mid-query, a
//! cancel request is sent and the connection is discarded.

mod array;
mod bind;
mod decode;
mod errors;
mod interval;
pub(crate) mod schema;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Timeouts};
use futures::{TryStreamExt, pin_mut};
use serde_json::{Map, Value};
use tokio_postgres::{CancelToken, NoTls, Row, RowStream};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::collect::Collector;
use super::compile::Compiled;
use super::{CONNECT_TIMEOUT, Column, ConnectionSpec, EngineError, Limits, SslMode, tls};
pub(crate) use errors::{connect_error, db_error, error_chain};

/// A pool, the TLS connector its cancel requests need, and the statements
/// that once returned more rows than their cap (run through a portal since).
#[derive(Clone)]
pub(crate) struct PgPool {
    pool: Pool,
    tls: Option<MakeRustlsConnect>,
    overflowed: Arc<Mutex<HashSet<String>>>,
}

/// The driver configuration for `spec` (no I/O).
pub(crate) fn config(
    spec: &ConnectionSpec,
) -> Result<(tokio_postgres::Config, Option<MakeRustlsConnect>), EngineError> {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&spec.host).port(spec.effective_port()).dbname(&spec.database).user(&spec.username);
    if let Some(pw) = &spec.password {
        cfg.password(pw);
    }
    cfg.application_name(spec.extra_params.get("application_name").map_or("quarry", String::as_str));
    cfg.connect_timeout(CONNECT_TIMEOUT);
    cfg.ssl_mode(match spec.ssl_mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        _ => tokio_postgres::config::SslMode::Require,
    });
    let tls = tls::client_config(spec)?.map(MakeRustlsConnect::new);
    Ok((cfg, tls))
}

/// Builds a lazy pool sized by the spec (connections open on first use).
pub(crate) fn build(spec: &ConnectionSpec) -> Result<PgPool, EngineError> {
    let (cfg, tls) = config(spec)?;
    let mc = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = match &tls {
        Some(t) => Manager::from_config(cfg, t.clone(), mc),
        None => Manager::from_config(cfg, NoTls, mc),
    };
    let pool = Pool::builder(manager)
        .max_size(spec.max_size())
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| EngineError::Unsupported(format!("cannot build the pool: {e}")))?;
    Ok(PgPool { pool, tls, overflowed: Arc::default() })
}

impl PgPool {
    /// A pooled connection, waiting at most `wait` for a free one.
    pub(crate) async fn get(&self, wait: Duration) -> Result<Object, EngineError> {
        let t = Timeouts { wait: Some(wait), create: Some(CONNECT_TIMEOUT), recycle: Some(Duration::from_secs(5)) };
        self.pool.timeout_get(&t).await.map_err(|e| errors::pool_error(e, self.pool.status().max_size))
    }

    fn overflowed(&self, sql: &str) -> bool {
        self.overflowed.lock().unwrap_or_else(|p| p.into_inner()).contains(sql)
    }

    fn mark_overflowed(&self, sql: &str) {
        self.overflowed.lock().unwrap_or_else(|p| p.into_inner()).insert(sql.to_string());
    }

    /// Connections lent out and idle.
    pub(crate) fn state(&self) -> super::PoolState {
        let s = self.pool.status();
        super::PoolState { in_use: s.size.saturating_sub(s.available), idle: s.available, max: s.max_size }
    }
}

/// Sends a cancel request if dropped while armed, then discards the connection
/// so no later query can be hit by a late-arriving cancel.
struct CancelOnDrop {
    client: Option<Object>,
    token: CancelToken,
    tls: Option<MakeRustlsConnect>,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let (Some(client), true, Ok(rt)) = (self.client.take(), self.armed, tokio::runtime::Handle::try_current())
        else {
            return;
        };
        let (token, tls) = (self.token.clone(), self.tls.take());
        rt.spawn(async move {
            cancel(&token, tls).await;
            drop(Object::take(client));
        });
    }
}

/// Asks the server to stop whatever the connection is running.
async fn cancel(token: &CancelToken, tls: Option<MakeRustlsConnect>) {
    let _ = match tls {
        Some(t) => token.cancel_query(t).await,
        None => token.cancel_query(NoTls).await,
    };
}

/// Columns, rows and whether they were cut.
type Output = (Vec<Column>, Vec<Map<String, Value>>, bool);

/// Runs a compiled statement on a pooled connection.
pub(crate) async fn execute(
    pool: &PgPool,
    c: &Compiled,
    read_only: bool,
    limits: &Limits,
) -> Result<Output, EngineError> {
    let client = pool.get(limits.timeout).await?;
    let token = client.cancel_token();
    let mut guard = CancelOnDrop { client: Some(client), token, tls: pool.tls.clone(), armed: true };
    let Some(client) = guard.client.as_mut() else { return Err(EngineError::Database("connection lost".into())) };
    // Set when a cancel request was sent: it could still hit a later statement.
    let mut discard = false;
    let result = run(client, pool, c, read_only, limits, &mut discard).await;
    // The server answered (rows or an error): nothing is left to cancel.
    guard.armed = false;
    if discard {
        guard.client.take().map(Object::take);
    }
    result
}

async fn run(
    client: &mut Object,
    pool: &PgPool,
    c: &Compiled,
    read_only: bool,
    limits: &Limits,
    discard: &mut bool,
) -> Result<Output, EngineError> {
    let err = |e| db_error(e, limits);
    let stmt = client.prepare_cached(&c.sql).await.map_err(err)?;
    if read_only && stmt.columns().is_empty() {
        return Err(EngineError::ReadOnly("a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into()));
    }
    let columns = super::unique_columns(stmt.columns().iter().map(|c| (c.name(), c.type_().name())));
    let params: Vec<bind::TextParam> = c.binds.iter().map(bind::TextParam::from_bind).collect();
    let timeout_ms = limits.timeout.as_millis().max(1);
    let mut collector = Collector::new(limits);
    if read_only && !pool.overflowed(&c.sql) {
        // The first poll of each future queues its message on the connection,
        // in this order, so the three travel together.
        let begin = format!("BEGIN READ ONLY; SET LOCAL statement_timeout = {timeout_ms}");
        let query = async {
            let full = collect(client.query_raw(&stmt, params.iter()).await?, &mut collector, &columns).await?;
            if full {
                // Stop the rows past the cap instead of waiting for them.
                cancel(&client.cancel_token(), pool.tls.clone()).await;
            }
            Ok::<_, tokio_postgres::Error>(full)
        };
        let (began, queried, ended) = tokio::join!(
            client.batch_execute(&begin),
            query,
            client.batch_execute("ROLLBACK; SELECT pg_advisory_unlock_all()")
        );
        *discard = matches!(queried, Ok(true));
        began.map_err(err)?;
        if queried.map_err(err)? {
            // From now on this statement runs through a portal that stops at the cap.
            pool.mark_overflowed(&c.sql);
        } else {
            ended.map_err(err)?;
        }
    } else {
        let tx = client.build_transaction().read_only(read_only).start().await.map_err(err)?;
        let setup = format!("SET LOCAL statement_timeout = {timeout_ms}");
        let (set, portal) = tokio::join!(tx.batch_execute(&setup), tx.bind_raw(&stmt, params.iter()));
        set.map_err(err)?;
        let portal = portal.map_err(err)?;
        let fetch = i32::try_from(collector.fetch_limit()).unwrap_or(i32::MAX);
        let rows = tx.query_portal_raw(&portal, fetch).await.map_err(err)?;
        let drain = collect(rows, &mut collector, &columns);
        if read_only {
            // Dropping the transaction queues ROLLBACK behind the fetch.
            drop(portal);
            drop(tx);
            let (drained, unlocked) = tokio::join!(drain, client.batch_execute("SELECT pg_advisory_unlock_all()"));
            drained.map_err(err)?;
            unlocked.map_err(err)?;
        } else {
            drain.await.map_err(err)?;
            tx.commit().await.map_err(err)?;
        }
    }
    let (rows, truncated) = collector.finish();
    Ok((columns, rows, truncated))
}

/// Pushes rows until the rows end (`false`) or the collector is full (`true`).
async fn collect(
    rows: RowStream,
    collector: &mut Collector,
    columns: &[Column],
) -> Result<bool, tokio_postgres::Error> {
    pin_mut!(rows);
    while let Some(row) = rows.try_next().await? {
        if !collector.push(row_json(&row, columns)?) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn row_json(row: &Row, columns: &[Column]) -> Result<Map<String, Value>, tokio_postgres::Error> {
    let mut out = Map::with_capacity(columns.len());
    for (i, (col, meta)) in columns.iter().zip(row.columns()).enumerate() {
        let decode::Raw(raw) = row.try_get(i)?;
        let value = match raw {
            None => Value::Null,
            Some(bytes) => decode::decode(meta.type_(), bytes).unwrap_or_else(|e| Value::String(format!("<{e}>"))),
        };
        out.insert(col.name.clone(), value);
    }
    Ok(out)
}
