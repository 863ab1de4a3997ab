//! Several control planes on one PostgreSQL store (always PostgreSQL: SQLite
//! is a single writer). Stage 20 leaves these out, stage 25 runs them.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::deploy::{TOKEN, pull};
use crate::harness::{TestApp, create_pg_database, postgres_admin_url};

/// Drops the shared database when the test ends.
struct SharedStore(String);

impl Drop for SharedStore {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                use sea_orm::{ConnectionTrait, Database};
                if let Ok(db) = Database::connect(&postgres_admin_url()).await {
                    let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

/// Two control planes started together on a fresh database, sharing keys.
async fn two_control_planes() -> (TestApp, TestApp, SharedStore) {
    let name = format!("quarry_ha_{}", uuid::Uuid::new_v4().simple());
    let url = create_pg_database(&name).await;
    let store = SharedStore(name);
    let key = shared_model::Keyring::generate_key();
    let jwt = shared_model::Keyring::generate_key();
    let env = [
        ("QUARRY_DATABASE_URL", url.as_str()),
        ("QUARRY_DEPLOY_TARGET", "kubernetes"),
        ("QUARRY_RUNTIME_TOKEN", TOKEN),
        ("QUARRY_RUNTIME_KEY", key.as_str()),
        ("QUARRY_ENCRYPTION_KEY", key.as_str()),
        ("QUARRY_JWT_SECRET", jwt.as_str()),
        ("QUARRY_FOLLOW_INTERVAL_MS", "200"),
    ];
    // Both migrate the empty database at once: one waits for the other's lock.
    let (a, b) = tokio::join!(TestApp::spawn_with(&env), TestApp::spawn_with(&env));
    (a, b, store)
}

/// Polls `check` until it holds, for at most `limit`; returns how long it took.
async fn within<F, Fut>(limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn ha_a_deploy_and_a_stop_through_one_control_plane_reach_runtimes_pulling_from_the_other() {
    let (a, b, _store) = two_control_planes().await;
    a.login_admin().await;
    let (s, body) = b.post("/api/v1/auth/login", &json!({"username": "admin", "password": "correct horse"})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let conn = a.create_connection("warehouse").await;
    a.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    assert_eq!(pull(&b, Some(TOKEN), None, 0).await.status(), StatusCode::NO_CONTENT);

    // A long-poll waiting on B wakes when the deploy made through A reaches B's store follower.
    let waiting = {
        let url = b.url("/api/v1/runtime/manifest?wait=10");
        tokio::spawn(async move { reqwest::Client::new().get(url).bearer_auth(TOKEN).send().await.unwrap() })
    };
    let (s, release) = a.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{release}");
    let deployed = Instant::now();
    let woke = waiting.await.unwrap();
    let picked_up = deployed.elapsed();
    assert_eq!(woke.status(), StatusCode::OK);
    let etag = woke.headers()["etag"].to_str().unwrap().to_string();
    let manifest: serde_json::Value = woke.json().await.unwrap();
    assert_eq!(manifest["release"], release["release"]["number"]);
    assert!(picked_up < Duration::from_secs(2), "B published the release {picked_up:?} after A stored it");
    assert_eq!(pull(&a, Some(TOKEN), None, 0).await.headers()["etag"].to_str().unwrap(), etag, "the same release");

    // A runtime reporting to A is listed by B's deploy status.
    let beat = json!({"instance_id": "runtime-7", "runtime_version": "test", "release": release["release"]["number"],
                      "status": "running", "message": ""});
    let r = reqwest::Client::new()
        .post(a.url("/api/v1/runtime/heartbeat"))
        .bearer_auth(TOKEN)
        .json(&beat)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    within(Duration::from_secs(3), || async {
        let (_, st) = b.get("/api/v1/deploy/status").await;
        st["instances"].as_array().is_some_and(|i| i.iter().any(|x| x["instance_id"] == "runtime-7"))
    })
    .await;

    // A stop through B unpublishes on A too.
    let (s, body) = b.post("/api/v1/deploy/stop", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let took = within(Duration::from_secs(3), || async {
        pull(&a, Some(TOKEN), None, 0).await.status() == StatusCode::NO_CONTENT
    })
    .await;
    assert!(took < Duration::from_secs(2), "{took:?}");
    let (_, st) = a.get("/api/v1/deploy/status").await;
    assert_eq!(st["instances"].as_array().map_or(0, Vec::len), 0, "a stop forgets the runtimes everywhere: {st}");
}
