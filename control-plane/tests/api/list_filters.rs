//! `?connection_id=`, `?tags=` and `?search=` on the tool, resource and prompt lists.

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

/// The names on a list page, in order, and its total.
async fn names(app: &TestApp, path: &str) -> (Vec<String>, u64) {
    let (status, page) = app.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    let names = page["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect();
    (names, page["total"].as_u64().unwrap())
}

async fn tool(app: &TestApp, conn: &str, name: &str, description: &str, tags: &[&str]) {
    let mut body = tool_body(conn, name);
    body["description"] = json!(description);
    body["tags"] = json!(tags);
    let (status, body) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn tools_filter_by_connection_tags_and_search_and_count_the_filtered_set() {
    let app = app().await;
    let main = id(&app.create_connection("main").await);
    let other = id(&app.create_connection("other").await);
    tool(&app, &main, "orders_by_customer", "Orders of a customer", &["billing", "orders"]).await;
    tool(&app, &main, "invoices", "Open INVOICES per 100% customer", &["billing"]).await;
    tool(&app, &other, "stock", "Stock levels", &["orders"]).await;
    tool(&app, &other, "z_billing_report", "Monthly report", &["billing", "orders", "reports"]).await;

    let (n, total) = names(&app, &format!("/api/v1/tools?connection_id={main}")).await;
    assert_eq!((n, total), (vec!["invoices".to_string(), "orders_by_customer".to_string()], 2));
    let (n, _) = names(&app, "/api/v1/tools?search=CUSTOMER").await;
    assert_eq!(n, ["invoices", "orders_by_customer"], "name or description, any case");
    let (n, _) = names(&app, "/api/v1/tools?search=billing").await;
    assert_eq!(n, ["z_billing_report"], "search is not a tag filter");
    let (n, _) = names(&app, "/api/v1/tools?search=100%25").await;
    assert_eq!(n, ["invoices"], "a % in the search is a character, not a wildcard");
    let (n, _) = names(&app, "/api/v1/tools?search=_").await;
    assert_eq!(n, ["orders_by_customer", "z_billing_report"], "so is an _");
    let (n, total) = names(&app, "/api/v1/tools?tags=billing,orders").await;
    assert_eq!((n, total), (vec!["orders_by_customer".to_string(), "z_billing_report".to_string()], 2), "all the tags");
    let (n, total) = names(&app, "/api/v1/tools?tags=orders&limit=1&skip=1").await;
    assert_eq!((n, total), (vec!["stock".to_string()], 3), "a tag filter still pages the filtered set by name");
    let (n, total) = names(&app, &format!("/api/v1/tools?tags=orders&connection_id={other}&search=report")).await;
    assert_eq!((n, total), (vec!["z_billing_report".to_string()], 1), "the filters combine");
    let (n, total) = names(&app, "/api/v1/tools?tags=nope").await;
    assert_eq!((n.len(), total), (0, 0));
    let (_, total) = names(&app, "/api/v1/tools?search=&tags=&connection_id=").await;
    assert_eq!(total, 4, "empty filters are no filters");
}

#[tokio::test]
async fn resources_filter_by_connection_tags_and_search() {
    let app = app().await;
    let main = id(&app.create_connection("main").await);
    let sql = json!({"connection_id": main, "name": "customer", "description": "A customer by id",
        "uri_template": "customers://{id}", "sql_query": "SELECT * FROM customers WHERE id = :id",
        "parameters": [{"name": "id", "type": "integer"}], "tags": ["crm"]});
    let fixed = json!({"name": "readme", "description": "Read me first", "uri_template": "docs://readme",
        "static_content": "# Hello", "tags": ["docs", "crm"]});
    for body in [sql, fixed] {
        let (status, body) = app.post("/api/v1/resources", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(names(&app, &format!("/api/v1/resources?connection_id={main}")).await.0, ["customer"]);
    assert_eq!(names(&app, "/api/v1/resources?search=FIRST").await.0, ["readme"]);
    assert_eq!(names(&app, "/api/v1/resources?tags=crm").await, (vec!["customer".into(), "readme".into()], 2));
    assert_eq!(names(&app, "/api/v1/resources?tags=crm,docs").await.0, ["readme"]);
}

#[tokio::test]
async fn prompts_filter_by_tags_and_search() {
    let app = app().await;
    for (name, description, tags) in
        [("summarise", "Summarise a table", json!(["text"])), ("explain", "Explain SQL", json!(["text", "sql"]))]
    {
        let body = json!({"name": name, "description": description, "template": "Do it", "tags": tags});
        let (status, body) = app.post("/api/v1/prompts", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(names(&app, "/api/v1/prompts?search=sql").await.0, ["explain"]);
    assert_eq!(names(&app, "/api/v1/prompts?search=SUMM").await.0, ["summarise"]);
    assert_eq!(names(&app, "/api/v1/prompts?tags=text").await.1, 2);
    assert_eq!(names(&app, "/api/v1/prompts?tags=sql,text").await.0, ["explain"]);
}

#[tokio::test]
async fn invalid_list_filters_are_422_with_a_detail() {
    let app = app().await;
    for (path, field) in [
        ("/api/v1/tools?connection_id=not-a-uuid", "connection_id"),
        ("/api/v1/resources?connection_id=42", "connection_id"),
        ("/api/v1/tools?tags=a,,b", "tags"),
        ("/api/v1/prompts?tags=%20,x", "tags"),
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(body["detail"].as_str().unwrap().contains(field), "{path}: {body}");
    }
    let long = "x".repeat(201);
    let (status, body) = app.get(&format!("/api/v1/tools?search={long}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("search"), "{body}");
}
