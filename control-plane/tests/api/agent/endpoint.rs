//! `/agent/mcp` with a real MCP client: authentication (401 with the
//! resource metadata, revocation and expiry on the next request), an agent
//! building a tool from nothing against the real PostgreSQL, history naming
//! the agent, and bad input refused with nothing changed.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use super::{agent_token, all_scopes, assert_valid, call, connect, ok, store_state, text};
use crate::engine_routes::PgFixture;
use crate::harness::TestApp;

/// A raw `initialize` POST with `token`, as any MCP client sends first.
async fn initialize(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(app.url("/agent/mcp"))
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn without_a_valid_token_the_endpoint_answers_401_pointing_at_its_resource_metadata() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let res = initialize(&app, None).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
    // Built on QUARRY_PUBLIC_URL (here derived from the port-0 bind).
    let path = "/.well-known/oauth-protected-resource/agent/mcp";
    assert!(
        challenge.starts_with("Bearer resource_metadata=\"http://") && challenge.ends_with(&format!("{path}\"")),
        "{challenge}"
    );
    let doc: serde_json::Value = reqwest::get(app.url(path)).await.unwrap().json().await.unwrap();
    assert!(doc["resource"].as_str().unwrap().ends_with("/agent/mcp"), "{doc}");
    assert!(doc["scopes_supported"].as_array().unwrap().contains(&json!("tools:write")), "{doc}");
    let res = initialize(&app, Some("qag_not-a-token")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let (_, audit) = app.get("/api/v1/audit?event=agent_refused").await;
    assert_eq!(audit["total"], 1, "a presented, refused token is audited: {audit}");
}

#[tokio::test]
async fn a_revoked_or_expired_token_is_refused_on_the_very_next_request() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (id, token) = agent_token(&app, &["tools:read"]).await;
    let agent = connect(&app, &token).await;
    let tools = agent.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let readers = ["get_prompt", "get_resource", "get_tool", "list_prompts", "list_resources", "list_tools"];
    assert_eq!(names, readers, "only the tools:read tools are listed");
    let (_, list) = app.get("/api/v1/agent-tokens").await;
    assert!(list["items"][0]["last_used_at"].is_string(), "last use is recorded: {list}");
    let (s, _) = app.delete(&format!("/api/v1/agent-tokens/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let refused = agent.call_tool(rmcp::model::CallToolRequestParams::new("list_tools")).await;
    assert!(refused.is_err(), "the open client is refused after revocation: {refused:?}");
    assert_eq!(initialize(&app, Some(&token)).await.status(), StatusCode::UNAUTHORIZED);

    let (id, token) = agent_token(&app, &["tools:read"]).await;
    assert_eq!(initialize(&app, Some(&token)).await.status(), StatusCode::OK);
    let past = chrono::Utc::now() - chrono::Duration::minutes(1);
    let backend = app.state.db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "UPDATE agent_tokens SET expires_at = $1 WHERE id = $2",
        _ => "UPDATE agent_tokens SET expires_at = ? WHERE id = ?",
    };
    app.state.db.execute_raw(Statement::from_sql_and_values(backend, sql, [past.into(), id.into()])).await.unwrap();
    let res = initialize(&app, Some(&token)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn an_agent_builds_a_tool_from_nothing_against_postgresql_and_history_names_it() {
    let fx = PgFixture::new().await;
    let app = TestApp::spawn_with(&[("QUARRY_DEPLOY_TARGET", "kubernetes")]).await;
    app.login_admin().await;
    let (token_id, token) = agent_token(&app, &all_scopes()).await;
    let agent = connect(&app, &token).await;
    let tools = agent.list_all_tools().await.unwrap();
    assert!(tools.len() >= 44, "{} tools", tools.len());
    assert!(tools.iter().all(|t| t.output_schema.is_some() && t.annotations.is_some()));
    let schemas: std::collections::HashMap<String, _> =
        tools.iter().map(|t| (t.name.to_string(), t.output_schema.clone().unwrap())).collect();
    // Every answer validates against the tool's outputSchema.
    let ok = |name: &'static str, args: serde_json::Value| {
        let (agent, schemas) = (&agent, &schemas);
        async move {
            let value = ok(agent, name, args).await;
            assert_valid(name, &schemas[name], &value);
            value
        }
    };

    let conn = ok(
        "create_connection",
        json!({"name": "shop", "db_type": "postgresql", "host": "127.0.0.1",
        "port": 5432, "database": fx.name, "username": "postgres", "password": "unused-secret", "ssl_mode": "disable"}),
    )
    .await;
    let conn_id = conn["id"].as_str().unwrap().to_string();
    let tables = ok("list_tables", json!({"connection_id": conn_id})).await;
    assert!(tables["items"].to_string().contains("orders"), "{tables}");
    let columns = ok("list_columns", json!({"connection_id": conn_id, "table": "orders"})).await;
    assert!(columns["items"].to_string().contains("customer_id"), "{columns}");
    let sql = "SELECT id, total FROM orders WHERE customer_id = :customer_id ORDER BY id";
    let defs = json!([{"name": "customer_id", "type": "integer", "description": "Customer id"}]);
    let preview = ok(
        "preview_sql",
        json!({"connection_id": conn_id, "sql_query": sql,
        "parameters": {"customer_id": 1}, "parameter_definitions": defs}),
    )
    .await;
    assert_eq!(preview["row_count"], 10, "{preview}");
    let tool = ok(
        "create_tool",
        json!({"connection_id": conn_id, "name": "orders_of_customer",
        "description": "Orders of one customer", "sql_query": sql, "parameters": defs}),
    )
    .await;
    let deployed = ok("deploy", json!({})).await;
    assert_eq!(deployed["release"]["number"], 1, "{deployed}");
    assert_eq!(deployed["release"]["tools"], 1);
    let status = ok("get_deploy_status", json!({})).await;
    assert!(status.to_string().contains("kubernetes"), "{status}");

    let actor = format!("agent:{token_id}");
    let (_, history) = app.get(&format!("/api/v1/history/tool/{}", tool["id"].as_str().unwrap())).await;
    assert_eq!(history["items"][0]["actor"], actor, "{history}");
    for (name, args) in [
        ("get_tool", json!({"id": tool["id"]})),
        ("list_tools", json!({})),
        ("get_connection", json!({"id": conn_id})),
        ("list_connections", json!({})),
        ("test_connection", json!({"id": conn_id})),
        ("list_releases", json!({})),
        ("get_release", json!({"number": 1})),
        ("diff_releases", json!({"number": 1})),
        ("get_server_settings", json!({})),
        ("get_metrics_stats", json!({})),
        ("get_metrics_timeseries", json!({"period": "1h"})),
        ("get_queue_metrics", json!({})),
        ("search_request_log", json!({})),
        ("export_configuration", json!({})),
        ("list_prompts", json!({})),
        ("list_resources", json!({})),
    ] {
        ok(name, args).await;
    }
    let (_, audit) = app.get("/api/v1/audit?event=deploy").await;
    assert_eq!(audit["items"][0]["actor"], actor, "{audit}");
    let listed = ok("list_history", json!({"actor": actor})).await;
    // The connection, the tool, and the first MCP token the deploy minted (bearer auth had none).
    let kinds: Vec<&str> =
        listed["items"].as_array().unwrap().iter().map(|e| e["entity_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["token", "tool", "connection"], "{listed}");
}

#[tokio::test]
async fn malformed_arguments_and_refused_writes_are_tool_errors_that_change_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("warehouse").await;
    let (_, token) = agent_token(&app, &all_scopes()).await;
    let agent = connect(&app, &token).await;
    let before = store_state(&app).await;

    let r = call(&agent, "create_tool", json!({"name": 5})).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("name"), "{}", text(&r));
    let r = call(&agent, "get_tool", json!({"id": "not-a-uuid"})).await;
    assert_eq!(r.is_error, Some(true));
    let r = call(&agent, "get_tool", json!({"id": uuid::Uuid::new_v4(), "extra": 1})).await;
    assert!(text(&r).contains("unknown argument \"extra\""), "{}", text(&r));
    // A refusal from the store reads exactly as the REST API's `detail`.
    let body = crate::harness::tool_body(conn["id"].as_str().unwrap(), "bad name!");
    let (status, rest) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = call(&agent, "create_tool", body).await;
    assert_eq!(r.is_error, Some(true));
    assert_eq!(text(&r), rest["detail"].as_str().unwrap());
    let r = call(&agent, "delete_tool", json!({"id": uuid::Uuid::new_v4()})).await;
    assert!(text(&r).starts_with("no tool with id"), "{}", text(&r));

    assert_eq!(store_state(&app).await, before, "nothing changed");
}
