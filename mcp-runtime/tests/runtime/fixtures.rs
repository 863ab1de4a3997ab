//! The MCP conformance fixtures (`QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1`) wrap
//! the production handler; without the switch nothing of them is served.

use serde_json::{Value, json};

use crate::harness::{TestApp, manifest};
use crate::{text, tools};

fn names(list: &Value, key: &str) -> Vec<String> {
    list["result"][key].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_production_handler_serves_the_manifest_and_no_fixture() {
    let app = TestApp::spawn(manifest(tools()), &[]).await;
    let mut s = app.session(None).await;
    let caps = &s.init["capabilities"];
    assert!(caps.get("logging").is_none(), "{caps}");
    assert!(caps["resources"].get("subscribe").is_none(), "{caps}");
    // Deploys are announced, so every list says it can change.
    for list in ["tools", "prompts", "resources"] {
        assert_eq!(caps[list]["listChanged"], true, "{caps}");
    }
    let listed = names(&s.request("tools/list", json!({})).await, "tools");
    assert!(!listed.iter().any(|n| n.starts_with("test_")), "{listed:?}");
    let fixture = s.call("test_simple_text", json!({})).await;
    assert!(fixture.get("error").is_some(), "{fixture}");
    for (method, params) in [
        ("logging/setLevel", json!({"level": "info"})),
        ("resources/subscribe", json!({"uri": "test://watched-resource"})),
        ("resources/read", json!({"uri": "test://watched-resource"})),
        ("prompts/get", json!({"name": "test_prompt_with_image"})),
    ] {
        let r = s.request(method, params).await;
        assert!(r.get("error").is_some(), "{method}: {r}");
    }
    assert_eq!(names(&s.request("prompts/list", json!({})).await, "prompts"), ["greet"]);
}

#[tokio::test]
async fn the_conformance_fixtures_add_to_the_manifest_without_changing_it() {
    let app = TestApp::spawn(manifest(tools()), &[("QUARRY_RUNTIME_CONFORMANCE_FIXTURES", "1")]).await;
    let mut s = app.session(None).await;
    let caps = &s.init["capabilities"];
    assert!(caps.get("logging").is_some(), "{caps}");
    assert_eq!(caps["resources"]["subscribe"], true);
    assert_eq!(s.init["serverInfo"]["name"], "test");
    let listed = names(&s.request("tools/list", json!({})).await, "tools");
    assert_eq!(listed[0], "echo");
    // 12 fixtures of the stable suite, 14 of the 2026-07-28 requirements and the 2020-12 schema tool.
    assert_eq!(listed.iter().filter(|n| n.starts_with("test_")).count(), 26, "{listed:?}");
    assert!(listed.iter().any(|n| n == "json_schema_2020_12_tool"), "{listed:?}");
    // Manifest tools still run through the production path; fixtures answer the rest.
    let echo = s.call("echo", json!({"id": 7})).await;
    assert_eq!(echo["result"]["structuredContent"]["rows"][0], json!({"arg": "id", "value": 7}), "{echo}");
    let fixture = s.call("test_simple_text", json!({})).await;
    assert_eq!(text(&fixture), "This is a simple text response for testing.");
    let unknown = s.call("nope", json!({})).await;
    assert!(unknown.get("error").is_some(), "{unknown}");
    for (method, params) in [
        ("logging/setLevel", json!({"level": "info"})),
        ("resources/subscribe", json!({"uri": "test://watched-resource"})),
        ("resources/unsubscribe", json!({"uri": "test://watched-resource"})),
    ] {
        let r = s.request(method, params).await;
        assert_eq!(r["result"], json!({}), "{method}: {r}");
    }
    let watched = s.request("resources/read", json!({"uri": "test://watched-resource"})).await;
    assert_eq!(watched["result"]["contents"][0]["text"], "Watched resource content");
    let logo = s.request("resources/read", json!({"uri": "shop://logo"})).await;
    assert_eq!(logo["result"]["contents"][0]["blob"], "iVBORw0KGgo=");
    let prompts = names(&s.request("prompts/list", json!({})).await, "prompts");
    assert_eq!(
        prompts,
        ["greet", "test_prompt_with_embedded_resource", "test_prompt_with_image", "test_input_required_result_prompt"]
    );
    let greet = s.request("prompts/get", json!({"name": "greet", "arguments": {"who": "Ann"}})).await;
    assert_eq!(greet["result"]["messages"][0]["content"]["text"], "Hello Ann, {Ann} {other}");
    let image = s.request("prompts/get", json!({"name": "test_prompt_with_image"})).await;
    assert_eq!(image["result"]["messages"][1]["content"]["type"], "image");
}
