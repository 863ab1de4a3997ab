//! Result settings through the REST API: `exact_numerics` shapes previews at
//! once and reaches the manifest; a tool's `pageable` flag is checked, stored
//! and published.

use reqwest::StatusCode;
use serde_json::json;

use crate::deploy::{TOKEN, pull, spawn_pull_app};

#[tokio::test]
async fn the_exact_numerics_setting_shapes_previews_and_reaches_the_manifest_with_pageable_tools() {
    let (app, _key) = spawn_pull_app().await;
    let conn = app.create_connection("warehouse").await["id"].as_str().unwrap().to_string();
    let preview = json!({"connection_id": conn,
        "sql_query": "SELECT 42::int8 AS small, 9007199254740993::int8 AS big, 8.75::numeric AS price"});
    let (s, b) = app.post("/api/v1/preview/execute", &preview).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["rows"][0], json!({"small": 42, "big": "9007199254740993", "price": 8.75}), "{b}");
    let keys: Vec<&String> = b["rows"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["small", "big", "price"], "the preview keeps the SELECT's column order");

    let (s, b) = app.patch("/api/v1/server/config", &json!({"exact_numerics": "sometimes"})).await;
    assert!(s.is_client_error(), "{s} {b}");
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!(cfg["exact_numerics"], "string_when_unsafe", "nothing bad was saved: {cfg}");
    let (s, b) = app.patch("/api/v1/server/config", &json!({"exact_numerics": "string"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, b) = app.post("/api/v1/preview/execute", &preview).await;
    assert_eq!(b["rows"][0], json!({"small": "42", "big": "9007199254740993", "price": "8.75"}), "{b}");

    let tool = |name: &str, return_type: &str| {
        json!({"connection_id": conn, "name": name, "description": "Numbers", "pageable": true,
               "sql_query": "SELECT g AS n FROM generate_series(1, 10) g ORDER BY g", "return_type": return_type})
    };
    let (s, b) = app.post("/api/v1/tools", &tool("first", "row")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["problems"][0]["path"] == "pageable", "{b}");
    let (s, b) = app.post("/api/v1/tools", &tool("numbers", "rows")).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["pageable"], true, "{b}");
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let manifest: serde_json::Value = pull(&app, Some(TOKEN), None, 0).await.json().await.unwrap();
    assert_eq!(manifest["server"]["exact_numerics"], "string", "{manifest}");
    assert_eq!(manifest["tools"][0]["pageable"], true, "{manifest}");
}
