//! PostgreSQL through deadpool-postgres / tokio-postgres.
//!
//! One execution, in three round trips: `START TRANSACTION [READ ONLY]`;
//! then, pipelined, `set_config('statement_timeout', …, true)` (which also
//! takes the snapshot, so `SET TRANSACTION READ WRITE` can no longer succeed)
//! and the bind of a portal; then one fetch of at most `max_rows + 1` rows, so
//! the server stops producing rows at the cap. Read-only work pipelines
//! `ROLLBACK` and `pg_advisory_unlock_all()` behind the fetch; other work ends
//! in `COMMIT`. If the caller's future is dropped mid-query, a cancel request is
//! sent and the connection is discarded.

mod array;
mod bind;
mod decode;
mod errors;
mod interval;
pub(crate) mod schema;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Timeouts};
use futures::{TryStreamExt, pin_mut};
use serde_json::{Map, Value};
use tokio_postgres::{CancelToken, NoTls, Row};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::collect::Collector;
use super::compile::Compiled;
use super::{CONNECT_TIMEOUT, Column, ConnectionSpec, EngineError, Limits, SslMode, tls};
pub(crate) use errors::{connect_error, db_error, error_chain};

/// A pool plus the TLS connector its cancel requests need.
#[derive(Clone)]
pub(crate) struct PgPool {
    pool: Pool,
    tls: Option<MakeRustlsConnect>,
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
    Ok(PgPool { pool, tls })
}

impl PgPool {
    /// A pooled connection, waiting at most `wait` for a free one.
    pub(crate) async fn get(&self, wait: Duration) -> Result<Object, EngineError> {
        let t = Timeouts { wait: Some(wait), create: Some(CONNECT_TIMEOUT), recycle: Some(Duration::from_secs(5)) };
        self.pool.timeout_get(&t).await.map_err(|e| errors::pool_error(e, self.pool.status().max_size))
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
            let _ = match tls {
                Some(t) => token.cancel_query(t).await,
                None => token.cancel_query(NoTls).await,
            };
            drop(Object::take(client));
        });
    }
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
    let result = run(client, c, read_only, limits).await;
    // The server answered (rows or an error): nothing is left to cancel.
    guard.armed = false;
    result
}

async fn run(client: &mut Object, c: &Compiled, read_only: bool, limits: &Limits) -> Result<Output, EngineError> {
    let err = |e| db_error(e, limits);
    let stmt = client.prepare_cached(&c.sql).await.map_err(err)?;
    if read_only && stmt.columns().is_empty() {
        return Err(EngineError::ReadOnly("a read-only query must return rows (SELECT, VALUES, WITH … SELECT)".into()));
    }
    let columns = super::unique_columns(stmt.columns().iter().map(|c| (c.name(), c.type_().name())));
    let params: Vec<bind::TextParam> = c.binds.iter().map(bind::TextParam::from_bind).collect();
    let tx = client.build_transaction().read_only(read_only).start().await.map_err(err)?;
    // One statement: sets the timeout for this transaction only and takes the
    // snapshot, after which `SET TRANSACTION READ WRITE` can no longer succeed.
    let setup = format!("SELECT set_config('statement_timeout', '{}', true)", limits.timeout.as_millis().max(1));
    let (set, portal) = tokio::join!(tx.batch_execute(&setup), tx.bind_raw(&stmt, params.iter()));
    set.map_err(err)?;
    let portal = portal.map_err(err)?;
    let mut collector = Collector::new(limits);
    let fetch = i32::try_from(collector.fetch_limit()).unwrap_or(i32::MAX);
    let rows = tx.query_portal_raw(&portal, fetch).await.map_err(err)?;
    let drain = async {
        pin_mut!(rows);
        while let Some(row) = rows.try_next().await? {
            if !collector.push(row_json(&row, &columns)?) {
                break;
            }
        }
        Ok::<_, tokio_postgres::Error>(())
    };
    if read_only {
        // Pipelined behind the fetch, in one round trip: dropping the
        // transaction sends ROLLBACK at once (the server runs it after the
        // fetch), then session advisory locks, which survive ROLLBACK, are
        // released, so none leaves with the connection, even if the query failed.
        drop(portal);
        drop(tx);
        let (drained, unlocked) = tokio::join!(drain, client.batch_execute("SELECT pg_advisory_unlock_all()"));
        drained.map_err(err)?;
        unlocked.map_err(err)?;
    } else {
        drain.await.map_err(err)?;
        tx.commit().await.map_err(err)?;
    }
    let (rows, truncated) = collector.finish();
    Ok((columns, rows, truncated))
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
