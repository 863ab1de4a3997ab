//! Pull mode against a scripted control plane: release numbers only move
//! forward. A control plane that answers an older release than the one served
//! (one of several on a store, not yet caught up) is not followed; a stop
//! resets the order; a disagreement that lasts is reported in the heartbeat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mcp_runtime::app::Application;
use mcp_runtime::config::RuntimeConfig;
use serde_json::Value;

use crate::harness::{Journal, ScriptedFactory, manifest};
use crate::tools;

/// What the scripted control plane publishes (0: nothing) and the heartbeats it received.
#[derive(Default)]
struct Plane {
    release: u64,
    beats: Vec<Value>,
}

type Shared = Arc<Mutex<Plane>>;

async fn manifest_route(State(plane): State<Shared>, headers: HeaderMap) -> Response {
    let release = plane.lock().unwrap().release;
    if release == 0 {
        return StatusCode::NO_CONTENT.into_response();
    }
    let etag = format!("\"r{release}\"");
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        // A short long-poll: the answer is the same release.
        tokio::time::sleep(Duration::from_millis(100)).await;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut m = manifest(tools());
    m["release"] = release.into();
    ([(header::ETAG, etag)], Json(m)).into_response()
}

async fn heartbeat_route(State(plane): State<Shared>, Json(beat): Json<Value>) -> StatusCode {
    plane.lock().unwrap().beats.push(beat);
    StatusCode::NO_CONTENT
}

async fn served(http: &reqwest::Client, base: &str) -> u64 {
    let ready: Value = http.get(format!("{base}/readyz")).send().await.unwrap().json().await.unwrap();
    ready["release"].as_u64().unwrap_or(0)
}

async fn reaches(http: &reqwest::Client, base: &str, release: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while served(http, base).await != release {
        assert!(Instant::now() < deadline, "the runtime did not reach release {release}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The scripted control plane publishing `release`, and a runtime named
/// `instance` pulling from it, once it serves that release: the plane's state
/// and the runtime's base URL.
async fn plane_and_runtime(release: u64, instance: &str) -> (Shared, String, Arc<Mutex<Journal>>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plane: Shared = Arc::new(Mutex::new(Plane { release, beats: vec![] }));
    let router = axum::Router::new()
        .route("/api/v1/runtime/manifest", get(manifest_route))
        // An access document is not offered: the release's own `auth` applies.
        .route("/api/v1/runtime/access", get(|| async { StatusCode::NOT_FOUND }))
        .route("/api/v1/runtime/heartbeat", post(heartbeat_route))
        .with_state(plane.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cp = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let env: HashMap<String, String> = [
        ("QUARRY_RUNTIME_BIND", "127.0.0.1:0"),
        ("QUARRY_RUNTIME_TOKEN", "runtime-token-for-the-order-test"),
        ("QUARRY_RUNTIME_INSTANCE", instance),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = RuntimeConfig::load(&["--control-plane".to_string(), cp], &env).unwrap();
    let journal = Arc::new(Mutex::new(Journal::default()));
    let app = Application::build(config, Arc::new(ScriptedFactory(journal.clone()))).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    reaches(&reqwest::Client::new(), &base, release).await;
    (plane, base, journal)
}

#[tokio::test]
async fn a_pulling_runtime_never_moves_to_an_older_release_except_after_a_stop() {
    let (plane, base, _) = plane_and_runtime(2, "order-test").await;
    let http = reqwest::Client::new();

    // A control plane that has not seen release 2 yet answers release 1: kept at 2.
    plane.lock().unwrap().release = 1;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(served(&http, &base).await, 2, "the runtime moved back to an older release");

    // A newer release is taken at once.
    plane.lock().unwrap().release = 3;
    reaches(&http, &base, 3).await;
    let beats = std::mem::take(&mut plane.lock().unwrap().beats);
    assert!(beats.iter().all(|b| b["status"] != "error"), "a short disagreement is not an error: {beats:?}");

    // A stop unloads; after it any release is taken, however low its number.
    plane.lock().unwrap().release = 0;
    reaches(&http, &base, 0).await;
    let res = http.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503, "serving nothing is not ready");
    plane.lock().unwrap().release = 1;
    reaches(&http, &base, 1).await;
}

#[tokio::test]
async fn an_older_release_answered_for_long_is_reported_in_the_heartbeat() {
    let (plane, base, _) = plane_and_runtime(5, "restored-store").await;
    let http = reqwest::Client::new();

    // A store restored from an older backup: it keeps answering release 3.
    plane.lock().unwrap().release = 3;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reported = plane.lock().unwrap().beats.iter().any(|b| {
            b["status"] == "error"
                && b["message"].as_str().is_some_and(|m| m.contains("older than the served release 5"))
        });
        if reported {
            break;
        }
        assert!(Instant::now() < deadline, "the lasting disagreement was never reported");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(served(&http, &base).await, 5);
}

#[tokio::test]
async fn the_heartbeat_names_the_connections_that_failed_their_health_probe() {
    let (plane, base, journal) = plane_and_runtime(1, "health").await;
    let http = reqwest::Client::new();
    journal.lock().unwrap().db_down = true;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        // The probe runs with /readyz, as an orchestrator asks it (a fresh answer is reused for 5 s); the
        // instance stays ready.
        assert_eq!(http.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
        let last = plane.lock().unwrap().beats.last().cloned();
        if last.as_ref().is_some_and(|b| b["connections_down"] == serde_json::json!(["db"])) {
            assert_eq!(last.unwrap()["status"], "running", "a connection down is not a refused release");
            break;
        }
        assert!(Instant::now() < deadline, "no heartbeat named the connection: {last:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
