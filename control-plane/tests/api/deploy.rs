//! Deploy: releases, validation before publishing, rollback, server config,
//! the runtime pull endpoint, and real runtimes (the `mcp-runtime` library)
//! following releases in pull mode.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

pub(crate) const TOKEN: &str = "runtime-test-token";

/// A control plane whose runtimes are started elsewhere (they pull).
pub(crate) async fn spawn_pull_app() -> (TestApp, String) {
    let key = shared_model::Keyring::generate_key();
    let app = TestApp::spawn_with(&[
        ("QUARRY_DEPLOY_TARGET", "kubernetes"),
        ("QUARRY_RUNTIME_TOKEN", TOKEN),
        ("QUARRY_RUNTIME_KEY", &key),
    ])
    .await;
    app.login_admin().await;
    (app, key)
}

async fn seed(app: &TestApp) -> (String, String) {
    let conn = app.create_connection("warehouse").await;
    let tool = app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    (conn["id"].as_str().unwrap().to_string(), tool["id"].as_str().unwrap().to_string())
}

pub(crate) async fn pull(app: &TestApp, token: Option<&str>, etag: Option<&str>, wait: u64) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(app.url(&format!("/api/v1/runtime/manifest?wait={wait}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(e) = etag {
        req = req.header("If-None-Match", e);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_store_with_problems_is_not_deployed_and_every_problem_says_what_to_fix() {
    let (app, _) = spawn_pull_app().await;
    let (conn, _) = seed(&app).await;
    let (s, b) = app.patch(&format!("/api/v1/connections/{conn}"), &json!({"is_active": false})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // `none` on runtimes reachable from the network (here: kubernetes) needs an acknowledgement.
    let (s, b) = app.patch("/api/v1/server/config", &json!({"auth_mode": "none", "server_name": "Changed"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("allow_unauthenticated_network_access"), "{b}");
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!((cfg["auth_mode"].as_str(), cfg["server_name"].as_str()), (Some("bearer"), Some("Quarry")), "{cfg}");

    let (s, b) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let problems: Vec<(String, String)> = b["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap().into(), p["message"].as_str().unwrap().into()))
        .collect();
    assert!(
        problems.iter().any(|(p, m)| p == "tools.orders_by_customer.connection_id" && m.contains("activate it")),
        "{b}"
    );
    let (_, releases) = app.get("/api/v1/releases").await;
    assert_eq!(releases["total"], 0);
    // The refused deploy minted no token either.
    assert_eq!(app.get("/api/v1/server/config").await.1["tokens"], json!([]));
    assert_eq!(pull(&app, Some(TOKEN), None, 0).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn deploys_make_numbered_releases_with_their_changes_and_an_old_one_can_be_redeployed() {
    let (app, _) = spawn_pull_app().await;
    let (_, tool) = seed(&app).await;
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!((st["status"].as_str(), st["undeployed_changes"].as_bool()), (Some("stopped"), Some(true)), "{st}");

    let (s, first) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["release"]["number"], 1);
    let kinds: Vec<&str> =
        first["release"]["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["server", "connection", "tool"]);
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["undeployed_changes"], false, "{st}");
    assert_eq!(st["release"], 1);

    let (s, b) = app
        .patch(&format!("/api/v1/tools/{tool}"), &json!({"sql_query": "SELECT 2 AS n WHERE :customer_id::int > 0"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["undeployed_changes"], true, "{st}");
    let (_, second) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(
        second["release"]["changes"],
        json!([{"kind": "tool", "name": "orders_by_customer", "action": "changed"}])
    );

    let (s, back) = app.post("/api/v1/releases/1/redeploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{back}");
    assert_eq!((back["number"].as_i64(), back["rolled_back_from"].as_i64()), (Some(3), Some(1)));
    assert_eq!(back["changes"][0]["action"], "changed");
    let (_, list) = app.get("/api/v1/releases").await;
    assert_eq!(list["total"], 3);
    let numbers: Vec<i64> = list["items"].as_array().unwrap().iter().map(|r| r["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [3, 2, 1]);
    let (s, _) = app.post("/api/v1/releases/99/redeploy", &json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_generated_manifest_masks_every_secret() {
    let (app, _) = spawn_pull_app().await;
    seed(&app).await;
    let (s, _) = app.get("/api/v1/server/generated").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.post("/api/v1/deploy", &json!({})).await;
    let (s, m) = app.get("/api/v1/server/generated").await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["connections"][0]["password"], "••••••");
    assert_eq!(m["tools"][0]["connection"], "warehouse");
    let text = m.to_string();
    assert!(!text.contains("pg-secret-value") && !text.contains("v1:"), "{text}");
    // What runtimes pull carries the password sealed, never in plain text.
    let pulled = pull(&app, Some(TOKEN), None, 0).await.text().await.unwrap();
    assert!(pulled.contains("\"password\":\"v1:") && !pulled.contains("pg-secret-value"));
}

#[tokio::test]
async fn the_pull_endpoint_needs_the_runtime_token_and_answers_conditionally() {
    let (app, _) = spawn_pull_app().await;
    seed(&app).await;
    assert_eq!(pull(&app, None, None, 0).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(pull(&app, Some("wrong"), None, 0).await.status(), StatusCode::UNAUTHORIZED);
    app.post("/api/v1/deploy", &json!({})).await;
    let res = pull(&app, Some(TOKEN), None, 0).await;
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    assert_eq!(etag, format!("\"{}\"", body["content_hash"].as_str().unwrap()));
    let started = Instant::now();
    assert_eq!(pull(&app, Some(TOKEN), Some(&etag), 1).await.status(), StatusCode::NOT_MODIFIED);
    assert!(started.elapsed() >= Duration::from_millis(900), "a conditional pull with wait=1 waits");
    let (s, _) = app.post("/api/v1/deploy/stop", &json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(pull(&app, Some(TOKEN), Some(&etag), 0).await.status(), StatusCode::NO_CONTENT);
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["status"], "stopped", "{st}");
}

#[tokio::test]
async fn server_config_is_validated_tokens_are_shown_once_and_clients_get_ready_configs() {
    let (app, _) = spawn_pull_app().await;
    let (s, b) = app
        .patch("/api/v1/server/config", &json!({"server_name": "", "public_url": "ftp://x", "log_level": "loud"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .patch(
            "/api/v1/server/config",
            &json!({"server_name": "Sales DB", "public_url": "https://mcp.example.com", "auth_mode": "bearer",
            "instructions": "Use orders_by_customer for order questions.", "default_limits": {"max_rows": 50}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["mcp_url"], "https://mcp.example.com/mcp");
    let (s, created) = app.post("/api/v1/server/tokens", &json!({"name": "laptop"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with(created["prefix"].as_str().unwrap()));
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert!(!cfg.to_string().contains(token) && cfg["tokens"][0].get("hash").is_none(), "{cfg}");

    seed(&app).await;
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let manifest: Value = pull(&app, Some(TOKEN), None, 0).await.json().await.unwrap();
    assert_eq!(manifest["server"]["name"], "Sales DB");
    assert_eq!(manifest["auth"]["mode"], "bearer");
    assert_eq!(manifest["tools"][0]["limits"]["max_rows"], 50);
    let (_, connect) = app.get("/api/v1/server/connect").await;
    assert_eq!(
        connect["clients"][0]["config"],
        "claude mcp add --transport http sales-db https://mcp.example.com/mcp --header \"Authorization: Bearer <YOUR_TOKEN>\""
    );
    assert_eq!(connect["name"], "sales-db");
    let windsurf = connect["clients"].as_array().unwrap().iter().find(|c| c["client"] == "windsurf").unwrap();
    assert!(windsurf["config"].as_str().unwrap().contains("\"serverUrl\": \"https://mcp.example.com/mcp\""));
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/server/tokens/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&format!("/api/v1/server/tokens/{id}")).await.0, StatusCode::NOT_FOUND);
}

/// A real runtime in pull mode, in this process.
pub(crate) async fn start_runtime(app: &TestApp, key: &str, name: &str) -> u16 {
    let env: HashMap<String, String> = HashMap::from([
        ("QUARRY_RUNTIME_BIND".into(), "127.0.0.1:0".into()),
        ("QUARRY_RUNTIME_TOKEN".into(), TOKEN.into()),
        ("QUARRY_RUNTIME_KEY".into(), key.into()),
        ("QUARRY_RUNTIME_INSTANCE".into(), name.into()),
        ("QUARRY_RUNTIME_DELIVERY_SECONDS".into(), "1".into()),
    ]);
    let args = vec!["--control-plane".to_string(), app.base.clone()];
    let config = mcp_runtime::config::RuntimeConfig::load(&args, &env).unwrap();
    let factory = mcp_runtime::engine_adapter::EngineFactory::new(Some(key));
    let rt = mcp_runtime::app::Application::build(config, std::sync::Arc::new(factory)).await.unwrap();
    let port = rt.port();
    tokio::spawn(rt.run());
    port
}

pub(crate) async fn wait_for_release(app: &TestApp, release: i64, runtimes: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, st) = app.get("/api/v1/deploy/status").await;
        let serving = st["instances"].as_array().map_or(0, |i| i.iter().filter(|x| x["release"] == release).count());
        if serving == runtimes && st["status"] == "running" {
            return st;
        }
        assert!(Instant::now() < deadline, "runtimes did not reach release {release}: {st}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_pulling_runtimes_pick_up_a_new_release_within_seconds() {
    let (app, key) = spawn_pull_app().await;
    let (_, tool) = seed(&app).await;
    app.post("/api/v1/deploy", &json!({})).await;
    let ports = [start_runtime(&app, &key, "pod-a").await, start_runtime(&app, &key, "pod-b").await];
    let st = wait_for_release(&app, 1, 2).await;
    assert_eq!(st["runtime_version"], env!("CARGO_PKG_VERSION"));

    app.patch(&format!("/api/v1/tools/{tool}"), &json!({"description": "Orders, newest first"})).await;
    let started = Instant::now();
    let (s, _) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED);
    wait_for_release(&app, 2, 2).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "pick-up took {took:?}");
    eprintln!("two runtimes picked up release 2 in {took:?}");
    for port in ports {
        let ready: Value = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap().json().await.unwrap();
        assert_eq!(ready["release"], 2);
    }
    // Stop: they unload (serve the empty release 0).
    app.post("/api/v1/deploy/stop", &json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    for port in ports {
        loop {
            let ready: Value =
                reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await.unwrap().json().await.unwrap();
            if ready["release"] == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "runtime on {port} kept serving after stop");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn a_runtime_that_cannot_start_shows_as_an_error_that_says_what_to_set() {
    let app = TestApp::spawn_with(&[
        ("QUARRY_DEPLOY_TARGET", "local"),
        ("QUARRY_RUNTIME_BIN", "/nonexistent/quarry-runtime"),
    ])
    .await;
    app.login_admin().await;
    seed(&app).await;
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["status"], "error", "{st}");
    assert!(st["message"].as_str().unwrap().contains("QUARRY_RUNTIME_BIN"), "{st}");
    assert_eq!(st["process"]["state"], "failed", "{st}");
    let (s, h) = app.get("/api/v1/server/health").await;
    assert_eq!((s, h["reachable"].as_bool()), (StatusCode::OK, Some(false)), "{h}");
}

#[tokio::test]
async fn the_log_stream_needs_a_session() {
    let app = TestApp::spawn().await;
    let res = reqwest::Client::new().get(app.url("/api/v1/deploy/logs")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_connection_a_runtime_cannot_reach_shows_in_the_deploy_status_without_failing_it() {
    let (app, _) = spawn_pull_app().await;
    seed(&app).await;
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let beat = |id: &str, down: Value| {
        json!({"instance_id": id, "runtime_version": "test", "release": 1, "status": "running", "message": "",
               "connections_down": down})
    };
    for b in [beat("pod-a", json!(["warehouse"])), beat("pod-b", json!([]))] {
        let r = reqwest::Client::new()
            .post(app.url("/api/v1/runtime/heartbeat"))
            .bearer_auth(TOKEN)
            .json(&b)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["status"], "running", "{st}");
    let message = st["message"].as_str().unwrap();
    assert!(message.contains("warehouse") && message.contains("1 of them"), "{message}");
    let a = st["instances"].as_array().unwrap().iter().find(|i| i["instance_id"] == "pod-a").unwrap();
    assert_eq!(a["connections_down"], json!(["warehouse"]), "kept through the store: {st}");

    // Once it answers again, the next heartbeat clears it.
    reqwest::Client::new()
        .post(app.url("/api/v1/runtime/heartbeat"))
        .bearer_auth(TOKEN)
        .json(&beat("pod-a", json!([])))
        .send()
        .await
        .unwrap();
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert!(!st["message"].as_str().unwrap().contains("did not answer"), "{st}");
}
