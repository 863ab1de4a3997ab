//! HTTP hygiene of the runtime's listener over real sockets: slow and idle
//! connections, the connection cap, the Host check, security headers and the
//! cap on live MCP sessions.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::harness::{TestApp, manifest};
use crate::slowloris::Slowloris;

fn addr(app: &TestApp) -> SocketAddr {
    app.base.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slowloris_connections_neither_delay_a_normal_request_nor_outlive_the_header_timeout() {
    let app = TestApp::spawn(manifest(crate::tools()), &[("QUARRY_RUNTIME_HEADER_READ_TIMEOUT_SECONDS", "2")]).await;
    let slow = Slowloris::open(addr(&app), 500).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let r = app.get("/healthz").send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 200);
    assert!(took < Duration::from_secs(1), "a normal request took {took:?} beside 500 slow connections");
    assert_eq!(slow.closed(), 0, "the slow connections were still open while the request ran");
    slow.expect_all_closed(Duration::from_secs(8)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_a_new_client_waits_until_an_idle_connection_is_closed() {
    let env = [("QUARRY_RUNTIME_MAX_CONNECTIONS", "1"), ("QUARRY_RUNTIME_IDLE_TIMEOUT_SECONDS", "1")];
    let app = TestApp::spawn(manifest(crate::tools()), &env).await;
    let mut idle = tokio::net::TcpStream::connect(addr(&app)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status(), 200);
    assert!(waited >= Duration::from_millis(600), "the cap let a second connection in at once ({waited:?})");
    assert!(waited < Duration::from_secs(4), "the idle connection was not closed in time ({waited:?})");
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(1), idle.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "the idle connection was closed by the server: {read:?}");
}

#[tokio::test]
async fn every_route_refuses_a_foreign_host_and_answers_with_security_headers() {
    let app = TestApp::spawn(manifest(crate::tools()), &[]).await;
    let client = reqwest::Client::new();
    for path in ["/healthz", "/metrics", "/mcp"] {
        let r = client.get(format!("{}{path}", app.base)).header("host", "evil.example.com").send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        assert!(r.headers().contains_key("content-security-policy"), "{path}: the refusal carries the headers too");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("QUARRY_RUNTIME_ALLOWED_HOSTS"), "{body}");
    }
    for host in ["localhost", "127.0.0.1", "[::1]:1"] {
        let r = client.get(format!("{}/healthz", app.base)).header("host", host).send().await.unwrap();
        assert_eq!(r.status(), 200, "{host}");
    }
    let r = app.get("/healthz").send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(!h.contains_key("strict-transport-security"), "no HSTS over plain HTTP");
}

#[tokio::test]
async fn past_the_session_cap_the_least_recently_used_session_is_closed_and_the_others_keep_working() {
    let app = TestApp::spawn(manifest(crate::tools()), &[("QUARRY_RUNTIME_MAX_SESSIONS", "2")]).await;
    let mut a = app.session(None).await;
    let mut b = app.session(None).await;
    assert!(a.request("tools/list", json!({})).await.get("result").is_some(), "a is now the most recent");
    let mut c = app.session(None).await;
    let gone = b.request("tools/list", json!({})).await;
    assert!(gone["raw"].as_str().unwrap_or_default().contains("Session not found"), "{gone}");
    for s in [&mut a, &mut c] {
        let r = s.request("tools/list", json!({})).await;
        assert!(r.get("result").is_some(), "{r}");
    }
}
