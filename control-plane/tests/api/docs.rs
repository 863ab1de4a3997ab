use reqwest::StatusCode;

use crate::harness::TestApp;

#[tokio::test]
async fn health_answers_without_a_session() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_with_schemas() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/health",
        "/api/v1/auth/login",
        "/api/v1/connections/{id}",
        "/api/v1/tools/{id}/duplicate",
        "/api/v1/resources",
        "/api/v1/prompts/{id}",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let ok = responses
                .iter()
                .find(|(code, _)| code.starts_with('2') || *code == "101")
                .unwrap_or_else(|| panic!("{method} {path} documents no success response"));
            if !["204", "101"].contains(&ok.0.as_str()) {
                assert!(
                    ok.1["content"]["application/json"]["schema"].is_object(),
                    "{method} {path} has no response schema"
                );
            }
            if let Some(body) = op.get("requestBody") {
                assert!(
                    body["content"]["application/json"]["schema"].is_object(),
                    "{method} {path} has no request schema"
                );
            }
        }
    }
    for (path, method) in [
        ("/api/v1/connections", "post"),
        ("/api/v1/connections/{id}", "patch"),
        ("/api/v1/tools", "post"),
        ("/api/v1/tools/{id}", "patch"),
        ("/api/v1/resources", "post"),
        ("/api/v1/prompts", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/me", "patch"),
        ("/api/v1/preview/execute", "post"),
    ] {
        assert!(paths[path][method]["requestBody"].is_object(), "{method} {path} documents its body");
    }
    assert!(doc["components"]["schemas"]["ToolFields"]["properties"]["sql_query"].is_object());
}

#[tokio::test]
async fn swagger_ui_and_redoc_are_served_from_bundled_assets() {
    let app = TestApp::spawn().await;
    let swagger = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(swagger.status(), StatusCode::OK);
    let html = swagger.text().await.unwrap();
    assert!(!html.contains("://cdn") && !html.contains("unpkg.com") && !html.contains("jsdelivr"), "{html}");
    let redoc = app.client.get(app.url("/api/redoc")).send().await.unwrap().text().await.unwrap();
    assert!(redoc.contains("/api/redoc/redoc.standalone.js") && !redoc.contains("cdn."), "{redoc}");
    let js = app.client.get(app.url("/api/redoc/redoc.standalone.js")).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.bytes().await.unwrap().len() > 500_000);
}

#[tokio::test]
async fn the_server_config_answer_fits_its_documented_schema() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    // `ServerConfig` is `allOf: [ServerSettings, {tokens, mcp_url, runtime_bind}]`: were
    // `ServerSettings` closed (`additionalProperties: false`), no answer could fit both.
    assert!(schemas["ServerSettings"].get("additionalProperties").is_none(), "{}", schemas["ServerSettings"]);
    let mut documented: Vec<String> =
        schemas["ServerSettings"]["properties"].as_object().unwrap().keys().cloned().collect();
    documented.extend(schemas["ServerConfig"]["allOf"][1]["properties"].as_object().unwrap().keys().cloned());
    let (status, config) = app.get("/api/v1/server/config").await;
    assert_eq!(status, StatusCode::OK);
    for key in config.as_object().unwrap().keys() {
        assert!(documented.contains(key), "{key} is answered but not documented");
    }
}
