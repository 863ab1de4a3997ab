//! `GET /releases/{number}/diff`: the content of two releases side by side,
//! secrets masked.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::deploy::spawn_pull_app;

fn entry<'a>(diff: &'a Value, kind: &str, name: &str) -> &'a Value {
    diff["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == kind && e["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name:?} in {diff}"))
}

#[tokio::test]
async fn a_release_diff_shows_each_changed_entity_on_both_sides_with_secrets_masked() {
    let (app, _) = spawn_pull_app().await;
    let conn = app.create_connection("warehouse").await;
    let tool = app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    let (s, b) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let new_sql = "SELECT id FROM orders WHERE customer_id = :customer_id::int";
    let (s, b) =
        app.patch(&format!("/api/v1/tools/{}", tool["id"].as_str().unwrap()), &json!({"sql_query": new_sql})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (s, first) = app.get("/api/v1/releases/1/diff").await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(first["against"], Value::Null);
    let added = entry(&first, "connection", "warehouse");
    assert_eq!((&added["action"], &added["before"]), (&json!("added"), &Value::Null), "{first}");
    assert_eq!(added["after"]["password"], json!("••••••"), "{first}");
    assert!(!first.to_string().contains("fingerprint:"), "{first}");

    let (s, second) = app.get("/api/v1/releases/2/diff").await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(second["against"], 1);
    assert_eq!(second["entries"].as_array().unwrap().len(), 1, "only the tool changed: {second}");
    let changed = entry(&second, "tool", "orders_by_customer");
    assert_eq!(changed["action"], "changed");
    assert_eq!(changed["before"]["sql"], tool["sql_query"]);
    assert_eq!(changed["after"]["sql"], new_sql);

    // Release 1 against the active one (2): the tool goes the other way.
    let (s, back) = app.get("/api/v1/releases/1/diff?against=active").await;
    assert_eq!(s, StatusCode::OK, "{back}");
    assert_eq!(back["against"], 2);
    assert_eq!(entry(&back, "tool", "orders_by_customer")["before"]["sql"], new_sql);
    let (s, same) = app.get("/api/v1/releases/2/diff?against=2").await;
    assert_eq!((s, same["entries"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{same}");
}

#[tokio::test]
async fn a_diff_of_an_unknown_release_is_404_and_a_bad_against_is_422() {
    let (app, _) = spawn_pull_app().await;
    let (s, b) = app.get("/api/v1/releases/7/diff").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let conn = app.create_connection("warehouse").await;
    app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    let (s, b) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    for bad in ["latest", "9", "-1"] {
        let (s, b) = app.get(&format!("/api/v1/releases/1/diff?against={bad}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {b}");
        assert_eq!(b["problems"][0]["path"], "against", "{b}");
    }
    let (s, b) = app.post("/api/v1/deploy/stop", &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = app.get("/api/v1/releases/1/diff?against=active").await;
    assert_eq!(s, StatusCode::OK, "a stopped deploy keeps its active release: {b}");
}
