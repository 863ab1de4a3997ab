//! The agent's resources (the export document, the OpenAPI document), its
//! guiding prompt, and export → import with a dry run.

use rmcp::model::{GetPromptRequestParams, ReadResourceRequestParams, ResourceContents};
use serde_json::json;

use super::{Agent, agent_token, all_scopes, connect, ok, store_state};
use crate::harness::TestApp;

async fn read(agent: &Agent, uri: &str) -> serde_json::Value {
    let r = agent.read_resource(ReadResourceRequestParams::new(uri)).await.expect("resources/read answered");
    let ResourceContents::TextResourceContents { text, .. } = &r.contents[0] else { panic!("text contents") };
    serde_json::from_str(text).expect("JSON")
}

#[tokio::test]
async fn the_export_and_openapi_documents_are_resources_and_the_prompt_walks_schema_to_deploy() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("warehouse").await;
    app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    let (_, token) = agent_token(&app, &all_scopes()).await;
    let agent = connect(&app, &token).await;
    let uris: Vec<String> = agent.list_all_resources().await.unwrap().into_iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["quarry://agent/export", "quarry://agent/openapi"]);
    let doc = read(&agent, "quarry://agent/export").await;
    let (_, exported) = app.get("/api/v1/export-import/export").await;
    assert_eq!(doc, exported, "the resource is the export document");
    let openapi = read(&agent, "quarry://agent/openapi").await;
    assert!(openapi["paths"]["/api/v1/agent-tokens"].is_object());

    let prompt = agent
        .get_prompt(
            GetPromptRequestParams::new("build_tool_from_question")
                .with_arguments(json!({"question": "Which orders did a customer place?"}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let text = serde_json::to_string(&prompt.messages).unwrap();
    for step in ["list_tables", "preview_sql", "create_tool", "deploy", "Which orders did a customer place?"] {
        assert!(text.contains(step), "{step} missing from {text}");
    }

    // Export, edit, import: a dry run plans and changes nothing; the real one applies.
    let before = store_state(&app).await;
    let mut edited = ok(&agent, "export_configuration", json!({})).await;
    edited["tools"][0]["description"] = json!("Orders of one customer, newest first");
    let plan = ok(&agent, "import_configuration", json!({"document": edited, "dry_run": true})).await;
    assert!(plan.to_string().contains("update"), "{plan}");
    assert_eq!(store_state(&app).await, before, "a dry run changes nothing");
    ok(&agent, "import_configuration", json!({"document": edited})).await;
    let (_, tools) = app.get("/api/v1/tools").await;
    assert_eq!(tools["items"][0]["description"], "Orders of one customer, newest first");
}

#[tokio::test]
async fn the_export_resource_needs_the_export_scope() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, token) = agent_token(&app, &["tools:read"]).await;
    let agent = connect(&app, &token).await;
    let uris: Vec<String> = agent.list_all_resources().await.unwrap().into_iter().map(|r| r.uri.clone()).collect();
    assert_eq!(uris, ["quarry://agent/openapi"]);
    assert!(agent.read_resource(ReadResourceRequestParams::new("quarry://agent/export")).await.is_err());
}
