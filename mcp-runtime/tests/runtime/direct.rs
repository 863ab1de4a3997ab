//! The direct path of `tools/call` (`src/server/direct.rs`): what it answers
//! is exactly what rmcp would, in one `application/json` body; whatever it
//! does not take reaches rmcp; and sessions served only through it live as
//! long as they are used.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Session, TestApp, manifest};
use crate::tools;

/// A raw `POST /mcp` in `s`'s session: the status, the content type and the
/// JSON-RPC message answering `id` (from a JSON body or an SSE `data:` line).
async fn post(s: &Session, body: Value, extra: &[(&str, &str)]) -> (u16, String, Value) {
    let base = s.url();
    let mut b = reqwest::Client::new()
        .post(base)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&body);
    if let Some(id) = s.id() {
        b = b.header("mcp-session-id", id);
    }
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    let resp = b.send().await.unwrap();
    let status = resp.status().as_u16();
    let kind = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    let message = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .find(|v| v.get("id") == body.get("id"))
        .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(json!({"raw": text})));
    (status, kind, message)
}

fn call(id: u64, name: &str, args: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}})
}

/// The same call with an empty `_meta`, which the direct path leaves to rmcp.
fn call_via_rmcp(id: u64, name: &str, args: Value) -> Value {
    let mut c = call(id, name, args);
    c["params"]["_meta"] = json!({});
    c
}

/// `v` as JSON text, with the per-call id of a database failure ("error id 3a504141dad6") blanked.
fn without_error_id(v: &Value) -> String {
    let text = v.to_string();
    match text.split_once("error id ") {
        Some((head, tail)) => format!("{head}error id …{}", tail.get(12..).unwrap_or("")),
        None => text,
    }
}

#[tokio::test]
async fn a_plain_call_is_one_json_body_holding_what_rmcp_would_send() {
    let app = TestApp::spawn(manifest(tools()), &[]).await;
    let s = app.session(None).await;
    let cases = [
        ("echo", json!({"id": 7, "status": "a"})), // rows
        ("broken", json!({})),                     // a database error: an isError result
        ("echo", json!({"id": 0})),                // an invalid argument: an isError result
        ("counted", json!({})),                    // a transform template
        ("no_such_tool", json!({})),               // a JSON-RPC error (rmcp answers both)
    ];
    for (i, (name, args)) in cases.into_iter().enumerate() {
        let id = 10 + i as u64 * 2;
        let (status, kind, direct) = post(&s, call(id, name, args.clone()), &[]).await;
        let (_, rmcp_kind, via_rmcp) = post(&s, call_via_rmcp(id + 1, name, args), &[]).await;
        assert_eq!(status, 200, "{direct}");
        assert!(rmcp_kind.starts_with("text/event-stream"), "{name}: the control goes through rmcp ({rmcp_kind})");
        if name == "no_such_tool" {
            assert!(kind.starts_with("text/event-stream"), "an unknown tool is rmcp's to refuse ({kind})");
            assert_eq!(direct["error"], via_rmcp["error"]);
            continue;
        }
        assert_eq!(kind, "application/json", "{name}: answered directly");
        assert_eq!(direct["id"], json!(id));
        // Field for field and in the same order: compare the JSON text (a failure's error id is per call).
        assert_eq!(without_error_id(&direct["result"]), without_error_id(&via_rmcp["result"]), "{name}");
    }
    // The direct calls are counted and logged like any other.
    let stats: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    let echo = stats["tools"].as_array().unwrap().iter().find(|t| t["name"] == "echo").cloned().unwrap_or_default();
    assert_eq!(echo["calls"].as_u64(), Some(4), "{stats}");
}

#[tokio::test]
async fn what_the_direct_path_does_not_take_reaches_rmcp() {
    let app = TestApp::spawn(manifest(tools()), &[]).await;
    let mut s = app.session(None).await;
    let args = json!({"id": 1});
    let sse = |kind: &str| kind.starts_with("text/event-stream");
    // A browser's request (rmcp checks its Origin).
    let (_, kind, r) = post(&s, call(50, "echo", args.clone()), &[("origin", "http://localhost")]).await;
    assert!(sse(&kind) && r["result"].is_object(), "{kind} {r}");
    // A batch, and an id that is neither a string nor a number.
    let (status, kind, _) = post(&s, json!([call(51, "echo", args.clone())]), &[]).await;
    assert!(!kind.starts_with("application/json") || status >= 400, "{status} {kind}");
    // Any other method.
    let (_, kind, r) = post(&s, json!({"jsonrpc": "2.0", "id": 52, "method": "tools/list"}), &[]).await;
    assert!(sse(&kind) && r["result"]["tools"].is_array(), "{kind} {r}");
    // A session whose client has not sent `notifications/initialized` yet.
    let fresh = Session::open_uninitialized(&app.base).await;
    let (_, kind, r) = post(&fresh, call(2, "echo", args.clone()), &[]).await;
    assert!(sse(&kind), "before the handshake completes, rmcp decides ({kind} {r})");
    fresh.notify("notifications/initialized").await;
    let (_, kind, r) = post(&fresh, call(3, "echo", args.clone()), &[]).await;
    assert_eq!((kind.as_str(), r["result"]["isError"].as_bool()), ("application/json", Some(false)), "{r}");
    // An unknown session is rmcp's 404.
    let mut gone = s.handle();
    gone.forget_session("no-such-session");
    let (status, _, _) = post(&gone, call(53, "echo", args.clone()), &[]).await;
    assert_eq!(status, 404);
    // Still served after all that.
    let r = s.call("echo", args).await;
    assert_eq!(r["result"]["isError"].as_bool(), Some(false), "{r}");
}

#[tokio::test]
async fn sessions_used_only_through_the_direct_path_live_and_idle_ones_close() {
    let app = TestApp::spawn(manifest(tools()), &[("QUARRY_RUNTIME_SESSION_IDLE_SECONDS", "2")]).await;
    let s = app.session(None).await;
    for i in 0..5 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let (status, kind, r) = post(&s, call(100 + i, "echo", json!({"id": 1})), &[]).await;
        assert_eq!((status, kind.as_str()), (200, "application/json"), "call {i} after {}s: {r}", i + 1);
    }
    // Unused for twice the idle time: closed, and the client is told to start again.
    tokio::time::sleep(Duration::from_millis(4000)).await;
    let (status, _, r) = post(&s, call(200, "echo", json!({"id": 1})), &[]).await;
    assert_eq!(status, 404, "{r}");
}
