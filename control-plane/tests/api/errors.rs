use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{TestApp, tool_body};

async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    app
}

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, Value) {
    let res = app
        .client
        .request(method, app.url(path))
        .header(header::CONTENT_TYPE, content_type)
        .header("x-quarry-request", "1")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_bodies_get_a_4xx_that_says_what_is_wrong() {
    let app = app().await;
    let (status, body) = raw(&app, Method::POST, "/api/v1/connections", "application/json", "{\"name\": ").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("EOF"), "{body}");
    let (status, body) = raw(&app, Method::POST, "/api/v1/connections", "text/plain", "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body["detail"].as_str().unwrap().contains("application/json"));
    let (status, body) =
        app.post("/api/v1/connections", &json!({"name": 5, "db_type": "postgresql", "database": "d"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("name"), "{body}");
    let (status, body) = app
        .post(
            "/api/v1/connections",
            &json!({"name": "x", "db_type": "oracle", "host": "h", "database": "d", "bogus": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("bogus"), "{body}");
    let (status, body) =
        app.post("/api/v1/connections", &json!({"name": "x", "db_type": "oracle", "host": "h", "database": "d"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("postgresql, mysql, sqlite"), "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = app().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let (status, body) = raw(&app, Method::POST, "/api/v1/prompts", "application/json", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["detail"].as_str().unwrap().contains("limit"), "{body}");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_format() {
    let app = app().await;
    let (status, body) = app.get("/api/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["detail"].is_string());
    let (status, body) = app.send(Method::PUT, "/api/v1/tools", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body["detail"].is_string(), "{body}");
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        Just(Value::from(":x; DROP TABLE tools; --")),
        Just(Value::from("00000000-0000-0000-0000-000000000000")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid bodies with one field replaced by an arbitrary value, plus arbitrary bodies.
fn mutations(valid: &Value, runner: &mut TestRunner, n: usize) -> Vec<Value> {
    let keys: Vec<String> = valid.as_object().unwrap().keys().cloned().collect();
    (0..n)
        .map(|i| {
            let v = json_value().new_tree(runner).unwrap().current();
            if i % 3 == 0 {
                return v;
            }
            let mut body = valid.clone();
            let key = &keys[i % keys.len()];
            if i % 5 == 0 {
                body.as_object_mut().unwrap().remove(key)
            } else {
                body.as_object_mut().unwrap().insert(key.clone(), v)
            };
            body
        })
        .collect()
}

#[tokio::test]
async fn no_generated_body_on_any_write_route_produces_a_5xx() {
    let app = app().await;
    let conn = app.create_connection("main").await;
    let conn_id = conn["id"].as_str().unwrap().to_string();
    let tool = app.create_tool(&conn_id, "orders").await;
    let tool_id = tool["id"].as_str().unwrap().to_string();
    let mut runner =
        TestRunner::new(Config { rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..Config::default() });
    let valid_conn = json!({"name": "c2", "db_type": "mysql", "host": "h", "port": 3306, "database": "d", "password": "p",
        "extra_params": {"charset": "utf8mb4"}, "max_concurrent_queries": 3});
    let valid_tool = tool_body(&conn_id, "t2");
    let valid_prompt = json!({"name": "p", "description": "d", "template": "Hi {who}", "arguments": [{"name": "who"}]});
    let valid_res = json!({"name": "r", "description": "d", "uri_template": "x://{id}", "connection_id": conn_id,
        "sql_query": "SELECT :id", "parameters": [{"name": "id", "type": "integer"}]});
    let cases = [
        (Method::POST, "/api/v1/connections".to_string(), &valid_conn),
        (Method::PATCH, format!("/api/v1/connections/{conn_id}"), &valid_conn),
        (Method::POST, "/api/v1/tools".to_string(), &valid_tool),
        (Method::PATCH, format!("/api/v1/tools/{tool_id}"), &valid_tool),
        (Method::POST, "/api/v1/prompts".to_string(), &valid_prompt),
        (Method::POST, "/api/v1/resources".to_string(), &valid_res),
        (Method::PATCH, "/api/v1/auth/me".to_string(), &json!({"current_password": "x", "new_username": "y"})),
    ];
    let mut sent = 0;
    for (method, path, valid) in cases {
        for body in mutations(valid, &mut runner, 40) {
            let (status, resp) = app.send(method.clone(), &path, Some(&body)).await;
            assert!(status.is_success() || status.is_client_error(), "{method} {path} {body} -> {status} {resp}");
            if status.is_client_error() {
                assert!(resp["detail"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {body} -> {resp}");
            }
            sent += 1;
        }
    }
    assert_eq!(sent, 280);
    // The store is still consistent: the original tool still reads back.
    assert_eq!(app.get(&format!("/api/v1/tools/{tool_id}")).await.0, StatusCode::OK);
}
