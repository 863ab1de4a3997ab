//! The activity log: every agent call with its credential, tool, redacted
//! arguments, outcome and duration; statistics per tool and credential; the
//! per-credential rate limit answered as a tool error with the retry time.

use reqwest::StatusCode;
use serde_json::json;

use super::{agent_token, all_scopes, call, connect, ok, text};
use crate::harness::TestApp;

#[tokio::test]
async fn every_call_is_recorded_with_redacted_arguments_and_counted_per_tool_and_credential() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (id, token) = agent_token(&app, &all_scopes()).await;
    let agent = connect(&app, &token).await;
    ok(
        &agent,
        "create_connection",
        json!({"name": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
        "database": "postgres", "username": "postgres", "password": "hunter2-agent"}),
    )
    .await;
    ok(&agent, "list_connections", json!({})).await;
    let r = call(&agent, "get_tool", json!({"id": uuid::Uuid::new_v4()})).await;
    assert_eq!(r.is_error, Some(true));

    let (s, page) = app.get(&format!("/api/v1/agent-activity?token={id}")).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 3, "{page}");
    assert!(!page.to_string().contains("hunter2"), "arguments are redacted: {page}");
    let created = &page["items"][2];
    assert_eq!(created["tool"], "create_connection");
    assert_eq!(created["arguments"]["password"], "***");
    assert_eq!(created["outcome"], "ok");
    assert_eq!(page["items"][0]["outcome"], "error");
    assert!(page["items"][0]["detail"].as_str().unwrap().starts_with("no tool with id"));
    let (_, errors) = app.get("/api/v1/agent-activity?outcome=error").await;
    assert_eq!(errors["total"], 1);
    let (s, bad) = app.get("/api/v1/agent-activity?outcome=maybe").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    let (_, stats) = app.get("/api/v1/agent-activity/stats").await;
    assert_eq!(stats["calls"], 3, "{stats}");
    assert_eq!(stats["by_credential"][0]["key"], id.as_str());
    assert_eq!(stats["by_credential"][0]["name"], "test agent");
    assert_eq!(stats["by_credential"][0]["errors"], 1);
    let get_tool = stats["by_tool"].as_array().unwrap().iter().find(|r| r["key"] == "get_tool").unwrap();
    assert_eq!(get_tool["calls"], 1);
    assert!(get_tool["p95_ms"].as_f64().unwrap() >= 0.0);
}

#[tokio::test]
async fn a_credential_over_its_rate_gets_a_tool_error_with_the_retry_time_and_nothing_runs() {
    let app = TestApp::spawn_with(&[("QUARRY_AGENT_RATE_PER_MINUTE", "2")]).await;
    app.login_admin().await;
    let (_, token) = agent_token(&app, &all_scopes()).await;
    let agent = connect(&app, &token).await;
    ok(&agent, "list_connections", json!({})).await;
    ok(&agent, "list_connections", json!({})).await;
    let r = call(
        &agent,
        "create_connection",
        json!({"name": "pg", "db_type": "postgresql", "host": "127.0.0.1",
        "port": 5432, "database": "postgres", "username": "postgres"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("2 calls per minute") && text(&r).contains("retry in"), "{}", text(&r));
    let (_, list) = app.get("/api/v1/connections").await;
    assert_eq!(list["total"], 0, "the limited call did not run");
    let (_, limited) = app.get("/api/v1/agent-activity?outcome=rate_limited").await;
    assert_eq!(limited["total"], 1);
    // Another credential has its own budget.
    let (_, other) = agent_token(&app, &["connections:read"]).await;
    ok(&connect(&app, &other).await, "list_connections", json!({})).await;
}
