//! The read-only policy's connection settings through the API — validated,
//! stored, patched — and, on the real PostgreSQL logged in as the superuser
//! `postgres`, applied to previews and reported by the connection test.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

fn pg_body(name: &str, extra: Value) -> Value {
    let mut b = json!({"name": name, "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
        "database": "postgres", "username": "postgres", "ssl_mode": "disable"});
    b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    b
}

async fn logged_in() -> TestApp {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    app
}

#[tokio::test]
async fn bad_read_only_settings_are_422_naming_the_field_and_store_nothing() {
    let app = logged_in().await;
    for (body, field) in [
        (pg_body("a", json!({"allowed_functions": ["random", "Not A Name"]})), "allowed_functions[1]"),
        (pg_body("b", json!({"allowed_functions": ["a.b.c"]})), "allowed_functions[0]"),
        (pg_body("c", json!({"read_only_role": " padded"})), "read_only_role"),
        (pg_body("d", json!({"db_type": "mysql", "port": 3306, "read_only_role": "reader"})), "read_only_role"),
    ] {
        let (status, res) = app.post("/api/v1/connections", &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {res}");
        assert!(res["detail"].as_str().unwrap().contains(field), "{field}: {res}");
    }
    let (_, list) = app.get("/api/v1/connections").await;
    assert_eq!(list["total"], 0, "a refused write stores nothing");
}

#[tokio::test]
async fn read_only_settings_are_stored_returned_and_patched() {
    let app = logged_in().await;
    let body = pg_body("pg", json!({"allowed_functions": ["pg_is_in_recovery"], "read_only_role": "quarry_reader"}));
    let (status, conn) = app.post("/api/v1/connections", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{conn}");
    assert_eq!(
        (conn["allowed_functions"].clone(), conn["read_only_role"].clone()),
        (json!(["pg_is_in_recovery"]), json!("quarry_reader"))
    );
    let id = conn["id"].as_str().unwrap();
    let (status, patched) = app.patch(&format!("/api/v1/connections/{id}"), &json!({"read_only_role": null})).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["read_only_role"], Value::Null);
    assert_eq!(patched["allowed_functions"], json!(["pg_is_in_recovery"]), "absent fields are kept");
}

#[tokio::test]
async fn previews_follow_the_policy_and_the_connection_test_warns_about_the_superuser() {
    let app = logged_in().await;
    let (_, conn) = app.post("/api/v1/connections", &pg_body("pg", json!({}))).await;
    let id = conn["id"].as_str().unwrap().to_string();
    let (status, test) = app.post(&format!("/api/v1/connections/{id}/test"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{test}");
    assert_eq!(test["success"], true, "{test}");
    let warnings = test["warnings"].to_string();
    assert!(warnings.contains("SUPERUSER") && warnings.contains("pg_read_all_data"), "{test}");

    let preview = |sql: &str| json!({"connection_id": id, "sql_query": sql});
    let (status, res) = app.post("/api/v1/preview/execute", &preview("SELECT pg_is_in_recovery() AS r")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    assert!(res["detail"].as_str().unwrap().contains("pg_is_in_recovery() is VOLATILE"), "{res}");
    let (status, _) =
        app.patch(&format!("/api/v1/connections/{id}"), &json!({"allowed_functions": ["pg_is_in_recovery"]})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, res) = app.post("/api/v1/preview/execute", &preview("SELECT pg_is_in_recovery() AS r")).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["rows"], json!([{"r": false}]));
}
