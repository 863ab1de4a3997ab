//! PostgreSQL connections under stress: the prepared-statement cache
//! overflowing while calls run, a table changing under a prepared statement,
//! and the server ending a connection in the middle of a call.

use std::time::Duration;

use futures::StreamExt;
use mcp_runtime::db::{Engine, EngineError, Limits, PG_STATEMENT_CACHE, Query, QueryResult};
use serde_json::{Map, Value, json};

use crate::support::{TestDb, pg};

fn limits() -> Limits {
    Limits { max_rows: 100, max_bytes: 1 << 20, timeout: Duration::from_secs(30) }
}

async fn call(engine: &Engine, db: &TestDb, sql: &str, read_only: bool) -> Result<QueryResult, EngineError> {
    let args = Map::new();
    engine.execute(&db.id, &db.spec, &Query::new(sql, &[], &args, read_only, limits())).await
}

/// One call and the single row it must return.
struct Expect {
    sql: String,
    read_only: bool,
    row: Value,
}

fn expect(sql: String, read_only: bool, row: Value) -> Expect {
    Expect { sql, read_only, row }
}

/// Runs `calls` eight at a time (the pool hands connections out in order)
/// and checks each result.
async fn run_all(engine: &Engine, db: &TestDb, calls: Vec<Expect>) {
    let results: Vec<_> = futures::stream::iter(&calls)
        .map(|c| async move { (c, call(engine, db, &c.sql, c.read_only).await) })
        .buffered(8)
        .collect()
        .await;
    for (c, result) in results {
        let out = result.unwrap_or_else(|e| panic!("{} (read_only: {}): {e}", c.sql, c.read_only));
        assert_eq!(out.rows, vec![c.row.as_object().cloned().expect("an object")], "{}", c.sql);
    }
}

/// Read-only calls that fill a connection's cache exactly (each prepares its
/// statement; the first also `BEGIN READ ONLY`, `set_config`, `ROLLBACK` and
/// the unlock), then read-write calls that reuse the cached statements but
/// need `BEGIN` and `COMMIT` prepared, mixed with new read-only and inserting
/// calls. Every call must get its own rows.
async fn overflow_while_calls_run(engine: &Engine, db: &TestDb) {
    let fill = PG_STATEMENT_CACHE - 4;
    let select = |i: usize| format!("SELECT {i}::int AS n");
    run_all(engine, db, (0..fill).map(|i| expect(select(i), true, json!({"n": i}))).collect()).await;
    let mixed = (0..fill).flat_map(|i| {
        [
            expect(select(i), false, json!({"n": i})),
            expect(format!("SELECT {i}::int AS n, 'again' AS tag"), true, json!({"n": i, "tag": "again"})),
            expect(format!("INSERT INTO hits (n) VALUES ({i}) RETURNING n"), false, json!({"n": i})),
        ]
    });
    run_all(engine, db, mixed.collect()).await;
}

#[tokio::test]
async fn overflowing_the_statement_cache_under_mixed_calls_never_closes_a_statement_a_call_holds() {
    let Some(mut db) = pg().await else { return };
    db.setup("CREATE TABLE hits (n int NOT NULL)").await;
    let engine = Engine::new();
    // One connection: the cache fills to the brim, then read-write calls need
    // statements it does not have yet while holding one it has.
    db.spec.pool_max = 1;
    overflow_while_calls_run(&engine, &db).await;
    // Three connections, calls spread over them in whatever order they come.
    let mut wide = TestDb::borrowed(&format!("{}_wide", db.id), db.spec.clone());
    wide.spec.pool_max = 3;
    wide.setup("TRUNCATE hits").await;
    overflow_while_calls_run(&engine, &wide).await;
    let inserted = (PG_STATEMENT_CACHE - 4).to_string();
    assert_eq!(db.scalar("SELECT count(*) FROM hits").await.as_deref(), Some(inserted.as_str()));
    // The server holds no more statements than the cache bounds.
    let held = call(&engine, &db, "SELECT count(*)::int AS n FROM pg_prepared_statements", true).await.unwrap();
    let held = held.rows[0]["n"].as_u64().unwrap() as usize;
    assert!(held <= PG_STATEMENT_CACHE, "{held} prepared statements on one connection");
}

#[tokio::test]
async fn a_table_changed_under_a_prepared_statement_is_prepared_again_and_the_call_succeeds() {
    let Some(mut db) = pg().await else { return };
    db.setup("CREATE TABLE items (id int PRIMARY KEY, price int); INSERT INTO items VALUES (1, 10)").await;
    db.spec.pool_max = 1; // the second call runs on the connection that prepared the first
    let engine = Engine::new();
    for read_only in [true, false] {
        let sql = format!("SELECT *, pg_backend_pid() AS pid FROM items /* read_only={read_only} */");
        let before = call(&engine, &db, &sql, read_only).await.unwrap();
        let names: Vec<_> = before.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "price", "pid"]);
        assert_eq!(before.rows[0]["price"], 10);
        // Another session changes the result type of the prepared statement.
        db.setup(
            "ALTER TABLE items ALTER COLUMN price TYPE text USING price || ' EUR', ADD COLUMN note text DEFAULT 'n'",
        )
        .await;
        let after = call(&engine, &db, &sql, read_only).await.expect("the call after the change succeeds");
        let names: Vec<_> = after.columns.iter().map(|c| (c.name.as_str(), c.db_type.as_str())).collect();
        assert_eq!(names, [("id", "int4"), ("price", "text"), ("note", "text"), ("pid", "int4")]);
        assert_eq!(after.rows[0]["price"], "10 EUR");
        assert_eq!(after.rows[0]["note"], "n");
        assert_eq!(after.rows[0]["pid"], before.rows[0]["pid"], "the same connection prepared it again");
        // The stale server statement was closed, not left behind.
        let copies = call(
            &engine,
            &db,
            &format!("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = '{sql}'"),
            true,
        )
        .await
        .unwrap();
        assert_eq!(copies.rows[0]["n"], 1);
        db.setup("ALTER TABLE items DROP COLUMN note, ALTER COLUMN price TYPE int USING 10").await;
    }
}

#[tokio::test]
async fn a_connection_the_server_kills_mid_call_fails_that_call_cleanly_and_the_pool_recovers() {
    let Some(mut db) = pg().await else { return };
    let app = format!("quarry_kill_{}", std::process::id());
    db.spec.extra_params.insert("application_name".into(), app.clone());
    db.spec.pool_max = 2;
    let engine = Engine::new();
    // Two pooled connections: one will be killed mid-call, the other while idle.
    let warm = futures::future::join_all((0..2).map(|_| call(&engine, &db, "SELECT pg_sleep(0.2) AS s", true))).await;
    assert!(warm.iter().all(Result::is_ok));
    let sleeping = call(&engine, &db, "SELECT pg_sleep(30) AS slept", true);
    let killer = async {
        let busy = format!(
            "SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity \
             WHERE application_name = '{app}' AND state = 'active' AND query LIKE '%pg_sleep(30)%'"
        );
        let killed = db.scalar_becomes(&busy, "true").await;
        assert_eq!(killed.as_deref(), Some("true"), "the sleeping backend was found and terminated");
        let idle = format!(
            "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity WHERE application_name = '{app}'"
        );
        db.scalar(&idle).await;
    };
    let (outcome, ()) = tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(sleeping, killer) })
        .await
        .expect("the killed call ends instead of hanging");
    match outcome {
        Err(EngineError::Database(message)) => {
            assert!(message.contains("closed the connection"), "{message}");
        }
        other => panic!("expected one database error, got {other:?}"),
    }
    let gone = format!("SELECT count(*)::text FROM pg_stat_activity WHERE application_name = '{app}'");
    assert_eq!(db.scalar_becomes(&gone, "0").await.as_deref(), Some("0"));
    // Both dead connections are discarded; the next calls get fresh ones.
    let sqls: Vec<String> = (0..4).map(|i| format!("SELECT {i} AS n")).collect();
    let next = futures::future::join_all(sqls.iter().map(|sql| call(&engine, &db, sql, true))).await;
    for (i, r) in next.into_iter().enumerate() {
        assert_eq!(r.unwrap_or_else(|e| panic!("call {i} after the kill: {e}")).rows[0]["n"], i);
    }
    let state = engine.pool_state(&db.id).expect("the pool exists");
    assert_eq!(state.in_use, 0);
}
