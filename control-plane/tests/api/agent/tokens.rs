//! `/agent-tokens`: created with scopes and an expiry, shown once, listed
//! without the token, revoked; history and audit record both.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn an_agent_token_is_shown_once_listed_without_it_and_revoking_it_is_recorded() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (s, created) =
        app.post("/api/v1/agent-tokens", &json!({"name": "ci agent", "scopes": ["tools:read", "preview"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("qag_"), "{created}");
    assert!(created["mcp_url"].as_str().unwrap().ends_with("/agent/mcp"));
    assert_eq!(created["scopes"], json!(["tools:read", "preview"]));
    let (_, list) = app.get("/api/v1/agent-tokens").await;
    assert_eq!(list["total"], 1);
    let text = list.to_string();
    assert!(!text.contains(token) && !text.contains("hash"), "{list}");
    let id = created["id"].as_str().unwrap();
    let (s, _) = app.delete(&format!("/api/v1/agent-tokens/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.delete(&format!("/api/v1/agent-tokens/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (_, history) = app.get("/api/v1/history?entity_type=agent_token").await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "create"], "{history}");
    assert!(!history.to_string().contains(token));
    let (_, audit) = app.get("/api/v1/audit?event=agent_token_created").await;
    assert_eq!(audit["total"], 1, "{audit}");
    let (_, audit) = app.get("/api/v1/audit?event=agent_token_revoked").await;
    assert_eq!(audit["total"], 1, "{audit}");
}

#[tokio::test]
async fn unknown_scopes_no_scopes_and_expiries_past_the_maximum_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn_with(&[("QUARRY_AGENT_TOKEN_MAX_HOURS", "48")]).await;
    app.login_admin().await;
    let (s, b) = app.post("/api/v1/agent-tokens", &json!({"name": "x", "scopes": ["root"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("root"), "{b}");
    let (s, b) = app.post("/api/v1/agent-tokens", &json!({"name": "x", "scopes": []})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) =
        app.post("/api/v1/agent-tokens", &json!({"name": "x", "scopes": ["export"], "expires_in_hours": 49})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["problems"][0]["path"], "expires_in_hours", "{b}");
    let (_, list) = app.get("/api/v1/agent-tokens").await;
    assert_eq!(list["total"], 0);
    let (s, b) =
        app.post("/api/v1/agent-tokens", &json!({"name": "x", "scopes": ["export"], "expires_in_hours": 48})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
}

#[tokio::test]
async fn agent_tokens_need_an_admin_session() {
    let app = TestApp::spawn().await;
    let (s, _) = app.get("/api/v1/agent-tokens").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
