//! The scope matrix, generated from the tool registry: for every agent tool,
//! a credential holding every scope but the tool's own does not see it in
//! `tools/list`, and calling it anyway is refused — HTTP 403 with
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="<its scope>"`
//! and a detail naming it — with the store unchanged and the refusal logged.

use std::collections::HashMap;

use control_plane::agent::registry::Registry;
use control_plane::agent::scope::Scope;
use serde_json::{Value, json};

use super::{Agent, agent_token, connect, post_call, store_state};
use crate::harness::TestApp;

#[tokio::test]
async fn every_tool_is_hidden_from_and_refused_to_a_credential_lacking_its_scope_and_nothing_changes() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    // Real ids, so a tool that did run would change something.
    let conn = app.create_connection("warehouse").await;
    let tool = app.create_tool(conn["id"].as_str().unwrap(), "orders_by_customer").await;
    let mut agents: HashMap<Scope, (String, Agent)> = HashMap::new();
    for missing in Scope::ALL {
        let others: Vec<&str> = Scope::ALL.iter().filter(|s| **s != missing).map(|s| s.as_str()).collect();
        let (_, token) = agent_token(&app, &others).await;
        let agent = connect(&app, &token).await;
        agents.insert(missing, (token, agent));
    }
    let before = store_state(&app).await;
    let registry = Registry::build();
    let mut checked = 0;
    for t in registry.all() {
        let (token, agent) = &agents[&t.scope];
        let listed = agent.list_all_tools().await.unwrap();
        assert!(listed.iter().all(|l| l.name != t.name), "{} is listed without {}", t.name, t.scope);
        let args: Value = match t.name {
            n if n.ends_with("_tool") => json!({"id": tool["id"]}),
            n if n.ends_with("_connection") => json!({"id": conn["id"]}),
            _ => json!({}),
        };
        let res = post_call(&app, token, t.name, args).await;
        assert_eq!(res.status(), reqwest::StatusCode::FORBIDDEN, "{} ran without {}", t.name, t.scope);
        let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
        let wanted = format!("Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=", t.scope);
        assert!(challenge.starts_with(&wanted), "{}: {challenge}", t.name);
        let body: Value = res.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("lacks the scope `{}`", t.scope)), "{}: {body}", t.name);
        checked += 1;
    }
    assert!(checked >= 44, "{checked} tools checked");
    assert_eq!(store_state(&app).await, before, "no refused call changed the store");
    let (_, refused) = app.get("/api/v1/agent-activity?outcome=refused&limit=1").await;
    assert_eq!(refused["total"], checked, "every refusal is in the activity log");
}
