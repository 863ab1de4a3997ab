//! Change history, rollback, retention and the audit trail.

use control_plane::auth::ADMIN_ID;
use control_plane::model::history::Retention;
use control_plane::storage::history::retention;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::deploy::spawn_pull_app;
use crate::harness::TestApp;

const ACTOR: &str = "admin:00000000-0000-4000-8000-000000000001";

async fn history_of(app: &TestApp, entity_type: &str, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/history/{entity_type}/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// The store's rows of `table` as text, read below the ORM.
async fn raw_rows(app: &TestApp, table: &str) -> String {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Sqlite {
        format!("SELECT CAST(snapshot AS TEXT) || ' ' || CAST(changes AS TEXT) AS t FROM {table}")
    } else {
        format!("SELECT x::text AS t FROM {table} x")
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<Option<String>>("", "t").unwrap().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn every_kind_of_write_is_recorded_with_its_actor_version_and_snapshot() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("main").await;
    let cid = conn["id"].as_str().unwrap();
    let tool = app.create_tool(cid, "orders").await;
    let tid = tool["id"].as_str().unwrap();
    let (s, res) = app
        .post(
            "/api/v1/resources",
            &json!({"name": "readme", "description": "Docs", "uri_template": "docs://readme",
            "static_content": "hello"}),
        )
        .await;
    assert_eq!(s, 201, "{res}");
    let (s, prompt) =
        app.post("/api/v1/prompts", &json!({"name": "greet", "description": "Greets", "template": "Hi"})).await;
    assert_eq!(s, 201, "{prompt}");
    let (s, _) = app.patch("/api/v1/server/config", &json!({"server_name": "Renamed"})).await;
    assert_eq!(s, 200);
    let (s, token) = app.post("/api/v1/server/tokens", &json!({"name": "ci"})).await;
    assert_eq!(s, 201, "{token}");
    let (s, _) = app.patch(&format!("/api/v1/tools/{tid}"), &json!({"description": "Changed"})).await;
    assert_eq!(s, 200);
    let (s, _) = app.delete(&format!("/api/v1/prompts/{}", prompt["id"].as_str().unwrap())).await;
    assert_eq!(s, 204);

    let (s, all) = app.get("/api/v1/history?limit=100").await;
    assert_eq!(s, 200, "{all}");
    let seen: Vec<(&str, &str)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["entity_type"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("prompt", "delete"),
            ("tool", "update"),
            ("token", "create"),
            ("server_config", "update"),
            ("prompt", "create"),
            ("resource", "create"),
            ("tool", "create"),
            ("connection", "create")
        ]
    );
    assert_eq!(all["total"], 8);
    for e in all["items"].as_array().unwrap() {
        assert_eq!(e["actor"], ACTOR, "{e}");
        assert_eq!(e["actor_address"], "127.0.0.1", "{e}");
        assert!(e["snapshot"].is_object(), "{e}");
    }

    // The tool's update: version 2, full snapshot after the change, the one changed field.
    let entries = history_of(&app, "tool", tid).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["version"], 2);
    assert_eq!(entries[0]["snapshot"]["description"], "Changed");
    assert_eq!(entries[0]["snapshot"]["sql_query"], tool["sql_query"]);
    assert_eq!(entries[0]["changes"], json!({"description": {"old": "Orders of a customer", "new": "Changed"}}));
    assert_eq!(entries[1]["changes"]["name"], json!({"old": null, "new": "orders"}));

    // The deleted prompt's entry keeps its last state; the token's never its hash.
    let (_, deleted) = app.get("/api/v1/history?entity_type=prompt&action=delete").await;
    assert_eq!(deleted["items"][0]["snapshot"]["template"], "Hi");
    let (_, tokens) = app.get("/api/v1/history?entity_type=token").await;
    let snap = &tokens["items"][0]["snapshot"];
    assert_eq!(snap["prefix"], token["prefix"]);
    assert!(snap.get("hash").is_none(), "{snap}");

    // Filters that make no sense say what would.
    let (s, body) = app.get("/api/v1/history?entity_type=widget").await;
    assert_eq!(s, 422, "{body}");
    let (s, body) = app.get("/api/v1/history/widget/x").await;
    assert_eq!(s, 400, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("tool"), "{body}");
    let (_, none) = app.get("/api/v1/history?actor=system").await;
    assert_eq!(none["total"], 0);
    let (_, future) = app.get("/api/v1/history?since=2999-01-01T00:00:00Z").await;
    assert_eq!(future["total"], 0);
}

#[tokio::test]
async fn history_holds_no_plaintext_secret_and_shows_connection_secrets_masked() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let body = json!({"name": "secretive", "db_type": "postgresql", "host": "db", "port": 5432, "database": "d",
        "username": "u", "password": "hunter2-plaintext", "extra_params": {"ssl_key_password": "key-plaintext"}});
    let (s, created) = app.post("/api/v1/connections", &body).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (s, _) = app.patch(&format!("/api/v1/connections/{id}"), &json!({"password": "second-plaintext"})).await;
    assert_eq!(s, 200);
    let (s, _) = app.delete(&format!("/api/v1/connections/{id}")).await;
    assert_eq!(s, 204);

    let raw = raw_rows(&app, "change_history").await;
    assert!(raw.contains("v1:"), "history keeps the sealed password so a rollback can restore it: {raw}");
    for secret in ["hunter2-plaintext", "key-plaintext", "second-plaintext"] {
        assert!(!raw.contains(secret), "plaintext {secret} in history");
    }
    let entries = history_of(&app, "connection", id).await;
    let text = Value::Array(entries.clone()).to_string();
    assert!(!text.contains("v1:"), "ciphertext returned: {text}");
    assert_eq!(entries[1]["changes"]["password"], json!({"old": "••••••", "new": "••••••"}));
    assert_eq!(entries[0]["snapshot"]["extra_params"]["ssl_key_password"], "••••••");

    // Rolling back the delete brings the connection back with its last password, still sealed.
    let (s, back) = app.post(&format!("/api/v1/history/{}/rollback", entries[0]["id"]), &json!({})).await;
    assert_eq!(s, 200, "{back}");
    let stored = control_plane::storage::connections::get(&app.state.db, id.parse().unwrap()).await.unwrap();
    assert_eq!(app.state.keyring.decrypt(stored.password.as_deref().unwrap()).unwrap(), "second-plaintext");
}

#[tokio::test]
async fn rolling_back_an_update_restores_the_old_fields_as_a_new_version() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("main").await;
    let tool = app.create_tool(conn["id"].as_str().unwrap(), "orders").await;
    let tid = tool["id"].as_str().unwrap();
    let (s, changed) =
        app.patch(&format!("/api/v1/tools/{tid}"), &json!({"description": "Changed", "tags": ["x"]})).await;
    assert_eq!(s, 200, "{changed}");
    let entries = history_of(&app, "tool", tid).await;
    let first = entries.last().unwrap();

    let (s, entry) = app.post(&format!("/api/v1/history/{}/rollback", first["id"]), &json!({})).await;
    assert_eq!(s, 200, "{entry}");
    assert_eq!(entry["action"], "rollback");
    assert_eq!(entry["rolled_back_to"], first["id"]);
    assert_eq!(entry["version"], 3);
    assert_eq!(entry["changes"]["description"], json!({"old": "Changed", "new": "Orders of a customer"}));
    let (_, now) = app.get(&format!("/api/v1/tools/{tid}")).await;
    assert_eq!(
        (now["description"].as_str(), now["tags"].clone(), now["version"].as_i64()),
        (Some("Orders of a customer"), json!([]), Some(3))
    );
    assert_eq!(history_of(&app, "tool", tid).await.len(), 3);

    let (s, body) = app.post("/api/v1/history/999999/rollback", &json!({})).await;
    assert_eq!(s, 404, "{body}");
}

#[tokio::test]
async fn rolling_back_a_delete_recreates_the_entity_under_its_id() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, prompt) =
        app.post("/api/v1/prompts", &json!({"name": "greet", "description": "Greets", "template": "Hi"})).await;
    let pid = prompt["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/prompts/{pid}")).await;
    let entries = history_of(&app, "prompt", pid).await;
    assert_eq!(entries[0]["action"], "delete");

    let (s, entry) = app.post(&format!("/api/v1/history/{}/rollback", entries[0]["id"]), &json!({})).await;
    assert_eq!(s, 200, "{entry}");
    assert_eq!(entry["version"], 2);
    let (s, back) = app.get(&format!("/api/v1/prompts/{pid}")).await;
    assert_eq!(s, 200, "{back}");
    assert_eq!((back["template"].as_str(), back["version"].as_i64()), (Some("Hi"), Some(2)));
}

#[tokio::test]
async fn a_rollback_that_cannot_apply_is_refused_with_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("main").await;
    let cid = conn["id"].as_str().unwrap();
    let tool = app.create_tool(cid, "orders").await;
    let tid = tool["id"].as_str().unwrap();

    // Its name is now taken by another tool.
    app.delete(&format!("/api/v1/tools/{tid}")).await;
    app.create_tool(cid, "orders").await;
    let deleted = history_of(&app, "tool", tid).await[0].clone();
    let (_, before) = app.get("/api/v1/history?limit=100").await;
    let (_, tools_before) = app.get("/api/v1/tools").await;
    let (s, body) = app.post(&format!("/api/v1/history/{}/rollback", deleted["id"]), &json!({})).await;
    assert_eq!(s, 409, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("rename or delete"), "{detail}");
    assert_eq!(app.get("/api/v1/history?limit=100").await.1, before);
    assert_eq!(app.get("/api/v1/tools").await.1, tools_before);

    // Its connection is gone (deleting it took the second tool too).
    app.delete(&format!("/api/v1/connections/{cid}")).await;
    let (_, before) = app.get("/api/v1/history?limit=100").await;
    let (s, body) = app.post(&format!("/api/v1/history/{}/rollback", deleted["id"]), &json!({})).await;
    assert_eq!(s, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("connection"), "{body}");
    assert_eq!(app.get("/api/v1/history?limit=100").await.1, before);
    assert_eq!(app.get("/api/v1/tools").await.1["total"], 0);

    // Tokens cannot come back.
    app.post("/api/v1/server/tokens", &json!({"name": "ci"})).await;
    let (_, tokens) = app.get("/api/v1/history?entity_type=token").await;
    let (s, body) = app.post(&format!("/api/v1/history/{}/rollback", tokens["items"][0]["id"]), &json!({})).await;
    assert_eq!(s, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("new token"), "{body}");
}

#[tokio::test]
async fn the_retention_task_deletes_entries_past_their_age_or_count() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (s, _) = app.post("/api/v1/auth/login", &json!({"username": "admin", "password": "correct horse"})).await;
    assert_eq!(s, 200);
    for i in 0..4 {
        app.post("/api/v1/prompts", &json!({"name": format!("p{i}"), "description": "d", "template": "t"})).await;
    }
    app.patch("/api/v1/server/config", &json!({"server_name": "x"})).await;
    let db = &app.state.db;
    let keep_two = Retention { days: 90, max_entries: 2 };
    let pruned = retention::prune(db, keep_two, chrono::Utc::now()).await.unwrap();
    assert_eq!(pruned.history, 2);
    let (_, left) = app.get("/api/v1/history?entity_type=prompt").await;
    let names: Vec<&str> =
        left["items"].as_array().unwrap().iter().map(|e| e["entity_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["p3", "p2"]);
    assert_eq!(app.get("/api/v1/history?entity_type=server_config").await.1["total"], 1);

    // A year later, everything is past 90 days.
    let later = chrono::Utc::now() + chrono::Duration::days(365);
    let pruned = retention::prune(db, Retention::default(), later).await.unwrap();
    assert_eq!(pruned.history, 3);
    assert_eq!(pruned.audit, 2, "the setup and the login are old by then too");
    assert_eq!(app.get("/api/v1/history").await.1["total"], 0);
}

#[tokio::test]
async fn the_audit_trail_records_logins_failed_logins_deploys_and_tokens_with_the_address() {
    let (app, _) = spawn_pull_app().await;
    let client = crate::harness::browser();
    let (s, _) = app
        .send_with(
            &client,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(&json!({"username": "admin", "password": "wrong one"})),
        )
        .await;
    assert_eq!(s, 401);
    let ok = client
        .post(app.url("/api/v1/auth/login"))
        .header("User-Agent", "history-test/1.0")
        .json(&json!({"username": "admin", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    app.create_connection("main").await;
    let (s, token) = app.post("/api/v1/server/tokens", &json!({"name": "ci"})).await;
    assert_eq!(s, 201);
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, 201, "{d}");

    let (s, audit) = app.get("/api/v1/audit").await;
    assert_eq!(s, 200, "{audit}");
    let events: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["event"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        events,
        [("deploy", ACTOR), ("token_created", ACTOR), ("login", ACTOR), ("login_failed", "visitor"), ("setup", ACTOR)]
    );
    for e in audit["items"].as_array().unwrap() {
        assert_eq!(e["address"], "127.0.0.1", "{e}");
    }
    let login = &audit["items"][2];
    assert_eq!(login["user_agent"], "history-test/1.0");
    assert_eq!(audit["items"][3]["detail"]["username"], "admin");
    assert!(
        !audit.to_string().contains("wrong one") && !audit.to_string().contains(token["token"].as_str().unwrap()),
        "{audit}"
    );
    let (_, only) = app.get("/api/v1/audit?event=login_failed").await;
    assert_eq!(only["total"], 1);
    let _ = ADMIN_ID;
}
