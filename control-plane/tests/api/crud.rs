use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestApp, tool_body};

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    app
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn connections_are_created_with_defaults_listed_by_page_and_never_show_the_password() {
    let app = app().await;
    let created = app.create_connection("warehouse").await;
    assert_eq!(created["has_password"], true);
    assert_eq!(created["password_masked"], "••••••");
    assert!(created.get("password").is_none());
    assert_eq!(created["max_concurrent_queries"], 5);
    assert_eq!(created["queue_timeout_seconds"], 30);
    assert_eq!(created["queue_enabled"], true);
    assert_eq!(created["ssl_mode"], "prefer");
    assert_eq!(created["version"], 1);
    for n in ["b_conn", "a_conn"] {
        app.create_connection(n).await;
    }
    let (status, page) = app.get("/api/v1/connections?skip=1&limit=1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["name"], "b_conn", "sorted by name");
    assert!(!page.to_string().contains("pg-secret-value"));
}

#[tokio::test]
async fn names_that_collide_after_normalisation_are_409() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    app.create_tool(&id(&conn), "get-orders").await;
    let (status, body) = app.post("/api/v1/tools", &tool_body(&id(&conn), "GET_orders")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("GET_orders"));
    assert_eq!(body["code"], "conflict");
    let (status, _) =
        app.post("/api/v1/connections", &json!({"name": "MAIN", "db_type": "sqlite", "database": "/tmp/x.db"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn patch_honours_the_version_and_increments_it() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let tool = app.create_tool(&id(&conn), "orders").await;
    let path = format!("/api/v1/tools/{}", id(&tool));
    let (status, body) = app.patch(&path, &json!({"description": "New text", "version": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["description"], "New text");
    assert_eq!(body["sql_query"], tool["sql_query"], "untouched fields stay");
    let (status, body) = app.patch(&path, &json!({"description": "Stale", "version": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["detail"].as_str().unwrap().contains("expected 1, current 2"), "{body}");
    assert_eq!(body["code"], "version_conflict");
    assert_eq!(app.get(&path).await.1["description"], "New text", "a refused write changes nothing");
    let cpath = format!("/api/v1/connections/{}", id(&conn));
    // Moving a stored password to another host is said out loud.
    let (status, body) = app.patch(&cpath, &json!({"host": "db.internal", "version": 1, "keep_password": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["version"].clone(), body["host"].clone(), body["has_password"].clone()),
        (json!(2), json!("db.internal"), json!(true))
    );
    let (_, body) = app.patch(&cpath, &json!({"password": null})).await;
    assert_eq!(body["has_password"], false, "null clears the password");
}

#[tokio::test]
async fn placeholders_and_parameters_must_match_and_each_mismatch_is_listed() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let body = json!({
        "connection_id": id(&conn), "name": "bad", "description": "d",
        "sql_query": "SELECT :a, :b, ':not_me', x::text -- :nor_me",
        "parameters": [{"name": "a", "type": "string"}, {"name": "unused", "type": "integer"}]
    });
    let (status, err) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Vec<String> =
        err["problems"].as_array().unwrap().iter().map(|p| format!("{}: {}", p["path"], p["message"])).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("sql_query") && problems[0].contains(":b"), "{problems:?}");
    assert!(problems[1].contains("parameters[1]") && problems[1].contains("unused"), "{problems:?}");
    assert!(err["detail"].as_str().unwrap().contains(":b"));
    assert_eq!(app.get("/api/v1/tools").await.1["total"], 0);
}

#[tokio::test]
async fn tools_need_an_existing_connection_and_valid_fields() {
    let app = app().await;
    let (status, err) = app.post("/api/v1/tools", &tool_body(&uuid::Uuid::new_v4().to_string(), "t")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["detail"].as_str().unwrap().starts_with("connection_id"), "{err}");
    let conn = app.create_connection("main").await;
    let mut body = tool_body(&id(&conn), "has space");
    body["cache_ttl"] = json!(100_000);
    body["return_type"] = json!("list[dict]");
    let (status, err) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = err["problems"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["name", "return_type", "cache_ttl"]);
}

#[tokio::test]
async fn duplicating_a_tool_names_the_copies_in_sequence() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let tool = app.create_tool(&id(&conn), "orders").await;
    let path = format!("/api/v1/tools/{}/duplicate", id(&tool));
    let mut names = vec![];
    for _ in 0..3 {
        let (status, copy) = app.post(&path, &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{copy}");
        assert_eq!(copy["parameters"], tool["parameters"]);
        assert_eq!(copy["version"], 1);
        names.push(copy["name"].as_str().unwrap().to_string());
    }
    assert_eq!(names, ["orders_copy", "orders_copy_2", "orders_copy_3"]);
}

#[tokio::test]
async fn deleting_a_connection_removes_its_tools_and_resources() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let keep = app.create_connection("other").await;
    app.create_tool(&id(&conn), "t1").await;
    app.create_tool(&id(&keep), "t2").await;
    let res = json!({"connection_id": id(&conn), "name": "customer", "description": "A customer",
        "uri_template": "customers://{id}", "sql_query": "SELECT * FROM customers WHERE id = :id",
        "parameters": [{"name": "id", "type": "integer"}]});
    assert_eq!(app.post("/api/v1/resources", &res).await.0, StatusCode::CREATED);
    let (status, _) = app.delete(&format!("/api/v1/connections/{}", id(&conn))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let tools = app.get("/api/v1/tools").await.1;
    assert_eq!(tools["total"], 1);
    assert_eq!(tools["items"][0]["name"], "t2");
    assert_eq!(app.get("/api/v1/resources").await.1["total"], 0);
    assert_eq!(app.delete(&format!("/api/v1/connections/{}", id(&conn))).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resources_check_their_uri_template_against_their_parameters() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let bad = json!({"connection_id": id(&conn), "name": "orders", "description": "Orders",
        "uri_template": "orders://{customer}/{status}", "sql_query": "SELECT * FROM o WHERE c = :customer",
        "parameters": [{"name": "customer", "type": "integer"}]});
    let (status, err) = app.post("/api/v1/resources", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["detail"].as_str().unwrap().contains("{status}"), "{err}");
    let fixed = json!({"name": "readme", "description": "Read me", "uri_template": "docs://readme",
        "static_content": "# Hello", "mime_type": "text/markdown"});
    let (status, body) = app.post("/api/v1/resources", &fixed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["mime_type"], "text/markdown");
    let both = json!({"name": "x", "description": "x", "uri_template": "docs://x", "static_content": "a", "sql_query": "SELECT 1"});
    assert_eq!(app.post("/api/v1/resources", &both).await.0, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn prompts_round_trip_and_check_their_arguments() {
    let app = app().await;
    let body = json!({"name": "summarise", "title": "Summarise a table", "description": "Summarise",
        "template": "Summarise {table} in {style} style",
        "arguments": [{"name": "table", "description": "Table"}, {"name": "style", "required": false, "enum": ["short", "long"], "default": "short"}]});
    let (status, created) = app.post("/api/v1/prompts", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["arguments"][1]["enum"], json!(["short", "long"]));
    let (_, got) = app.get(&format!("/api/v1/prompts/{}", id(&created))).await;
    assert_eq!(got, created);
    let bad = json!({"name": "p2", "description": "d", "template": "Hi", "arguments": [{"name": "who"}]});
    let (status, err) = app.post("/api/v1/prompts", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(err["detail"].as_str().unwrap().contains("{who}"), "{err}");
}

#[tokio::test]
async fn pagination_is_bounded() {
    let app = app().await;
    for path in [
        "/api/v1/tools?limit=101",
        "/api/v1/prompts?limit=0",
        "/api/v1/resources?skip=-1",
        "/api/v1/connections?limit=abc",
        // One past i64::MAX: the store's OFFSET would overflow (it answered 500).
        "/api/v1/connections?skip=9223372036854775808",
        "/api/v1/releases?skip=9223372036854775808",
        "/api/v1/history?skip=9223372036854775808",
        "/api/v1/audit?skip=18446744073709551615",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(body["detail"].is_string());
    }
    assert_eq!(app.get("/api/v1/tools?limit=100").await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/tools?skip=9223372036854775807").await.0, StatusCode::OK);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_and_422() {
    let app = app().await;
    for kind in ["connections", "tools", "resources", "prompts"] {
        let (status, body) = app.get(&format!("/api/v1/{kind}/{}", uuid::Uuid::new_v4())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{kind}: {body}");
        let (status, body) = app.get(&format!("/api/v1/{kind}/not-a-uuid")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}: {body}");
        assert!(body["detail"].as_str().unwrap().contains("UUID"), "{body}");
    }
}
