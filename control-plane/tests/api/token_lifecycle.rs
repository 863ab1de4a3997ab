//! MCP token lifecycle against real runtimes (the `mcp-runtime` library in
//! pull mode): a revoked token is refused within seconds without a deploy,
//! and rolling back to an older release brings back neither the token nor
//! the older, open auth mode. Each use shows up with its time and address.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::deploy::{spawn_pull_app, start_runtime, wait_for_release};
use crate::harness::TestApp;

/// The most a revocation or an auth change may take to reach a runtime.
const WITHIN: Duration = Duration::from_secs(5);

/// The status of `GET /metrics` (behind the same auth as `/mcp`) on the runtime.
async fn metrics_status(port: u16, token: Option<&str>) -> StatusCode {
    let mut req = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status()
}

/// Waits until the runtime answers `want` for `token`; returns how long it took.
async fn until_status(port: u16, token: Option<&str>, want: StatusCode) -> Duration {
    let started = Instant::now();
    loop {
        let got = metrics_status(port, token).await;
        if got == want {
            return started.elapsed();
        }
        assert!(started.elapsed() < WITHIN, "still {got} after {WITHIN:?}, wanted {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn mint(app: &TestApp, name: &str) -> (String, String) {
    let (s, b) = app.post("/api/v1/server/tokens", &json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (b["id"].as_str().unwrap().to_string(), b["token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_revoked_token_is_refused_within_seconds_and_a_rollback_never_brings_it_or_open_access_back() {
    let (app, key) = spawn_pull_app().await;
    let conn = app.create_connection("warehouse").await;
    app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    // Release 1 is open: `none`, acknowledged for a runtime on the network.
    let open = json!({"auth_mode": "none", "allow_unauthenticated_network_access": true});
    let (s, b) = app.patch("/api/v1/server/config", &open).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert!(d.get("token").is_none(), "no token is minted for `none`: {d}");
    let port = start_runtime(&app, &key, "pod-a").await;
    wait_for_release(&app, 1, 1).await;
    assert_eq!(metrics_status(port, None).await, StatusCode::OK);

    // Switching to bearer reaches the running runtime without a deploy.
    let (kept_id, kept) = mint(&app, "kept").await;
    let (doomed_id, doomed) = mint(&app, "doomed").await;
    let (s, b) = app.patch("/api/v1/server/config", &json!({"auth_mode": "bearer"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let took = until_status(port, None, StatusCode::UNAUTHORIZED).await;
    eprintln!("bearer auth reached the runtime in {took:?}");
    assert_eq!(metrics_status(port, Some(&doomed)).await, StatusCode::OK);
    assert_eq!(metrics_status(port, Some(&kept)).await, StatusCode::OK);

    // Revocation: refused within seconds, no deploy; the other token still works.
    let started = Instant::now();
    assert_eq!(app.delete(&format!("/api/v1/server/tokens/{doomed_id}")).await.0, StatusCode::NO_CONTENT);
    until_status(port, Some(&doomed), StatusCode::UNAUTHORIZED).await;
    let took = started.elapsed();
    eprintln!("a revoked token was refused after {took:?}");
    assert!(took < WITHIN, "revocation took {took:?}");
    assert_eq!(metrics_status(port, Some(&kept)).await, StatusCode::OK);

    // Rolling back to release 1 (open, before both tokens) changes nothing about access.
    let (s, back) = app.post("/api/v1/releases/1/redeploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{back}");
    wait_for_release(&app, 2, 1).await;
    let (_, served) = app.get("/api/v1/server/generated").await;
    assert_eq!(served["auth"]["mode"], "none", "the rolled-back release itself is open: {served}");
    assert_eq!(metrics_status(port, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(metrics_status(port, Some(&doomed)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(metrics_status(port, Some(&kept)).await, StatusCode::OK);

    // The kept token's last use (time and address) was reported with the heartbeat after the rollback.
    let (_, cfg) = app.get("/api/v1/server/config").await;
    let tokens = cfg["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{cfg}");
    let listed: &Value = &tokens[0];
    assert_eq!(listed["id"], kept_id.as_str());
    assert_eq!(listed["last_used_from"], "127.0.0.1", "{cfg}");
    assert!(listed["last_used_at"].is_string(), "{cfg}");
}

#[tokio::test]
async fn a_settings_rollback_keeps_the_current_auth_mode() {
    let (app, _) = spawn_pull_app().await;
    let open = json!({"auth_mode": "none", "allow_unauthenticated_network_access": true, "server_name": "Open"});
    assert_eq!(app.patch("/api/v1/server/config", &open).await.0, StatusCode::OK);
    let closed = json!({"auth_mode": "bearer", "allow_unauthenticated_network_access": false, "server_name": "Closed"});
    assert_eq!(app.patch("/api/v1/server/config", &closed).await.0, StatusCode::OK);
    let (_, history) = app.get("/api/v1/history?entity_type=server_config").await;
    // Newest first: the second entry's "after" snapshot is the open configuration.
    let first = history["items"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    let (s, b) = app.post(&format!("/api/v1/history/{first}/rollback"), &json!({})).await;
    assert!(s.is_success(), "{s} {b}");
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!(cfg["server_name"], "Open", "the rollback applied: {cfg}");
    assert_eq!(cfg["auth_mode"], "bearer", "but not to the auth mode: {cfg}");
    assert_eq!(cfg["allow_unauthenticated_network_access"], false, "{cfg}");
}
