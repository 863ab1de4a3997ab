//! Metrics and the request log end to end: real runtimes in pull mode deliver
//! to a real control plane, which merges their latency sketches, dedupes
//! resent deliveries, rolls minutes up into hours and answers the API.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_model::sketch::{RELATIVE_ERROR, Sketch};
use shared_model::telemetry::{CallRecord, Delivery, MinuteDelta, Subject, TELEMETRY_PATH};

use crate::deploy::{TOKEN, spawn_pull_app, start_runtime, wait_for_release};
use crate::harness::TestApp;
use crate::transforms::call_tool;

const SLEEPY: &str = "SELECT :ms AS ms, length(:secret) AS l FROM pg_sleep(:ms / 1000.0)";

async fn seed_sleepy_tool(app: &TestApp) {
    let conn = app.create_connection("warehouse").await;
    let body = json!({"connection_id": conn["id"], "name": "sleepy", "description": "Sleeps",
        "sql_query": SLEEPY,
        "parameters": [{"name": "ms", "type": "integer", "description": "Milliseconds"},
                       {"name": "secret", "type": "string", "description": "A password", "sensitive": true}]});
    let (s, b) = app.post("/api/v1/tools", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

/// Polls `path` until `done` holds (deliveries arrive every second).
async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, b) = app.get(path).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        if done(&b) {
            return b;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64).ceil() as usize).max(1) - 1]
}

#[tokio::test]
async fn two_runtimes_deliver_and_the_merged_p95_is_the_p95_of_all_their_calls() {
    let (app, key) = spawn_pull_app().await;
    seed_sleepy_tool(&app).await;
    let (_, deployed) = app.post("/api/v1/deploy", &json!({})).await;
    let token = deployed["token"].as_str().expect("the first deploy returns the minted token").to_string();
    let ports = [start_runtime(&app, &key, "pod-a").await, start_runtime(&app, &key, "pod-b").await];
    wait_for_release(&app, 1, 2).await;
    // Two different populations: pod-a fast, pod-b slow.
    for i in 0..30u64 {
        let a = call_tool(ports[0], &token, "sleepy", json!({"ms": 1 + i % 10, "secret": "hunter2"})).await;
        assert_eq!(a["result"]["isError"], json!(false), "{a}");
        call_tool(ports[1], &token, "sleepy", json!({"ms": 20 + 2 * i, "secret": "hunter2"})).await;
    }
    let bad = call_tool(ports[0], &token, "sleepy", json!({"ms": "x", "secret": "hunter2"})).await;
    assert_eq!(bad["result"]["isError"], json!(true), "{bad}");

    let stats = wait_for(&app, "/api/v1/metrics/stats?period=1h", |b| b["items"][0]["calls"] == 61).await;
    let tool = &stats["items"][0];
    assert_eq!((tool["name"].as_str(), tool["subject"].as_str()), (Some("sleepy"), Some("tool")), "{stats}");
    assert_eq!(tool["errors"], 1, "{tool}");
    assert_eq!(tool["errors_by_class"]["invalid_argument"], 1, "{tool}");
    assert!(tool["last_called"].is_string());

    let logs = wait_for(&app, "/api/v1/logs?tool=sleepy&limit=100", |b| b["total"] == 61).await;
    let text = logs.to_string();
    assert!(!text.contains("hunter2"), "a sensitive argument reached the request log");
    let entries = logs["items"].as_array().unwrap();
    let ok: Vec<&Value> = entries.iter().filter(|e| e["outcome"] == "ok").collect();
    assert_eq!(ok.len(), 60);
    assert_eq!(ok[0]["arguments"]["secret"], "[redacted]");
    assert!(ok[0]["arguments"]["ms"].is_number());
    // Bearer auth is the default: records name the token the client presented.
    let (_, config) = app.get("/api/v1/server/config").await;
    let token_name = config["tokens"][0]["name"].as_str().expect("the minted token is listed");
    assert!(ok.iter().all(|e| e["client"] == token_name), "{}", ok[0]);
    assert!(ok.iter().all(|e| e["rows"] == 1 && e["db_ms"].as_f64().unwrap() > 0.0));
    let instances: std::collections::BTreeSet<&str> =
        entries.iter().map(|e| e["instance_id"].as_str().unwrap()).collect();
    assert_eq!(instances.len(), 2, "{instances:?}");

    // The exact p95 of every call (the log keeps each duration to the µs)
    // against the p95 of the merged sketches.
    let mut all: Vec<f64> = entries.iter().map(|e| e["duration_ms"].as_f64().unwrap()).collect();
    all.sort_by(f64::total_cmp);
    for (q, field) in [(0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")] {
        let exact = nearest_rank(&all, q);
        let merged = tool[field].as_f64().unwrap();
        // 1 µs slack: the log rounds to whole µs like the sketch's input.
        assert!((merged - exact).abs() <= exact * RELATIVE_ERROR + 0.001, "{field}: merged {merged} vs exact {exact}");
        eprintln!("{field}: merged {merged:.3} ms, exact {exact:.3} ms");
    }

    let failed = app.get("/api/v1/logs?outcome=error").await.1;
    assert_eq!(failed["total"], 1, "{failed}");
    assert_eq!(failed["items"][0]["error_class"], "invalid_argument");
    assert_eq!(app.get("/api/v1/logs?search=INVALID_arg").await.1["total"], 1);
    let by_client = format!(
        "/api/v1/logs?client={}&limit=1",
        token_name.replace(' ', "%20").replace('(', "%28").replace(')', "%29")
    );
    assert_eq!(app.get(&by_client).await.1["total"], 61);
    assert_eq!(app.get("/api/v1/logs?client=anonymous&limit=1").await.1["total"], 0);
    let (s, b) = app.get("/api/v1/logs?outcome=maybe").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let series = app.get("/api/v1/metrics/timeseries?period=1h&tool=sleepy").await.1;
    let points = series["points"].as_array().unwrap();
    assert_eq!(series["step_seconds"], 60);
    assert_eq!(points.iter().map(|p| p["calls"].as_u64().unwrap()).sum::<u64>(), 61, "{series}");
    let (s, b) = app.get("/api/v1/metrics/timeseries?period=2h").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let queues = wait_for(&app, "/api/v1/queue/metrics", |b| {
        b["items"][0]["instances"].as_array().is_some_and(|i| i.len() == 2)
    })
    .await;
    let q = &queues["items"][0];
    assert_eq!(q["total"]["limit"].as_u64().unwrap(), 2 * q["instances"][0]["limit"].as_u64().unwrap(), "{q}");
    assert_eq!(q["total"]["running"], 0);
}

fn delivery(instance: &str, sequence: u64, calls: u64, minute: i64) -> Delivery {
    let mut latency = Sketch::default();
    for _ in 0..calls {
        latency.observe_micros(2_000);
    }
    Delivery {
        instance_id: instance.into(),
        sequence,
        release: 1,
        metrics: vec![MinuteDelta {
            minute,
            subject: Subject::Tool,
            name: "t".into(),
            connection: "c".into(),
            calls,
            latency,
            ..Default::default()
        }],
        records: vec![CallRecord {
            at: Utc::now(),
            release: 1,
            subject: Subject::Tool,
            name: "t".into(),
            client: "anonymous".into(),
            duration_us: 2000,
            queue_wait_us: 0,
            db_us: 1900,
            rows: 1,
            bytes: 10,
            error_class: None,
            arguments: json!({}),
        }],
        ..Default::default()
    }
}

async fn deliver(app: &TestApp, body: &impl serde::Serialize, token: &str) -> StatusCode {
    let res = reqwest::Client::new().post(app.url(TELEMETRY_PATH)).bearer_auth(token).json(body).send().await.unwrap();
    res.status()
}

#[tokio::test]
async fn a_resent_delivery_counts_once_and_a_restarted_runtime_adds_to_the_old_one() {
    let (app, _) = spawn_pull_app().await;
    let minute = Utc::now().timestamp() / 60 * 60;
    let first = delivery("pod-a.1111", 1, 5, minute);
    assert_eq!(deliver(&app, &first, TOKEN).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&app, &first, TOKEN).await, StatusCode::NO_CONTENT, "a resend is accepted");
    let calls = || async { app.get("/api/v1/metrics/stats?period=1h").await.1["items"][0]["calls"].clone() };
    assert_eq!(calls().await, 5);
    assert_eq!(app.get("/api/v1/logs").await.1["total"], 1);
    // The same pod restarted: a new instance id, numbering from 1 again.
    assert_eq!(deliver(&app, &delivery("pod-a.2222", 1, 3, minute), TOKEN).await, StatusCode::NO_CONTENT);
    assert_eq!(deliver(&app, &delivery("pod-a.1111", 2, 1, minute), TOKEN).await, StatusCode::NO_CONTENT);
    assert_eq!(calls().await, 9);
    assert_eq!(app.get("/api/v1/logs").await.1["total"], 3);

    // Refused deliveries change nothing.
    assert_eq!(deliver(&app, &delivery("pod-a.3333", 1, 7, minute), "wrong").await, StatusCode::UNAUTHORIZED);
    let odd = delivery("pod-a.3333", 1, 7, minute + 1);
    assert_eq!(deliver(&app, &odd, TOKEN).await, StatusCode::UNPROCESSABLE_ENTITY);
    let res = reqwest::Client::new().post(app.url(TELEMETRY_PATH)).bearer_auth(TOKEN).json(&odd).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("metrics[0]"), "{body}");
    assert_eq!(
        deliver(&app, &json!({"instance_id": "x", "sequence": 0}), TOKEN).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(calls().await, 9);
    assert_eq!(app.get("/api/v1/logs").await.1["total"], 3);
}

/// Bytes the store uses for the two metric tables.
async fn metric_bytes(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT (pg_total_relation_size('metric_minutes') + pg_total_relation_size('metric_hours'))::bigint AS n"
        }
        // The whole file: SQLite keeps no per-table figure without dbstat.
        _ => "SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS n",
    };
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// A busy tool's minute: latencies over 1 ms – 1 s fill every bucket in between (~350).
fn busy_delta(minute: i64) -> MinuteDelta {
    let mut latency = Sketch::default();
    let mut us = 1_000f64;
    while us < 1_000_000.0 {
        latency.observe_micros(us as u64);
        us *= 1.02;
    }
    let errors = [("timeout".to_string(), 3), ("database_error".to_string(), 2)].into();
    MinuteDelta {
        minute,
        subject: Subject::Tool,
        name: "orders_by_customer".into(),
        connection: uuid::Uuid::new_v4().to_string(),
        calls: 6000,
        errors,
        cache_hits: 100,
        rows: 60_000,
        bytes: 6_000_000,
        latency,
    }
}

#[tokio::test]
async fn one_busy_tool_over_ninety_days_stays_within_the_stated_store_size() {
    use control_plane::model::telemetry::Retention;
    use control_plane::storage::telemetry::{apply, rollup};
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let before = metric_bytes(&app).await;
    let now = Utc::now();
    let hour = now.timestamp() / 3600 * 3600;
    let connection = uuid::Uuid::new_v4().to_string();
    // 90 days of hours (one minute row each, rolled up), then 48 h of minutes.
    let hours: Vec<MinuteDelta> =
        (1..=90 * 24).map(|h| MinuteDelta { connection: connection.clone(), ..busy_delta(hour - h * 3600) }).collect();
    let minutes: Vec<MinuteDelta> = (1..=48 * 60)
        .map(|m| MinuteDelta { connection: connection.clone(), ..busy_delta(now.timestamp() / 60 * 60 - m * 60) })
        .collect();
    let mut sequence = 0;
    for (chunk, compact_after) in [(hours, true), (minutes, false)] {
        for part in chunk.chunks(500) {
            sequence += 1;
            let d =
                Delivery { instance_id: "pod-a.fill".into(), sequence, metrics: part.to_vec(), ..Default::default() };
            apply(&app.state.db, &d).await.unwrap();
        }
        if compact_after {
            let from = now.timestamp() - 91 * 86_400;
            // Roll up while the minutes are kept, then apply the default retention.
            let keep_all = Retention { minute_hours: 92 * 24, ..Retention::default() };
            let done = rollup::compact(&app.state.db, keep_all, from, now).await.unwrap();
            assert_eq!(done.hours, 90 * 24, "{done:?}");
            rollup::compact(&app.state.db, Retention::default(), from, now).await.unwrap();
            // The oldest hour began just over 90 days ago: past the retention.
            assert_eq!(count(&app, "metric_hours").await, 90 * 24 - 1);
            let young = (1..=90 * 24).filter(|h| hour - h * 3600 >= now.timestamp() - 48 * 3600).count();
            assert_eq!(count(&app, "metric_minutes").await, young as i64, "minutes past 48 h are deleted");
        }
    }
    let week = app.get("/api/v1/metrics/stats?period=30d").await.1;
    assert!(week["items"][0]["calls"].as_u64().unwrap() >= 6000 * 30 * 24, "{week}");
    let used = metric_bytes(&app).await - before;
    eprintln!("one busy tool, 48 h of minutes + 90 days of hours: {:.1} MB", used as f64 / 1e6);
    // Stated in docs/observability.md: at most 25 MB per busy tool and instance.
    assert!(used < 25_000_000, "{used} bytes");
}
