//! `/oauth-clients`: created with allowed scopes, the secret shown once,
//! listed without it, revoked; history and audit record both.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn an_oauth_client_secret_is_shown_once_listed_without_it_and_revoking_it_is_recorded() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (s, created) =
        app.post("/api/v1/oauth-clients", &json!({"name": "ci pipeline", "scopes": ["tools:read", "preview"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let mut keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["client_id", "client_secret", "created_at", "id", "name", "scopes"], "{created}");
    let secret = created["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("qos_") && created["client_id"].as_str().unwrap().starts_with("qoc_"), "{created}");
    assert_eq!(created["scopes"], json!(["tools:read", "preview"]));
    let (_, list) = app.get("/api/v1/oauth-clients").await;
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["client_id", "created_at", "id", "last_used_at", "last_used_from", "name", "scopes"], "{item}");
    assert!(!list.to_string().contains(secret) && !list.to_string().contains("hash"), "{list}");
    let id = created["id"].as_str().unwrap();
    let (s, _) = app.delete(&format!("/api/v1/oauth-clients/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.delete(&format!("/api/v1/oauth-clients/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (_, history) = app.get("/api/v1/history?entity_type=oauth_client").await;
    let actions: Vec<&str> =
        history["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "create"], "{history}");
    assert!(!history.to_string().contains(secret));
    let rollback = format!("/api/v1/history/{}/rollback", history["items"][0]["id"]);
    assert_eq!(app.post(&rollback, &json!({})).await.0, StatusCode::CONFLICT, "a revoked client cannot come back");
    for event in ["oauth_client_created", "oauth_client_revoked"] {
        let (_, audit) = app.get(&format!("/api/v1/audit?event={event}")).await;
        assert_eq!(audit["total"], 1, "{event}: {audit}");
        assert!(!audit.to_string().contains(secret));
    }
}

#[tokio::test]
async fn an_unknown_scope_is_named_no_scope_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (s, b) = app.post("/api/v1/oauth-clients", &json!({"name": "x", "scopes": ["tools:read", "root"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("root"), "{b}");
    let (s, b) = app.post("/api/v1/oauth-clients", &json!({"name": " ", "scopes": []})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["problems"].as_array().unwrap().len(), 2, "{b}");
    let (_, list) = app.get("/api/v1/oauth-clients").await;
    assert_eq!(list["total"], 0);
    let anon = reqwest::Client::new();
    let res = anon.get(app.url("/api/v1/oauth-clients")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "admin-only");
}
