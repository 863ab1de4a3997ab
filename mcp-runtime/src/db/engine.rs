//! [`Engine`]: the entry point. It validates arguments, compiles placeholders,
//! keeps one pool per connection id (rebuilt when the spec's fingerprint
//! changes) and dispatches to the driver.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::collect::Window;
use super::compile::compile;
use super::ident::parse_table;
use super::{
    CONNECTION_TEST_TIMEOUT, ColumnDesc, ColumnInfo, ConnectionSpec, DbType, EngineError, Limits, PoolState, Query,
    QueryResult, SCHEMA_TIMEOUT, TableInfo, TestOutcome, mysql, pg, sqlite,
};
use crate::args;
use shared_model::SqlModes;

/// Extra time the engine waits beyond a statement's own timeout before it
/// gives up on the server and cancels from the client side.
const CLIENT_GRACE: Duration = Duration::from_secs(2);

#[derive(Clone)]
enum Pool {
    Pg(pg::PgPool),
    MySql(mysql::MyPool),
    Sqlite(sqlite::SqlitePools),
}

/// The SQL engine. Cheap to clone; clones share the pools.
#[derive(Clone, Default)]
pub struct Engine {
    pools: Arc<Mutex<HashMap<String, (u64, Pool)>>>,
}

impl Engine {
    /// An engine with no pools yet; pools open lazily on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// The pool for `conn_id`, built (lazily connecting) if absent or if
    /// `spec` differs from the one it was built with.
    fn pool(&self, conn_id: &str, spec: &ConnectionSpec) -> Result<Pool, EngineError> {
        let fingerprint = spec.fingerprint();
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((fp, pool)) = pools.get(conn_id).filter(|(fp, _)| *fp == fingerprint) {
            debug_assert_eq!(*fp, fingerprint);
            return Ok(pool.clone());
        }
        let pool = match spec.db_type {
            DbType::Postgresql => Pool::Pg(pg::build(spec)?),
            DbType::Mysql => Pool::MySql(mysql::build(spec)?),
            DbType::Sqlite => Pool::Sqlite(sqlite::build(spec)?),
        };
        pools.insert(conn_id.to_string(), (fingerprint, pool.clone()));
        Ok(pool)
    }

    /// Drops the pool of a deleted connection (its connections close when idle).
    pub fn forget(&self, conn_id: &str) {
        self.pools.lock().unwrap_or_else(|p| p.into_inner()).remove(conn_id);
    }

    /// Keeps only the pools whose ids `keep` accepts (e.g. after a manifest reload).
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.pools.lock().unwrap_or_else(|p| p.into_inner()).retain(|id, _| keep(id));
    }

    /// Occupancy of the pool kept for `conn_id`, if one was built.
    pub fn pool_state(&self, conn_id: &str) -> Option<PoolState> {
        let pool = self.pools.lock().unwrap_or_else(|p| p.into_inner()).get(conn_id).map(|(_, p)| p.clone())?;
        Some(match &pool {
            Pool::Pg(p) => p.state(),
            Pool::MySql(p) => p.state(),
            Pool::Sqlite(p) => p.state(),
        })
    }

    /// Validates the arguments, binds them and runs one statement on the
    /// connection `conn_id` described by `spec`.
    ///
    /// With `read_only`, the statement runs in a read-only transaction that is
    /// rolled back, must return rows, and may not leave locks behind. The
    /// statement timeout is enforced by the server, and again by the engine
    /// (plus 2 s), which then cancels the statement. Dropping the returned
    /// future cancels the statement too.
    pub async fn execute(
        &self,
        conn_id: &str,
        spec: &ConnectionSpec,
        q: &Query<'_>,
    ) -> Result<QueryResult, EngineError> {
        let args = args::validate(q.params, q.args)?;
        let pool = self.pool(conn_id, spec)?;
        // MySQL lexes by the session's sql_mode, which the pool reads once.
        let modes = match &pool {
            Pool::MySql(p) => p.lexing(q.limits.timeout).await?.modes,
            _ => SqlModes::default(),
        };
        let (compiled, scan) = compile(q.sql, spec.db_type.dialect(), modes, q.params, &args, q.read_only)?;
        if let (true, Pool::MySql(_)) = (q.read_only, &pool) {
            mysql::policy::check(q.sql, &scan, &spec.allowed_functions)?;
        }
        let started = Instant::now();
        let window = Window { limits: q.limits, offset: q.offset };
        let run = async {
            match &pool {
                Pool::Pg(p) => pg::execute(p, &compiled, q.read_only, &window).await,
                Pool::MySql(p) => mysql::execute(p, &compiled, q.read_only, &window).await,
                Pool::Sqlite(p) => sqlite::execute(p, &compiled, q.read_only, &window).await,
            }
        };
        let (columns, mut rows, truncated) = tokio::time::timeout(q.limits.timeout + CLIENT_GRACE, run)
            .await
            .map_err(|_| EngineError::Timeout(q.limits.timeout))??;
        super::numbers::apply(spec.db_type, &columns, &mut rows, q.exact_numerics);
        Ok(QueryResult {
            row_count: rows.len(),
            columns,
            rows,
            truncated,
            execution_time_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// The result columns `sql` would return on connection `conn_id`,
    /// without running it: the statement is prepared (placeholders compiled
    /// as for a call, no arguments bound) and the server's description read.
    /// Nothing executes, so read-write statements may be described too.
    /// Gives up after `limit`.
    pub async fn describe(
        &self,
        conn_id: &str,
        spec: &ConnectionSpec,
        sql: &str,
        params: &[shared_model::ParamDef],
        limit: Duration,
    ) -> Result<Vec<ColumnDesc>, EngineError> {
        let pool = self.pool(conn_id, spec)?;
        let limits = Limits { max_rows: 1, max_bytes: 1, timeout: limit };
        let run = async {
            let modes = match &pool {
                Pool::MySql(p) => p.lexing(limit).await?.modes,
                _ => SqlModes::default(),
            };
            let (compiled, scan) = compile(sql, spec.db_type.dialect(), modes, params, &Default::default(), false)?;
            match &pool {
                Pool::Pg(p) => pg::describe(p, sql, &compiled, &scan, &limits).await,
                Pool::MySql(p) => mysql::describe(p, &compiled, &limits).await,
                Pool::Sqlite(p) => sqlite::describe(p, &compiled, &limits).await,
            }
        };
        tokio::time::timeout(limit, run).await.map_err(|_| EngineError::Timeout(limit))?
    }

    /// Tables and views the connection can see, sorted by schema and name.
    pub async fn list_tables(&self, conn_id: &str, spec: &ConnectionSpec) -> Result<Vec<TableInfo>, EngineError> {
        let pool = self.pool(conn_id, spec)?;
        let run = async {
            match &pool {
                Pool::Pg(p) => pg::schema::tables(p).await,
                Pool::MySql(p) => mysql::schema::tables(p).await,
                Pool::Sqlite(p) => sqlite::schema::tables(p).await,
            }
        };
        tokio::time::timeout(SCHEMA_TIMEOUT, run).await.map_err(|_| EngineError::Timeout(SCHEMA_TIMEOUT))?
    }

    /// The columns of `table` (`name` or `schema.name`); `NotFound` if absent.
    pub async fn list_columns(
        &self,
        conn_id: &str,
        spec: &ConnectionSpec,
        table: &str,
    ) -> Result<Vec<ColumnInfo>, EngineError> {
        let table = parse_table(table)?;
        let pool = self.pool(conn_id, spec)?;
        let run = async {
            match &pool {
                Pool::Pg(p) => pg::schema::columns(p, &table).await,
                Pool::MySql(p) => mysql::schema::columns(p, &table).await,
                Pool::Sqlite(p) => sqlite::schema::columns(p, &table).await,
            }
        };
        tokio::time::timeout(SCHEMA_TIMEOUT, run).await.map_err(|_| EngineError::Timeout(SCHEMA_TIMEOUT))?
    }

    /// Opens a fresh connection (not from a pool) and runs `SELECT 1`, within
    /// 10 s, then reports privileges beyond what read-only tools need.
    pub async fn test_connection(&self, spec: &ConnectionSpec) -> TestOutcome {
        self.test_connection_within(spec, CONNECTION_TEST_TIMEOUT).await
    }

    /// [`Engine::test_connection`] with a chosen time limit.
    pub async fn test_connection_within(&self, spec: &ConnectionSpec, limit: Duration) -> TestOutcome {
        let started = Instant::now();
        let probe = async {
            match spec.db_type {
                DbType::Postgresql => pg::schema::probe(spec).await,
                DbType::Mysql => mysql::schema::probe(spec).await,
                DbType::Sqlite => sqlite::schema::probe(spec).await,
            }
        };
        let outcome = tokio::time::timeout(limit, probe).await;
        let latency_ms = started.elapsed().as_millis() as u64;
        let (success, message, warnings) = match outcome {
            Ok(Ok(warnings)) => (true, format!("connected to {}", spec.target()), warnings),
            Ok(Err(message)) => (false, message, Vec::new()),
            Err(_) => (
                false,
                format!("timed out after {} s connecting to {}", limit.as_secs_f64(), spec.target()),
                Vec::new(),
            ),
        };
        TestOutcome { success, message, latency_ms, warnings }
    }
}
