//! Row and byte caps, statement timeouts, and cancellation when the caller goes away.

use std::time::{Duration, Instant};

use mcp_runtime::db::{Engine, EngineError, Limits, PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_ROWS, PREVIEW_TIMEOUT, Query};
use serde_json::Map;

use crate::support::{TestDb, mysql, pg, sqlite};

async fn limited(
    engine: &Engine,
    db: &TestDb,
    sql: &str,
    limits: Limits,
) -> Result<mcp_runtime::db::QueryResult, EngineError> {
    engine.execute(&db.id, &db.spec, &Query::new(sql, &[], &Map::new(), true, limits)).await
}

fn rows(n: usize) -> Limits {
    Limits { max_rows: n, max_bytes: 1 << 20, timeout: Duration::from_secs(10) }
}

#[test]
fn preview_defaults_are_ten_rows_and_ten_seconds_with_at_most_a_thousand_rows() {
    assert_eq!((PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_ROWS, PREVIEW_TIMEOUT), (10, 1000, Duration::from_secs(10)));
    assert_eq!(Limits::preview(None).max_rows, 10);
    assert_eq!(Limits::preview(Some(5000)).max_rows, 1000);
    assert_eq!(Limits::preview(Some(0)).max_rows, 1);
}

#[tokio::test]
async fn the_row_cap_truncates_and_reports_the_rows_returned_on_every_engine() {
    let mut cases: Vec<(TestDb, &str)> = vec![(
        sqlite().await,
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) SELECT n FROM s",
    )];
    if let Some(db) = pg().await {
        cases.push((db, "SELECT n FROM generate_series(1, 100) AS n"));
    }
    if let Some(db) = mysql().await {
        cases.push((db, "SELECT seq AS n FROM seq_1_to_100"));
    }
    for (db, sql) in &cases {
        db.setup("CREATE TABLE created_for_sqlite (a INT);").await;
        let engine = Engine::new();
        let capped = limited(&engine, db, sql, rows(10)).await.unwrap_or_else(|e| panic!("{:?}: {e}", db.spec.db_type));
        assert_eq!((capped.row_count, capped.rows.len(), capped.truncated), (10, 10, true), "{:?}", db.spec.db_type);
        assert_eq!(capped.rows[9]["n"], 10);
        let exact = limited(&engine, db, sql, rows(100)).await.unwrap();
        assert_eq!((exact.row_count, exact.truncated), (100, false), "{:?}", db.spec.db_type);
        // The same pooled connection serves the next query normally.
        let again = limited(&engine, db, sql, rows(1000)).await.unwrap();
        assert_eq!(again.row_count, 100);
    }
}

#[tokio::test]
async fn the_byte_cap_truncates_a_result_of_large_rows() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    let limits = Limits { max_rows: 1000, max_bytes: 10_000, timeout: Duration::from_secs(10) };
    let out = limited(&engine, &db, "SELECT n, repeat('x', 1000) AS pad FROM generate_series(1, 100) AS n", limits)
        .await
        .unwrap();
    assert!(out.truncated);
    assert!(out.row_count >= 8 && out.row_count < 10, "{} rows of ~1 KB fit in 10 KB", out.row_count);
    assert!(serde_json::to_vec(&out.rows).unwrap().len() <= 10_000);
}

#[tokio::test]
async fn postgres_stops_producing_rows_past_the_cap() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    // 400 rows of 50 ms each: producing all of them would take 20 s. Rows of
    // 4 KB leave the server's output buffer every few rows, so six of them
    // arrive after about 0.3 s.
    let marker = format!("cap_probe_{}", db.id);
    let sql = format!(
        "SELECT n AS {marker}, repeat('x', 4000) AS pad, pg_sleep(0.05)::text AS slept FROM generate_series(1, 400) AS n"
    );
    let limits = Limits { max_rows: 5, max_bytes: 1 << 20, timeout: Duration::from_secs(60) };
    // The first call stops the query once the cap is passed; later calls fetch
    // a portal up to the cap.
    for call in 1..=3 {
        let started = Instant::now();
        let out = limited(&engine, &db, &sql, limits).await.unwrap_or_else(|e| panic!("call {call}: {e}"));
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "call {call} waited {took:?}: the server produced every row");
        assert_eq!((out.row_count, out.truncated), (5, true), "call {call}");
        assert_eq!(out.rows[4][marker.as_str()], 5);
    }
    assert_eq!(db.scalar_becomes(&pg_running(&marker), "0").await.as_deref(), Some("0"), "the capped query runs on");
}

fn short(secs: u64) -> Limits {
    Limits { max_rows: 10, max_bytes: 1 << 20, timeout: Duration::from_secs(secs) }
}

#[tokio::test]
async fn a_slow_statement_is_stopped_by_the_server_side_timeout_on_every_engine() {
    let mut cases: Vec<(TestDb, &str)> = vec![(
        sqlite().await,
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100000000) SELECT count(*) FROM s",
    )];
    if let Some(db) = pg().await {
        cases.push((db, "SELECT pg_sleep(20)"));
    }
    if let Some(db) = mysql().await {
        cases.push((db, "SELECT SLEEP(20) AS s FROM seq_1_to_2"));
    }
    for (db, sql) in &cases {
        db.setup("CREATE TABLE created_for_sqlite (a INT);").await;
        let engine = Engine::new();
        let started = Instant::now();
        let err = limited(&engine, db, sql, short(1)).await.expect_err("the statement must time out");
        assert!(matches!(err, EngineError::Timeout(_)), "{:?}: {err}", db.spec.db_type);
        assert_eq!(err.http_status(), 504);
        assert!(started.elapsed() < Duration::from_secs(3), "{:?} took {:?}", db.spec.db_type, started.elapsed());
        assert_eq!(limited(&engine, db, "SELECT 1 AS one", short(5)).await.unwrap().rows[0]["one"], 1);
    }
}

#[tokio::test]
async fn dropping_the_caller_cancels_the_query_on_postgres() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    let marker = format!("cancel_probe_{}", db.id);
    let sql = format!("SELECT pg_sleep(30) AS {marker}");
    let _ = tokio::time::timeout(Duration::from_millis(500), limited(&engine, &db, &sql, short(60))).await;
    assert_eq!(db.scalar_becomes(&pg_running(&marker), "0").await.as_deref(), Some("0"), "the sleep runs on");
}

/// How many active PostgreSQL queries hold `marker` in their text.
fn pg_running(marker: &str) -> String {
    format!(
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND state = 'active' AND pid <> pg_backend_pid()"
    )
}

#[tokio::test]
async fn dropping_the_caller_kills_the_query_on_mariadb() {
    let Some(db) = mysql().await else { return };
    let engine = Engine::new();
    let marker = format!("kill_probe_{}", db.id);
    let sql = format!("SELECT SLEEP(30) AS {marker}");
    let _ = tokio::time::timeout(Duration::from_millis(500), limited(&engine, &db, &sql, short(60))).await;
    let running = format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%{marker}%' AND INFO NOT LIKE '%PROCESSLIST%'"
    );
    assert_eq!(db.scalar_becomes(&running, "0").await.as_deref(), Some("0"), "the sleeping query is still running");
}
