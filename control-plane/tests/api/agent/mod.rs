//! Agent access: agent tokens, the agent MCP endpoint driven by a real MCP
//! client (rmcp's), enforced scopes, and the activity log.

mod activity;
mod documents;
mod endpoint;
mod oauth;
mod oauth_clients;
mod oauth_tokens;
mod scopes;
mod tokens;

use reqwest::StatusCode;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::harness::TestApp;

/// An MCP client session on the agent endpoint.
pub type Agent = RunningService<RoleClient, ()>;

/// Mints an agent token with `scopes`; returns its id and the token.
pub async fn agent_token(app: &TestApp, scopes: &[&str]) -> (String, String) {
    let (s, b) = app.post("/api/v1/agent-tokens", &json!({"name": "test agent", "scopes": scopes})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    (b["id"].as_str().unwrap().to_string(), b["token"].as_str().unwrap().to_string())
}

/// Every scope.
pub fn all_scopes() -> Vec<&'static str> {
    control_plane::agent::scope::Scope::ALL.iter().map(|s| s.as_str()).collect()
}

/// Connects rmcp's client to `/agent/mcp` with `token`.
pub async fn connect(app: &TestApp, token: &str) -> Agent {
    let config = StreamableHttpClientTransportConfig::with_uri(app.url("/agent/mcp")).auth_header(token);
    ().serve(StreamableHttpClientTransport::from_config(config)).await.expect("the agent client connects")
}

/// Calls `tool` with `args`.
pub async fn call(agent: &Agent, tool: &str, args: Value) -> CallToolResult {
    let args = args.as_object().cloned().unwrap_or_default();
    agent
        .call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args))
        .await
        .expect("tools/call answered")
}

/// A raw `tools/call` POST with `token`, so the HTTP status and headers can be checked.
pub async fn post_call(app: &TestApp, token: &str, tool: &str, args: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/agent/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": args}}))
        .send()
        .await
        .unwrap()
}

/// The structured result of a call that must succeed.
pub async fn ok(agent: &Agent, tool: &str, args: Value) -> Value {
    let r = call(agent, tool, args).await;
    assert_ne!(r.is_error, Some(true), "{tool} failed: {}", text(&r));
    r.structured_content.clone().expect("structuredContent")
}

/// Fails unless `value` validates against the JSON Schema `schema` (2020-12).
pub fn assert_valid(tool: &str, schema: &rmcp::model::JsonObject, value: &Value) {
    let schema = Value::Object(schema.clone());
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{tool}: bad schema: {e}"));
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{tool}: structuredContent does not match outputSchema: {errors:?}\n{value}");
}

/// The text of a result's first block.
pub fn text(r: &CallToolResult) -> String {
    r.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default()
}

/// What the store holds, for "nothing changed" checks: history count, audit count and the export document.
pub async fn store_state(app: &TestApp) -> (Value, Value, Value) {
    let (_, h) = app.get("/api/v1/history?limit=1").await;
    let (_, a) = app.get("/api/v1/audit?limit=1").await;
    let (_, doc) = app.get("/api/v1/export-import/export").await;
    (h["total"].clone(), a["total"].clone(), doc)
}
