//! Pools: one per connection id, sized by the settings, rebuilt when they change.

use std::time::Duration;

use mcp_runtime::db::{Engine, Limits, Query};
use serde_json::Map;

use crate::support::{first_row, pg};

#[tokio::test]
async fn a_changed_connection_gets_a_new_pool() {
    let (Some(a), Some(b)) = (pg().await, pg().await) else { return };
    let engine = Engine::new();
    let row = first_row(&engine, &a, "SELECT current_database() AS db").await;
    assert_eq!(row["db"], a.spec.database.as_str());
    // Same connection id, new settings: the engine must not reuse the old pool.
    let moved = crate::support::TestDb::borrowed(&a.id, b.spec.clone());
    let row = first_row(&engine, &moved, "SELECT current_database() AS db").await;
    assert_eq!(row["db"], b.spec.database.as_str());
}

#[tokio::test]
async fn the_pool_never_opens_more_connections_than_pool_max() {
    let Some(mut db) = pg().await else { return };
    let app = format!("quarry_pool_{}", std::process::id());
    db.spec.extra_params.insert("application_name".into(), app.clone());
    db.spec.pool_max = 2;
    let engine = Engine::new();
    let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: Duration::from_secs(10) };
    let args = Map::new();
    let q = Query::new("SELECT pg_sleep(0.3) AS slept", &[], &args, true, limits);
    let calls = (0..6).map(|_| engine.execute(&db.id, &db.spec, &q));
    let sampler = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        db.scalar(&format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'")).await
    };
    let (results, open) = tokio::join!(futures::future::join_all(calls), sampler);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(open.as_deref(), Some("2"));
}
