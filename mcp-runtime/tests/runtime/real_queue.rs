//! The per-connection queue with real slow queries (`pg_sleep`) on the real
//! PostgreSQL: FIFO order, the concurrency limit, a full line, the queue
//! timeout, and cancellation of a running and of a waiting call.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::TestApp;
use crate::real_db::{connection, release, spawn, text};
use crate::support::{TestDb, pg};

/// 2 running, 2 waiting, 1 s queue timeout, pool of 2.
fn queue() -> Value {
    json!({"max_concurrent_queries": 2, "queue_timeout_seconds": 1, "max_waiters": 2})
}

fn tools() -> Value {
    json!([
        {"name": "slow", "connection": "pg", "parameters": [{"name": "tag", "type": "string"}],
         "sql": "SELECT :tag::text AS tag, (extract(epoch FROM now()) * 1000)::bigint AS started_ms, pg_sleep(0.4)::text AS s"},
        {"name": "hold", "connection": "pg", "sql": "SELECT pg_sleep(1.5)::text AS held"},
        {"name": "long", "connection": "pg", "sql": "SELECT /* quarry_cancel_probe */ pg_sleep(30)::text AS never"},
        {"name": "mark", "connection": "pg", "annotations": {"read_only": false, "idempotent": false},
         "sql": "INSERT INTO ran (tag) VALUES ('waiter') RETURNING tag"}
    ])
}

async fn app() -> Option<(TestApp, TestDb)> {
    let db = pg().await?;
    db.setup("CREATE TABLE ran (tag text)").await;
    let (app, _) = spawn(release(1, vec![connection("pg", &db.spec, None, queue())], tools()), None).await;
    Some((app, db))
}

async fn stats(app: &TestApp) -> Value {
    let s: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    s["connections"][0].clone()
}

#[tokio::test]
async fn real_slow_queries_run_at_most_two_at_a_time_in_arrival_order_and_a_full_line_is_refused() {
    let Some((app, _db)) = app().await else { return };
    // Sessions first, so that opening one (slow on a loaded machine) never spaces the calls apart.
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(app.session(None).await);
    }
    let mut handles = Vec::new();
    for (tag, mut s) in ["a", "b", "c", "d", "e"].into_iter().zip(sessions) {
        handles.push(tokio::spawn(async move { s.call("slow", json!({"tag": tag})).await }));
        tokio::time::sleep(Duration::from_millis(40)).await; // fix the arrival order
    }
    let results: Vec<Value> = futures::future::join_all(handles).await.into_iter().map(Result::unwrap).collect();
    assert!(text(&results[4]).contains("busy"), "the fifth call finds the line full: {}", results[4]);
    let started: Vec<i64> = results[..4]
        .iter()
        .map(|r| r["result"]["structuredContent"]["rows"][0]["started_ms"].as_i64().unwrap_or_else(|| panic!("{r}")))
        .collect();
    // a and b run at once; c and d start, in order, only when a and b finish.
    assert!(started[0] <= started[1] && started[1] < started[2] && started[2] <= started[3], "{started:?}");
    assert!(started[2] - started[0] >= 350, "c waited for a slot: {started:?}");
    let db = stats(&app).await;
    assert_eq!((db["peak_active"].as_i64(), db["rejected"].as_u64()), (Some(2), Some(1)), "{db}");
}

#[tokio::test]
async fn a_waiter_gives_up_after_the_queue_timeout_with_busy_retry() {
    let Some((app, _db)) = app().await else { return };
    let (mut h1, mut h2, mut w) = (app.session(None).await, app.session(None).await, app.session(None).await);
    let a = tokio::spawn(async move { h1.call("hold", json!({})).await });
    let b = tokio::spawn(async move { h2.call("hold", json!({})).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    let r = w.call("slow", json!({"tag": "late"})).await;
    assert!(text(&r).contains("busy") && text(&r).contains("retry"), "{r}");
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited for the 1 s queue timeout");
    for h in [a, b] {
        assert_eq!(h.await.unwrap()["result"]["isError"], json!(false));
    }
    assert_eq!(stats(&app).await["timed_out"], 1);
}

#[tokio::test]
async fn a_cancelled_running_call_stops_its_query_on_the_server() {
    let Some((app, db)) = app().await else { return };
    let probe = "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() \
                 AND datname = current_database() AND query LIKE '%quarry_cancel_probe%'";
    let mut s = app.session(None).await;
    let h = s.handle();
    let call = tokio::spawn(async move { s.call("long", json!({})).await }); // request id 2
    assert_eq!(db.scalar_becomes(probe, "1").await.as_deref(), Some("1"), "the slow query is running");
    h.cancel(2).await;
    let _ = tokio::time::timeout(Duration::from_secs(3), call).await.expect("the call ends promptly");
    assert_eq!(db.scalar_becomes(probe, "0").await.as_deref(), Some("0"), "pg_stat_activity no longer shows the query");
    assert_eq!(stats(&app).await["active"], 0);
}

#[tokio::test]
async fn a_cancelled_waiting_call_leaves_the_line_and_never_runs() {
    let Some((app, db)) = app().await else { return };
    let (mut h1, mut h2, mut w) = (app.session(None).await, app.session(None).await, app.session(None).await);
    let wh = w.handle();
    let a = tokio::spawn(async move { h1.call("hold", json!({})).await });
    let b = tokio::spawn(async move { h2.call("hold", json!({})).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let waiter = tokio::spawn(async move { w.call("mark", json!({})).await }); // request id 2
    tokio::time::sleep(Duration::from_millis(150)).await;
    wh.cancel(2).await;
    let _ = tokio::time::timeout(Duration::from_millis(800), waiter).await.expect("the waiter leaves at once");
    let db_stats = stats(&app).await;
    assert_eq!((db_stats["cancelled"].as_u64(), db_stats["waiting"].as_i64()), (Some(1), Some(0)), "{db_stats}");
    for h in [a, b] {
        h.await.unwrap();
    }
    assert_eq!(db.scalar("SELECT count(*) FROM ran").await.as_deref(), Some("0"), "the cancelled call never ran");
}
