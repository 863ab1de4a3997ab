//! Transforms and global variables through the REST API: the server settings
//! hold global variables (checked entry by entry), a preview's transform sees
//! them as `vars` at once, and a deployed tool's transform renders exactly
//! what the preview rendered, because both call the same function.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::deploy::{TOKEN, pull, spawn_pull_app, start_runtime, wait_for_release};
use crate::harness::TestApp;

const SQL: &str = "SELECT * FROM (VALUES (1, 'eu', 10.5), (2, 'us', 32), (3, 'eu', 5), (4, 'apac', 1)) \
                   AS t(id, region, amount) WHERE id >= :min_id ORDER BY id LIMIT :lim";

/// Every name a template sees, and every filter the seed product adds.
const TEMPLATE: &str = r#"{"total": {{ rows | sum_attr("amount") }},
 "regions": {{ rows | map_attr("region") | unique | tojson }},
 "currency": {{ vars.currency | tojson }}, "vat": {{ vars.vat_rate }}, "live": {{ vars.live | tojson }},
 "from": {{ params.min_id }}, "lim": {{ params.lim }},
 "columns": {{ columns | tojson }}, "n": {{ row_count }}, "cut": {{ truncated | tojson }}}"#;

fn parameters() -> Value {
    json!([{"name": "min_id", "type": "integer", "description": "Smallest id"},
           {"name": "lim", "type": "integer", "description": "Most rows", "required": false, "default": 3}])
}

fn paths(body: &Value) -> Vec<String> {
    body["problems"].as_array().unwrap_or(&vec![]).iter().map(|p| p["path"].as_str().unwrap().to_string()).collect()
}

/// Initializes an MCP session with the runtime on `port` (presenting `token`) and calls `tool`.
pub(crate) async fn call_tool(port: u16, token: &str, tool: &str, arguments: Value) -> Value {
    mcp_request(port, token, "tools/call", json!({"name": tool, "arguments": arguments})).await
}

/// Initializes an MCP session with the runtime on `port` (presenting `token`) and sends one request.
pub(crate) async fn mcp_request(port: u16, token: &str, method: &str, params: Value) -> Value {
    let url = format!("http://127.0.0.1:{port}/mcp");
    let http = reqwest::Client::new();
    let post = |body: Value, session: Option<&str>| {
        let mut req =
            http.post(&url).bearer_auth(token).header("accept", "application/json, text/event-stream").json(&body);
        if let Some(s) = session {
            req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        req.send()
    };
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}});
    let resp = post(init, None).await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_string();
    resp.text().await.unwrap();
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}), Some(&session)).await.unwrap();
    let request = json!({"jsonrpc": "2.0", "id": 2, "method": method, "params": params});
    let text = post(request, Some(&session)).await.unwrap().text().await.unwrap();
    // One JSON body (a plain tool call) or an SSE stream (anything else in a session).
    let sse = text.lines().filter_map(|l| l.strip_prefix("data:"));
    sse.filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .chain(serde_json::from_str::<Value>(&text).ok())
        .find(|v| v["id"] == 2)
        .unwrap_or_else(|| panic!("no answer to {method}: {text}"))
}

#[tokio::test]
async fn global_variables_are_checked_one_problem_per_bad_entry() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let bad = json!({"global_variables": {"ok": 1, "1st": "x", "has-dash": true, "list": [1], "none": null,
        "long": "x".repeat(10_001)}});
    let (s, b) = app.patch("/api/v1/server/config", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        paths(&b),
        [
            "global_variables.1st",
            "global_variables.has-dash",
            "global_variables.list",
            "global_variables.long",
            "global_variables.none"
        ],
        "{b}"
    );
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("v{i}"), json!(i))).collect();
    let (s, b) = app.patch("/api/v1/server/config", &json!({"global_variables": many})).await;
    assert_eq!((s, paths(&b)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["global_variables".to_string()]), "{b}");
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!(cfg["global_variables"], json!({}), "nothing bad was saved: {cfg}");

    let good = json!({"global_variables": {"currency": "EUR", "vat_rate": 0.2, "max_rows": 50, "live": true}});
    let (s, b) = app.patch("/api/v1/server/config", &good).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["global_variables"], good["global_variables"]);
    // A PATCH replaces the whole set.
    let (_, b) = app.patch("/api/v1/server/config", &json!({"global_variables": {"currency": "USD"}})).await;
    assert_eq!(b["global_variables"], json!({"currency": "USD"}));
}

#[tokio::test]
async fn a_template_renders_the_same_in_the_preview_and_in_the_deployed_tool() {
    let (app, key) = spawn_pull_app().await;
    let vars = json!({"currency": "EUR", "vat_rate": 0.2, "live": true});
    let (s, b) = app.patch("/api/v1/server/config", &json!({"global_variables": vars})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let conn = app.create_connection("warehouse").await["id"].as_str().unwrap().to_string();

    // The preview reads the current settings: `vars` is there before any deploy.
    let preview = json!({"connection_id": conn, "sql_query": SQL, "parameters": {"min_id": 1},
        "parameter_definitions": parameters(), "transform_template": TEMPLATE});
    let (s, previewed) = app.post("/api/v1/preview/execute", &preview).await;
    assert_eq!(s, StatusCode::OK, "{previewed}");
    let expected = json!({"total": 47.5, "regions": ["eu", "us"], "currency": "EUR", "vat": 0.2, "live": true,
        "from": 1, "lim": 3, "columns": ["id", "region", "amount"], "n": 3, "cut": false});
    assert_eq!(previewed["transformed_result"], expected, "{previewed}");
    let missing =
        json!({"connection_id": conn, "sql_query": "SELECT 1 AS one", "transform_template": "{{ vars.nope }}"});
    let (_, res) = app.post("/api/v1/preview/execute", &missing).await;
    assert!(res["transform_error"].as_str().is_some_and(|e| e.contains("undefined")), "{res}");

    for (name, return_type, template) in
        [("regional", "rows", Some(TEMPLATE)), ("first_region", "row", None), ("first_id", "scalar", None)]
    {
        let tool = json!({"connection_id": conn, "name": name, "description": "Regional amounts", "sql_query": SQL,
            "parameters": parameters(), "return_type": return_type, "transform_template": template});
        let (s, b) = app.post("/api/v1/tools", &tool).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let manifest: Value = pull(&app, Some(TOKEN), None, 0).await.json().await.unwrap();
    assert_eq!(manifest["vars"], vars, "the release carries the global variables");
    let shapes: Vec<&Value> = manifest["tools"].as_array().unwrap().iter().map(|t| &t["return_type"]).collect();
    // Tools are listed by name; `rows` is the default and left out.
    assert_eq!(shapes, [&json!("scalar"), &json!("row"), &Value::Null], "{manifest}");

    let port = start_runtime(&app, &key, "pod-a").await;
    wait_for_release(&app, 1, 1).await;
    // Bearer auth is the default: the first deploy minted a token and returned it once.
    let token = d["token"].as_str().expect("the first deploy returns the minted token");
    let deployed = call_tool(port, token, "regional", json!({"min_id": 1})).await;
    assert_eq!(deployed["result"]["isError"], false, "{deployed}");
    let text = deployed["result"]["content"][0]["text"].as_str().unwrap();
    let rendered: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(rendered, previewed["transformed_result"], "the deployed tool renders what the preview rendered");

    let row = call_tool(port, token, "first_region", json!({"min_id": 2})).await;
    assert_eq!(row["result"]["structuredContent"]["row"]["region"], "us", "{row}");
    let scalar = call_tool(port, token, "first_id", json!({"min_id": 2})).await;
    assert_eq!(scalar["result"]["structuredContent"], json!({"value": 2}), "{scalar}");
    let none = call_tool(port, token, "first_id", json!({"min_id": 99})).await;
    assert_eq!(none["result"]["structuredContent"], json!({"value": null}), "{none}");

    // New values are an undeployed change of the server until the next deploy.
    app.patch("/api/v1/server/config", &json!({"global_variables": {"currency": "USD"}})).await;
    let (_, st) = app.get("/api/v1/deploy/status").await;
    assert_eq!(st["undeployed_changes"], true, "{st}");
    let (_, second) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(second["release"]["changes"], json!([{"kind": "server", "name": "", "action": "changed"}]));
}
