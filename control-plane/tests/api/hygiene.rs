//! HTTP hygiene of the control plane's listener over real sockets: the Host
//! check, security headers, CSRF on state-changing requests and slowloris.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{TestApp, browser};
use crate::slowloris::Slowloris;

#[tokio::test]
async fn a_foreign_host_is_refused_before_routing_and_our_own_names_pass() {
    let app = TestApp::spawn_with(&[("QUARRY_PUBLIC_URL", "https://quarry.example.com")]).await;
    let client = reqwest::Client::new();
    let creds = json!({"username": "admin", "password": "correct horse"});
    let res = client.post(app.url("/api/v1/auth/setup")).header(header::HOST, "rebound.evil.example").json(&creds);
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("QUARRY_ALLOWED_HOSTS"), "{body}");
    assert_eq!(
        app.get("/api/v1/auth/status").await.1,
        json!({"setup_required": true, "setup_token_required": false}),
        "nothing was written"
    );
    for host in ["quarry.example.com", "localhost:3000", "127.0.0.1", "[::1]:8080"] {
        let res = client.get(app.url("/api/health")).header(header::HOST, host).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn pages_and_the_api_carry_security_headers_and_no_inline_script() {
    let app = TestApp::spawn().await;
    for path in ["/", "/api/health", "/api/docs/", "/api/redoc", "/api/v1/nope"] {
        let res = reqwest::get(app.url(path)).await.unwrap();
        let h = res.headers().clone();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer", "{path}");
        assert!(!h.contains_key(header::STRICT_TRANSPORT_SECURITY), "{path}: no HSTS over plain HTTP");
        let text = res.text().await.unwrap();
        let inline = text
            .match_indices("<script")
            .filter(|(i, _)| !text[*i..].split('>').next().unwrap().contains("src="))
            .count();
        assert_eq!(inline, 0, "{path} has an inline script");
    }
    let https = TestApp::spawn_with(&[("QUARRY_PUBLIC_URL", "https://quarry.example.com")]).await;
    let res = reqwest::get(https.url("/api/health")).await.unwrap();
    assert!(res.headers()[header::STRICT_TRANSPORT_SECURITY].to_str().unwrap().starts_with("max-age="));
}

#[tokio::test]
async fn a_body_less_write_needs_the_intent_header_and_origin_null_is_cross_site() {
    let app = TestApp::spawn().await;
    let cookie_jar = browser();
    let creds = json!({"username": "admin", "password": "correct horse"});
    let setup = cookie_jar.post(app.url("/api/v1/auth/setup")).json(&creds).send().await.unwrap();
    assert_eq!(setup.status(), StatusCode::OK);
    let bare = cookie_jar.post(app.url("/api/v1/deploy/stop")).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    let body: Value = bare.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("x-quarry-request"), "{body}");
    let form = cookie_jar
        .post(app.url("/api/v1/connections"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(r#"{"name": "x", "db_type": "sqlite", "database": "/tmp/x.db"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::FORBIDDEN, "a form-shaped write is refused");
    let null = cookie_jar
        .post(app.url("/api/v1/deploy/stop"))
        .header("x-quarry-request", "1")
        .header(header::ORIGIN, "null")
        .send()
        .await
        .unwrap();
    assert_eq!(null.status(), StatusCode::FORBIDDEN, "Origin: null is cross-site");
    let own = cookie_jar.post(app.url("/api/v1/deploy/stop")).header("x-quarry-request", "1").send().await.unwrap();
    assert_ne!(own.status(), StatusCode::FORBIDDEN);
    let list: Value = cookie_jar.get(app.url("/api/v1/connections")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0, "the refused write changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slowloris_connections_neither_delay_a_normal_request_nor_outlive_the_header_timeout() {
    let app = TestApp::spawn_with(&[("QUARRY_HEADER_READ_TIMEOUT_SECONDS", "2")]).await;
    let addr = app.base.trim_start_matches("http://").parse().unwrap();
    let slow = Slowloris::open(addr, 500).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let res = reqwest::get(app.url("/api/health")).await.unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(took < Duration::from_secs(1), "a normal request took {took:?} beside 500 slow connections");
    assert_eq!(slow.closed(), 0, "the slow connections were still open while the request ran");
    slow.expect_all_closed(Duration::from_secs(8)).await;
}
