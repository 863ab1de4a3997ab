//! The engine's hot path (argument validation, binding, read-only execution
//! and rows to JSON, for a 20-row result on PostgreSQL) next to the raw
//! tokio-postgres driver running the same query in the same process.
//!
//! Run with `cargo bench -p mcp-runtime --bench engine` (needs the PostgreSQL
//! from `TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres).
//! Prints per-call latency (mean and median) and the ratio to the raw driver.

use std::str::FromStr;
use std::time::{Duration, Instant};

use mcp_runtime::db::{ConnectionSpec, DbType, Engine, Limits, Query, SslMode};
use serde_json::{Map, Value, json};
use shared_model::ParamDef;

const ITERATIONS: usize = 2000;
const WARMUP: usize = 200;
const SQL: &str = "SELECT id, name, price, created_at, active, tags FROM bench_items WHERE id > :min_id AND active = :active OR id > 0 ORDER BY id";
const RAW_SQL: &str = "SELECT id, name, price, created_at, active, tags FROM bench_items WHERE id > $1 AND active = $2 OR id > 0 ORDER BY id";

/// Mean and median of per-call durations, in microseconds.
fn stats(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len() as f64;
    (mean * 1e6, samples[samples.len() / 2].as_secs_f64() * 1e6)
}

async fn time<F, Fut>(mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    for _ in 0..WARMUP {
        assert_eq!(f().await, 20);
    }
    let mut samples = Vec::with_capacity(ITERATIONS);
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        assert_eq!(f().await, 20);
        samples.push(t.elapsed());
    }
    stats(samples)
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let url = std::env::var("TEST_POSTGRES_URL").unwrap_or("postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin_cfg = tokio_postgres::Config::from_str(&url).expect("TEST_POSTGRES_URL parses");
    let Ok((admin, conn)) = admin_cfg.connect(tokio_postgres::NoTls).await else {
        eprintln!("PostgreSQL unreachable at {url}; benchmark skipped");
        return;
    };
    tokio::spawn(conn);
    let db = format!("quarry_bench_{}", std::process::id());
    admin.batch_execute(&format!("CREATE DATABASE {db}")).await.expect("create the bench database");

    let mut cfg = admin_cfg.clone();
    cfg.dbname(&db);
    let (raw, conn) = cfg.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    raw.batch_execute(
        "CREATE TABLE bench_items (id int8 PRIMARY KEY, name text, price numeric(10,2), created_at timestamptz, active bool, tags text[]);
         INSERT INTO bench_items SELECT n, 'item ' || n, n * 1.25, now() - n * interval '1 hour', n % 2 = 0, ARRAY['a', 'b']
         FROM generate_series(1, 20) AS n;",
    )
    .await
    .expect("seed");

    let mut spec = ConnectionSpec::new(DbType::Postgresql, "127.0.0.1", 5432, &db, "postgres");
    if let Some(tokio_postgres::config::Host::Tcp(h)) = admin_cfg.get_hosts().first() {
        spec.host = h.clone();
    }
    spec.port = admin_cfg.get_ports().first().copied().unwrap_or(5432);
    spec.username = admin_cfg.get_user().unwrap_or("postgres").into();
    spec.password = admin_cfg.get_password().map(|p| String::from_utf8_lossy(p).into_owned());
    spec.ssl_mode = SslMode::Disable;
    spec.pool_max = 1;
    let params: Vec<ParamDef> = serde_json::from_value(json!([
        {"name": "min_id", "type": "integer", "min": 0},
        {"name": "active", "type": "boolean", "default": true}
    ]))
    .expect("params");
    let args: Map<String, Value> = json!({"min_id": 0}).as_object().cloned().expect("object");
    let limits = Limits { max_rows: 1000, max_bytes: 1 << 20, timeout: Duration::from_secs(10) };
    let engine = Engine::new();

    let (engine_mean, engine_p50) = time(|| async {
        let q = Query::new(SQL, &params, &args, true, limits);
        engine.execute("bench", &spec, &q).await.expect("engine query").row_count
    })
    .await;

    let stmt = raw.prepare(RAW_SQL).await.expect("prepare");
    let (raw_mean, raw_p50) = time(|| async {
        let rows = raw.query(&stmt, &[&0i64, &true]).await.expect("raw query");
        // Touch every value, as the engine does when it builds JSON.
        for r in &rows {
            let _: (i64, String, bool, Vec<String>) = (r.get(0), r.get(1), r.get(4), r.get(5));
        }
        rows.len()
    })
    .await;

    let (raw_tx, conn) = cfg.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    let mut raw_tx = raw_tx;
    let stmt_tx = raw_tx.prepare(RAW_SQL).await.expect("prepare");
    let (tx_mean, tx_p50) = {
        let mut samples = Vec::with_capacity(ITERATIONS);
        for i in 0..WARMUP + ITERATIONS {
            let t = Instant::now();
            let tx = raw_tx.build_transaction().read_only(true).start().await.expect("begin");
            tx.batch_execute("SET LOCAL statement_timeout = 10000").await.expect("set");
            let rows = tx.query(&stmt_tx, &[&0i64, &true]).await.expect("query");
            tx.rollback().await.expect("rollback");
            assert_eq!(rows.len(), 20);
            if i >= WARMUP {
                samples.push(t.elapsed());
            }
        }
        stats(samples)
    };

    println!("engine hot path, 20-row result on PostgreSQL, {ITERATIONS} sequential calls, one connection:");
    println!("  raw tokio-postgres query (prepared, no transaction)     mean {raw_mean:8.1} µs   p50 {raw_p50:8.1} µs");
    println!("  raw tokio-postgres in READ ONLY txn + statement_timeout mean {tx_mean:8.1} µs   p50 {tx_p50:8.1} µs");
    println!(
        "  engine.execute (validate + bind + read-only + JSON)     mean {engine_mean:8.1} µs   p50 {engine_p50:8.1} µs"
    );
    println!(
        "  overhead vs raw query:      {:.2}x ({:+.1} µs per call)",
        engine_mean / raw_mean,
        engine_mean - raw_mean
    );
    println!("  overhead vs raw read-only:  {:.2}x ({:+.1} µs per call)", engine_mean / tx_mean, engine_mean - tx_mean);

    drop(engine);
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
}
