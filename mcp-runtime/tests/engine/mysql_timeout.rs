//! A MariaDB statement cannot lift its own time limit: not with `SET
//! STATEMENT … FOR`, optimizer hints, executable comments or a session
//! variable set by an earlier call. Read-only calls refuse those forms; a
//! read-write call that uses them is still cancelled by the engine when the
//! limit (plus the 2 s client grace) passes, with `KILL QUERY`.

use std::time::{Duration, Instant};

use mcp_runtime::db::{Engine, EngineError, Limits, Query};
use serde_json::Map;

use crate::support::{TestDb, mysql};

const LIMIT: Duration = Duration::from_secs(1);
/// The engine's client-side grace (see `Engine::execute`) plus scheduling slack.
const LATEST: Duration = Duration::from_millis(1000 + 2000 + 1500);

async fn timed(engine: &Engine, db: &TestDb, sql: &str, read_only: bool) -> (Result<usize, EngineError>, Duration) {
    let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: LIMIT };
    let started = Instant::now();
    let args = Map::new();
    let q = Query::new(sql, &[], &args, read_only, limits);
    let out = engine.execute(&db.id, &db.spec, &q).await.map(|r| r.row_count);
    (out, started.elapsed())
}

#[tokio::test]
async fn mariadb_statements_cannot_lift_the_statement_timeout() {
    let Some(mut db) = mysql().await else { return };
    db.spec.pool_max = 12;
    let engine = Engine::new();
    // A session setting left behind by an earlier read-write call is reset.
    timed(&engine, &db, "SET SESSION max_statement_time = 0", false).await.0.expect("a read-write SET runs");
    let refused = [
        "SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(20) AS s",
        "SELECT /*+ MAX_EXECUTION_TIME(100000) */ SLEEP(20) AS s",
        "/*!100000 SET STATEMENT max_statement_time = 0 FOR */ SELECT SLEEP(20) AS s",
        "/*! SET STATEMENT max_statement_time = 0 FOR */ SELECT SLEEP(20) AS s",
        "SELECT BENCHMARK(100000000000, MD5('x')) AS b",
    ];
    let timing_out = [
        ("SELECT SLEEP(20) AS s", true),
        ("SELECT SLEEP(20) AS s", false),
        ("SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(20) AS s", false),
        ("SELECT /*+ MAX_EXECUTION_TIME(100000) */ SLEEP(20) AS s", false),
        ("/*! SET STATEMENT max_statement_time = 0 FOR */ SELECT SLEEP(20) AS s", false),
        ("SET STATEMENT max_statement_time = 0 FOR SELECT BENCHMARK(100000000000, MD5('x')) AS b", false),
    ];
    let refusals = futures::future::join_all(refused.iter().map(|sql| timed(&engine, &db, sql, true)));
    let timeouts = futures::future::join_all(timing_out.iter().map(|(sql, ro)| timed(&engine, &db, sql, *ro)));
    // MariaDB's BENCHMARK stops at the limit and returns 0 instead of an error.
    let benchmark = timed(&engine, &db, "SELECT BENCHMARK(100000000000, MD5('x')) AS b", false);
    let (refusals, timeouts, (out, took)) = tokio::join!(refusals, timeouts, benchmark);
    assert!(
        matches!(out, Ok(1) | Err(EngineError::Timeout(_))) && took < LIMIT + Duration::from_millis(1500),
        "{out:?} {took:?}"
    );
    for (sql, (out, _)) in refused.iter().zip(refusals) {
        assert!(matches!(out, Err(EngineError::ReadOnly(_) | EngineError::InvalidSql(_))), "{sql}: {out:?}");
    }
    for ((sql, read_only), (out, took)) in timing_out.iter().zip(timeouts) {
        assert!(matches!(out, Err(EngineError::Timeout(_))), "{sql} (read-only {read_only}): {out:?}");
        assert!(took < LATEST, "{sql} (read-only {read_only}) ran {took:?}");
    }
    // Nothing keeps running on the server.
    let sql = format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{}' AND ID <> CONNECTION_ID() \
         AND (INFO LIKE CONCAT('%SLE', 'EP(20)%') OR INFO LIKE CONCAT('%BENCH', 'MARK(%'))",
        db.id
    );
    assert_eq!(db.scalar_becomes(&sql, "0").await.as_deref(), Some("0"));
}
