//! Login and password hashing under abuse: refusals that come before any
//! hashing, failures counted before the hash completes, per-/64 and
//! proxy-aware addresses, and a limiter whose memory stays bounded.

use std::net::IpAddr;

use control_plane::auth::password::hashes_started;
use control_plane::auth::ratelimit::MAX_FAILURES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

async fn login_from(app: &TestApp, forwarded_for: Option<&str>, username: &str, password: &str) -> StatusCode {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}));
    if let Some(hop) = forwarded_for {
        req = req.header("x-forwarded-for", hop);
    }
    req.send().await.unwrap().status()
}

#[tokio::test]
async fn a_username_longer_than_the_name_limit_is_refused_before_any_work() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let before = hashes_started();
    let long = "a".repeat(256);
    let (status, body) = app.post("/api/v1/auth/login", &json!({"username": long, "password": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("username"), "{body}");
    assert_eq!(hashes_started(), before, "no hash ran");
    assert!(app.state.limiter.is_empty(), "no limiter entry was spent on it");
}

#[tokio::test]
async fn setup_when_an_admin_exists_and_a_locked_out_login_are_refused_without_hashing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let before = hashes_started();
    let (status, _) = app.post("/api/v1/auth/setup", &json!({"username": "other", "password": "long enough"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(hashes_started(), before, "setup hashed a password it could never store");
    for _ in 0..MAX_FAILURES {
        assert_eq!(login_from(&app, None, "admin", "wrong password").await, StatusCode::UNAUTHORIZED);
    }
    let before = hashes_started();
    assert_eq!(login_from(&app, None, "admin", "correct horse").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(hashes_started(), before, "a locked-out attempt never reaches the hash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_guesses_each_cost_a_lockout_count() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let before = hashes_started();
    let guesses = (0..3 * MAX_FAILURES).map(|i| {
        let url = app.url("/api/v1/auth/login");
        async move {
            let body = json!({"username": "admin", "password": format!("guess {i}")});
            reqwest::Client::new().post(url).json(&body).send().await.unwrap().status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let wrong = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((wrong, refused), (MAX_FAILURES, 2 * MAX_FAILURES), "{statuses:?}");
    assert_eq!(hashes_started() - before, MAX_FAILURES as u64, "only the counted guesses were hashed");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_counts_per_64_and_cannot_lock_the_admin_out_elsewhere() {
    let app = TestApp::spawn_with(&[("QUARRY_TRUSTED_PROXIES", "127.0.0.1/32, ::1")]).await;
    app.login_admin().await;
    for i in 1..=MAX_FAILURES {
        let hop = format!("6.6.6.6, 2001:db8:0:7::{i}");
        assert_eq!(login_from(&app, Some(&hop), "admin", "wrong password").await, StatusCode::UNAUTHORIZED);
    }
    let same_prefix = "2001:db8:0:7:ffff::1";
    assert_eq!(login_from(&app, Some(same_prefix), "admin", "correct horse").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_from(&app, Some("198.51.100.4"), "admin", "correct horse").await, StatusCode::OK);
    let audit = app.get("/api/v1/audit?event=login_failed").await.1;
    let addresses: Vec<&Value> = audit["items"].as_array().unwrap().iter().map(|e| &e["address"]).collect();
    assert!(addresses.iter().all(|a| a.as_str().is_some_and(|a| a.starts_with("2001:db8:0:7::"))), "{audit}");
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_ignored() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    for i in 1..=MAX_FAILURES {
        let hop = format!("203.0.113.{i}");
        assert_eq!(login_from(&app, Some(&hop), "admin", "wrong password").await, StatusCode::UNAUTHORIZED);
    }
    let fresh = Some("203.0.113.200");
    assert_eq!(login_from(&app, fresh, "admin", "correct horse").await, StatusCode::TOO_MANY_REQUESTS);
}

/// Resident memory of this process, from /proc (Linux).
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// The stated bound: 100,000 distinct 255-character usernames grow the
/// process by less than this (the table holds at most 20,000 fixed-size pairs).
const FLOOD_RSS_BOUND: u64 = 24 * 1024 * 1024;

#[tokio::test]
async fn a_flood_of_distinct_usernames_keeps_memory_bounded_and_the_admins_counter() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    for _ in 0..MAX_FAILURES - 1 {
        assert_eq!(login_from(&app, None, "admin", "wrong password").await, StatusCode::UNAUTHORIZED);
    }
    let me: IpAddr = "127.0.0.1".parse().unwrap();
    let before = rss_bytes();
    let padding = "x".repeat(240);
    for i in 0..100_000 {
        app.state.limiter.record_failure(me, &format!("{padding}{i:08}"));
    }
    let grown = rss_bytes().saturating_sub(before);
    eprintln!("100,000 usernames grew the process by {} KB", grown / 1024);
    assert!(grown < FLOOD_RSS_BOUND, "the limiter grew the process by {} MB", grown / (1024 * 1024));
    assert!(app.state.limiter.len() <= control_plane::auth::ratelimit::CAPACITY);
    assert_eq!(login_from(&app, None, "admin", "wrong password").await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login_from(&app, None, "admin", "correct horse").await,
        StatusCode::TOO_MANY_REQUESTS,
        "the flood did not reset the admin's counter"
    );
}
