//! Runtime integration tests: a real HTTP server and a minimal MCP client,
//! over a scripted executor (this file) and over the real engine against the
//! real PostgreSQL and MariaDB (`real_db`, `real_queue`). `tests/e2e/runtime`
//! runs the official clients.

mod direct;
mod fixtures;
mod harness;
mod hygiene;
mod oauth;
#[path = "../../../tests/rust/otlp_receiver.rs"]
mod otlp_receiver;
mod paging;
mod pull_order;
mod real_db;
mod real_queue;
mod replicas;
#[path = "../../../tests/rust/slowloris.rs"]
mod slowloris;
#[allow(dead_code)]
#[path = "../engine/support.rs"]
mod support;
mod traces;

use std::time::Duration;

use harness::{Session, TempDir, TestApp, manifest};
use serde_json::{Value, json};
use shared_model::secret::Keyring;
use shared_model::token::TokenHasher;

pub(crate) fn tools() -> Value {
    json!([
        {"name": "echo", "description": "Echo", "sql": "SELECT :id, :status", "connection": "db",
         "parameters": [{"name": "id", "type": "integer", "min": 1, "description": "An id"},
                        {"name": "status", "type": "string", "required": false, "enum": ["a", "b"]}],
         "cache_ttl_seconds": 60},
        {"name": "slow_a", "sql": "SLEEP 300 a", "connection": "db"},
        {"name": "slow_b", "sql": "SLEEP 300 b", "connection": "db"},
        {"name": "slow_c", "sql": "SLEEP 300 c", "connection": "db"},
        {"name": "slow_d", "sql": "SLEEP 300 d", "connection": "db"},
        {"name": "slow_e", "sql": "SLEEP 300 e", "connection": "db"},
        {"name": "long", "sql": "SLEEP 5000 long", "connection": "db"},
        {"name": "broken", "sql": "FAIL", "connection": "db"},
        {"name": "counted", "sql": "SELECT 1", "connection": "db", "transform_template": "{{ row_count }} rows"}
    ])
}

async fn app() -> TestApp {
    TestApp::spawn(manifest(tools()), &[]).await
}

pub(crate) fn text(r: &Value) -> String {
    r["result"]["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn tools_list_is_stable_and_carries_schemas_annotations_and_descriptions() {
    let app = app().await;
    let mut s = app.session(None).await;
    let a = s.request("tools/list", json!({})).await;
    let b = s.request("tools/list", json!({})).await;
    assert_eq!(a["result"], b["result"]);
    let list = a["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names[..3], ["echo", "slow_a", "slow_b"]);
    let echo = &list[0];
    assert_eq!(echo["inputSchema"]["required"], json!(["id"]));
    assert_eq!(echo["inputSchema"]["properties"]["id"]["minimum"], json!(1));
    assert_eq!(echo["inputSchema"]["properties"]["status"]["enum"], json!(["a", "b"]));
    assert_eq!(echo["annotations"]["readOnlyHint"], json!(true));
    assert!(list.iter().all(|t| !t["description"].as_str().unwrap().is_empty()));
}

#[tokio::test]
async fn calls_validate_arguments_and_return_structured_content_and_text() {
    let app = app().await;
    let mut s = app.session(None).await;
    let bad = s.call("echo", json!({"id": "x"})).await;
    assert_eq!(bad["result"]["isError"], json!(true));
    assert!(text(&bad).contains("\"id\""), "{bad}");
    let missing = s.call("echo", json!({})).await;
    assert!(text(&missing).contains("\"id\""), "{missing}");
    let ok = s.call("echo", json!({"id": 7})).await;
    assert_eq!(ok["result"]["isError"], json!(false), "{ok}");
    assert_eq!(ok["result"]["structuredContent"]["rows"][0], json!({"arg": "id", "value": 7}));
    assert!(text(&ok).contains("\"value\":7"));
    let unknown = s.call("nope", json!({})).await;
    assert!(unknown.get("error").is_some(), "unknown tools are JSON-RPC errors: {unknown}");
    let transformed = s.call("counted", json!({})).await;
    assert_eq!(text(&transformed), "0 rows");
}

/// Tools over the scripted executor, which returns one row `{"arg", "value"}`
/// per argument given: `a` and `b` are optional, so `{}` gives no rows.
fn shaped_tools() -> Value {
    let params = json!([{"name": "a", "type": "string", "required": false},
                        {"name": "b", "type": "string", "required": false}]);
    json!([
        {"name": "all", "sql": "SELECT :a, :b", "connection": "db", "parameters": params},
        {"name": "first", "sql": "SELECT :a, :b", "connection": "db", "parameters": params, "return_type": "row"},
        {"name": "one", "sql": "SELECT :a, :b", "connection": "db", "parameters": params, "return_type": "scalar"},
        {"name": "report", "sql": "SELECT :a, :b", "connection": "db", "parameters": params,
         "transform_template": "{{ vars.title }}: {{ rows | map_attr('value') | join(', ') }} for {{ params.a }} ({{ row_count }} of {{ columns | length }} column, cut: {{ truncated }})"},
    ])
}

fn structured(r: &Value) -> Value {
    assert_eq!(r["result"]["isError"], json!(false), "{r}");
    r["result"]["structuredContent"].clone()
}

#[tokio::test]
async fn a_row_tool_returns_its_first_row_and_a_scalar_tool_its_first_value_or_null_when_there_is_none() {
    let app = TestApp::spawn(manifest(shaped_tools()), &[]).await;
    let mut s = app.session(None).await;
    let two = json!({"a": "x", "b": "y"});

    let rows = s.call("all", two.clone()).await;
    assert_eq!(structured(&rows)["row_count"], json!(2), "{rows}");
    assert_eq!(structured(&rows)["rows"][1], json!({"arg": "b", "value": "y"}));

    let row = s.call("first", two.clone()).await;
    assert_eq!(structured(&row), json!({"row": {"arg": "a", "value": "x"}}));
    assert_eq!(serde_json::from_str::<Value>(&text(&row)).unwrap(), json!({"arg": "a", "value": "x"}));
    let no_row = s.call("first", json!({})).await;
    assert_eq!((structured(&no_row), text(&no_row)), (json!({"row": null}), "null".to_string()));

    // The scripted executor's first (and only) column is `arg`.
    let value = s.call("one", two).await;
    assert_eq!((structured(&value), text(&value)), (json!({"value": "a"}), "\"a\"".to_string()));
    let no_value = s.call("one", json!({})).await;
    assert_eq!((structured(&no_value), text(&no_value)), (json!({"value": null}), "null".to_string()));
}

#[tokio::test]
async fn a_deployed_transform_sees_params_and_the_manifest_vars_as_the_preview_does() {
    let vars = json!({"title": "Picked", "unused": 3});
    let mut m = manifest(shaped_tools());
    m["vars"] = vars.clone();
    let app = TestApp::spawn(m, &[]).await;
    let mut s = app.session(None).await;
    let r = s.call("report", json!({"a": "x", "b": "y"})).await;
    assert_eq!(text(&r), "Picked: x, y for x (2 of 1 column, cut: False)", "{r}");
    // The same template and input through the function the preview calls.
    let rows = [json!({"arg": "a", "value": "x"}), json!({"arg": "b", "value": "y"})];
    let params = json!({"a": "x", "b": "y"}).as_object().unwrap().clone();
    let vars = vars.as_object().unwrap().clone();
    let input = mcp_runtime::transform::TransformInput {
        rows: &rows,
        columns: vec!["arg"],
        truncated: false,
        params: &params,
        vars: &vars,
    };
    let template = shaped_tools()[3]["transform_template"].as_str().unwrap().to_string();
    assert_eq!(mcp_runtime::transform::render(&template, &input).unwrap(), text(&r));
    // A template that names a variable the server does not have fails as a tool error.
    let mut m = manifest(
        json!([{"name": "t", "sql": "SELECT 1", "connection": "db", "transform_template": "{{ vars.nope }}"}]),
    );
    m["vars"] = json!({"title": "Picked"});
    let app = TestApp::spawn(m, &[]).await;
    let r = app.session(None).await.call("t", json!({})).await;
    assert_eq!(r["result"]["isError"], json!(true), "{r}");
    assert!(text(&r).contains("transform failed") && text(&r).contains("undefined"), "{r}");
}

#[tokio::test]
async fn database_detail_is_hidden_unless_configured() {
    let app = app().await;
    let mut s = app.session(None).await;
    let r = s.call("broken", json!({})).await;
    assert_eq!(r["result"]["isError"], json!(true));
    assert!(!text(&r).contains("secret_table") && text(&r).contains("error id"), "{r}");
    let mut m = manifest(tools());
    m["server"]["expose_db_errors"] = json!(true);
    m["release"] = json!(2);
    let app2 = TestApp::spawn(m, &[]).await;
    let r = app2.session(None).await.call("broken", json!({})).await;
    assert!(text(&r).contains("secret_table"), "{r}");
}

#[tokio::test]
async fn cached_results_are_served_without_running_the_query_again() {
    let app = app().await;
    let mut s = app.session(None).await;
    s.call("echo", json!({"id": 1, "status": "a"})).await;
    s.call("echo", json!({"status": "a", "id": 1})).await;
    let stats: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    let echo = stats["tools"].as_array().unwrap().iter().find(|t| t["name"] == "echo").unwrap().clone();
    assert_eq!((echo["calls"].as_u64(), echo["cache_hits"].as_u64()), (Some(2), Some(1)));
}

#[tokio::test]
async fn the_queue_runs_at_most_the_limit_in_fifo_order_and_rejects_or_times_out_the_rest() {
    let app = app().await;
    // Sessions first, so that opening one (slow on a loaded machine) never spaces the calls apart.
    let mut sessions = Vec::new();
    for _ in 0..5 {
        sessions.push(app.session(None).await);
    }
    let mut handles = Vec::new();
    for (tool, mut s) in ["slow_a", "slow_b", "slow_c", "slow_d", "slow_e"].into_iter().zip(sessions) {
        handles.push(tokio::spawn(async move { s.call(tool, json!({})).await }));
        tokio::time::sleep(Duration::from_millis(30)).await; // fix the arrival order
    }
    let results: Vec<Value> = futures::future::join_all(handles).await.into_iter().map(Result::unwrap).collect();
    // 2 run, 2 wait (FIFO), the 5th finds the line full.
    assert_eq!(app.journal.lock().unwrap().started, ["a", "b", "c", "d"]);
    assert!(text(&results[4]).contains("busy"), "{}", results[4]);
    assert!(results[..4].iter().all(|r| r["result"]["isError"] == json!(false)));
    let stats: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    let db = &stats["connections"][0];
    assert_eq!((db["peak_active"].as_i64(), db["rejected"].as_u64()), (Some(2), Some(1)), "{db}");
    // Two long queries hold both slots: a waiter gives up after 1 s with "busy, retry".
    let (mut l1, mut l2, mut w) = (app.session(None).await, app.session(None).await, app.session(None).await);
    let h1 = tokio::spawn(async move { l1.call("long", json!({})).await });
    let h2 = tokio::spawn(async move { l2.call("long", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let timed_out = w.call("slow_a", json!({})).await;
    assert!(text(&timed_out).contains("busy") && text(&timed_out).contains("retry"), "{timed_out}");
    h1.abort();
    h2.abort();
}

#[tokio::test]
async fn a_cancelled_request_leaves_the_queue_and_cancels_its_query() {
    let app = app().await;
    // A running query is cancelled with it.
    let mut s = app.session(None).await;
    let h = s.handle();
    let call = tokio::spawn(async move { s.call("long", json!({})).await }); // request id 2
    tokio::time::sleep(Duration::from_millis(200)).await;
    h.cancel(2).await;
    let _ = tokio::time::timeout(Duration::from_secs(3), call).await.expect("the call ends promptly");
    assert_eq!(app.journal.lock().unwrap().cancelled, ["long"]);
    // A waiting call leaves the line.
    let (mut l1, mut l2, mut w) = (app.session(None).await, app.session(None).await, app.session(None).await);
    let wh = w.handle();
    let h1 = tokio::spawn(async move { l1.call("long", json!({})).await });
    let h2 = tokio::spawn(async move { l2.call("long", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiter = tokio::spawn(async move { w.call("slow_a", json!({})).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    wh.cancel(2).await;
    let _ =
        tokio::time::timeout(Duration::from_millis(900), waiter).await.expect("the waiter leaves before its timeout");
    let stats: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    let db = &stats["connections"][0];
    assert_eq!((db["cancelled"].as_u64(), db["waiting"].as_i64()), (Some(1), Some(0)), "{db}");
    assert!(!app.journal.lock().unwrap().started.contains(&"a".to_string()), "the cancelled waiter never ran");
    h1.abort();
    h2.abort();
}

#[tokio::test]
async fn bearer_auth_rejects_missing_or_wrong_tokens_with_a_challenge() {
    let key = Keyring::generate_key();
    let hash = TokenHasher::from_runtime_key(&key).unwrap().hash_hex("s3cret-token");
    let mut m = manifest(tools());
    m["auth"] = json!({"mode": "bearer", "tokens": [{"id": "t1", "hash": hash}]});
    let app = TestApp::spawn(m, &[("QUARRY_RUNTIME_KEY", &key)]).await;
    for path in ["/metrics", "/internal/stats"] {
        let r = app.get(path).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let r = app.get(path).bearer_auth("wrong").send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
        assert_eq!(app.get(path).bearer_auth("s3cret-token").send().await.unwrap().status(), 200);
    }
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);
    let mut s = app.session(Some("s3cret-token")).await;
    assert_eq!(s.call("echo", json!({"id": 1})).await["result"]["isError"], json!(false));
}

#[tokio::test]
async fn resources_and_prompts_are_served_from_the_manifest() {
    let app = app().await;
    let mut s = app.session(None).await;
    let list = s.request("resources/list", json!({})).await;
    assert_eq!(list["result"]["resources"][0]["uri"], "shop://logo");
    let t = s.request("resources/templates/list", json!({})).await;
    assert_eq!(t["result"]["resourceTemplates"][0]["uriTemplate"], "shop://customers/{id}");
    let r = s.request("resources/read", json!({"uri": "shop://customers/42"})).await;
    let body: Value = serde_json::from_str(r["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(body["rows"][0], json!({"arg": "id", "value": 42}), "URI parameters are bound with their type");
    let blob = s.request("resources/read", json!({"uri": "shop://logo"})).await;
    assert_eq!(blob["result"]["contents"][0]["mimeType"], "image/png");
    assert_eq!(blob["result"]["contents"][0]["blob"], "iVBORw0KGgo=");
    let p = s.request("prompts/get", json!({"name": "greet", "arguments": {"who": "Ann"}})).await;
    assert_eq!(p["result"]["messages"][0]["content"]["text"], "Hello Ann, {Ann} {other}");
    let missing = s.request("prompts/get", json!({"name": "greet", "arguments": {}})).await;
    assert!(missing["error"]["message"].as_str().unwrap().contains("who"));
    let c = s
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "who", "value": "wo"}}),
        )
        .await;
    assert_eq!(c["result"]["completion"]["values"], json!(["world", "wonder"]));
}

#[tokio::test]
async fn sighup_reload_swaps_valid_manifests_and_keeps_the_old_one_on_problems() {
    let app = app().await;
    let mut m = manifest(tools());
    m["release"] = json!(2);
    m["tools"][0]["description"] = json!("Echo v2");
    std::fs::write(&app.manifest_path, m.to_string()).unwrap();
    assert_eq!(mcp_runtime::reload::reload_file(&app.shared, &app.manifest_path), Ok(2));
    let mut s = app.session(None).await;
    let list = s.request("tools/list", json!({})).await;
    assert_eq!(list["result"]["tools"][0]["description"], "Echo v2");
    m["release"] = json!(3);
    m["tools"][0]["connection"] = json!("missing");
    m["tools"][1]["name"] = json!("bad name");
    std::fs::write(&app.manifest_path, m.to_string()).unwrap();
    let problems = mcp_runtime::reload::reload_file(&app.shared, &app.manifest_path).unwrap_err();
    let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["tools[0].connection", "tools[1].name"]);
    assert_eq!(app.shared.current().manifest.release, 2, "the running release is kept");
}

/// Kills the runtime process when the test ends, passed or not.
struct Process(std::process::Child);
impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_sighup_sent_to_the_process_reloads_the_manifest_file() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = TempDir(std::env::temp_dir().join(format!("quarry-hup-{}", uuid::Uuid::new_v4().simple())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (path, log) = (dir.0.join("manifest.json"), dir.0.join("runtime.log"));
    let mut m = manifest(tools());
    std::fs::write(&path, m.to_string()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_quarry-runtime"))
        .env("QUARRY_RUNTIME_MANIFEST", &path)
        .env("QUARRY_RUNTIME_BIND", format!("127.0.0.1:{port}"))
        .env("QUARRY_LOG", "info")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    let base = format!("http://127.0.0.1:{port}");
    let healthy = || async { reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) };
    assert!(eventually(healthy).await, "the runtime did not start: {}", std::fs::read_to_string(&log).unwrap());
    let mut s = Session::open(&base, None).await;
    let description = |r: Value| r["result"]["tools"][0]["description"].as_str().map(String::from);
    assert_eq!(description(s.request("tools/list", json!({})).await).as_deref(), Some("Echo"));
    let hangup = || {
        let sent = std::process::Command::new("kill").args(["-HUP", &process.0.id().to_string()]).status().unwrap();
        assert!(sent.success());
    };

    m["release"] = json!(2);
    m["tools"][0]["description"] = json!("Echo v2");
    std::fs::write(&path, m.to_string()).unwrap();
    hangup();
    let reloaded = || {
        let mut s = s.handle();
        async move { description(s.request("tools/list", json!({})).await).as_deref() == Some("Echo v2") }
    };
    assert!(eventually(reloaded).await, "release 2 was not served: {}", std::fs::read_to_string(&log).unwrap());

    m["release"] = json!(3);
    m["tools"][0]["connection"] = json!("missing");
    std::fs::write(&path, m.to_string()).unwrap();
    hangup();
    let refused = || async { std::fs::read_to_string(&log).unwrap().contains("Refused the new manifest") };
    assert!(
        eventually(refused).await,
        "the invalid manifest was not refused: {}",
        std::fs::read_to_string(&log).unwrap()
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("tools[0].connection"), "the problem is logged with its path: {logged}");
    assert_eq!(description(s.request("tools/list", json!({})).await).as_deref(), Some("Echo v2"));
}

/// Polls `check` every 50 ms for up to 10 s.
async fn eventually<F: std::future::Future<Output = bool>>(check: impl Fn() -> F) -> bool {
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn in_flight_calls_finish_on_the_release_they_started_on() {
    let app = app().await;
    let mut s = app.session(None).await;
    let call = tokio::spawn(async move { s.call("slow_a", json!({})).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut m = manifest(json!([{"name": "other", "sql": "SELECT 1", "connection": "db"}]));
    m["release"] = json!(2);
    std::fs::write(&app.manifest_path, m.to_string()).unwrap();
    mcp_runtime::reload::reload_file(&app.shared, &app.manifest_path).unwrap();
    let r = call.await.unwrap();
    assert_eq!(r["result"]["structuredContent"]["rows"][0]["tag"], "a", "{r}");
    let r = app.session(None).await.call("slow_a", json!({})).await;
    assert!(r.get("error").is_some(), "the new release no longer has the tool");
}

#[tokio::test]
async fn the_remote_healthcheck_completes_an_mcp_handshake_or_meets_the_auth_challenge() {
    let check = |base: String| tokio::task::spawn_blocking(move || mcp_runtime::healthcheck::check_mcp(&base));
    let open = app().await;
    check(open.base.clone()).await.unwrap().expect("an open runtime answers initialize");
    let key = Keyring::generate_key();
    let hash = TokenHasher::from_runtime_key(&key).unwrap().hash_hex("s3cret-token");
    let mut m = manifest(tools());
    m["auth"] = json!({"mode": "bearer", "tokens": [{"id": "t1", "hash": hash}]});
    let protected = TestApp::spawn(m, &[("QUARRY_RUNTIME_KEY", &key)]).await;
    check(protected.base.clone()).await.unwrap().expect("a protected runtime answers with its challenge");
    // Something that is not an MCP server fails the check.
    let err = check(format!("{}/healthz", open.base)).await.unwrap().unwrap_err();
    assert!(err.contains("answered"), "{err}");
}

#[tokio::test]
async fn metrics_and_health_endpoints_report_manifest_labels_only() {
    let app = app().await;
    app.session(None).await.call("echo", json!({"id": 3})).await;
    assert_eq!(app.get("/healthz").send().await.unwrap().text().await.unwrap(), "ok");
    let ready: Value = app.get("/readyz").send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["release"], 1);
    let text = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("quarry_tool_calls_total{tool=\"echo\"} 1"), "{text}");
    assert!(text.contains("quarry_tool_duration_seconds_bucket{tool=\"echo\",le=\"+Inf\"} 1"));
    assert!(text.contains("quarry_queue_active{connection=\"db\"} 0"));
    assert!(text.contains("quarry_pool_connections{connection=\"db\",state=\"idle\"} 2"));
    let stats: Value = app.get("/internal/stats").send().await.unwrap().json().await.unwrap();
    assert_eq!(stats["timeseries"][0]["calls"], 1);
    let echo = stats["tools"].as_array().unwrap().iter().find(|t| t["name"] == "echo").unwrap().clone();
    assert!(echo["p95_ms"].as_f64().unwrap() >= 0.0);
}

/// Sends one JSON-RPC message with the given protocol-version header and session.
async fn raw_mcp(
    app: &TestApp,
    body: Value,
    version: &str,
    session: Option<&str>,
) -> (reqwest::StatusCode, Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/mcp", app.base))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", version)
        .json(&body);
    if let Some(s) = session {
        req = req.header("mcp-session-id", s);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let sid = resp.headers().get("mcp-session-id").map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    let value = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .find_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(json!({"raw": text})));
    (status, sid, value)
}

#[tokio::test]
async fn the_stateless_revision_is_served_without_a_session() {
    let app = app().await;
    let version = "2026-07-28";
    let meta = json!({"io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {}, "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}});
    // Every request stands alone: its revision in `_meta` and the standard headers.
    let post = |id: u64, method: &str, name: Option<&str>, mut params: Value| {
        params["_meta"] = meta.clone();
        let mut req = reqwest::Client::new()
            .post(format!("{}/mcp", app.base))
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", version)
            .header("mcp-method", method)
            .json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        if let Some(n) = name {
            req = req.header("mcp-name", n);
        }
        async move {
            let resp = req.send().await.unwrap();
            let (status, sid) = (resp.status(), resp.headers().get("mcp-session-id").cloned());
            let text = resp.text().await.unwrap();
            let body = text.lines().filter_map(|l| l.strip_prefix("data:")).next().unwrap_or(&text).trim().to_string();
            (status, sid, serde_json::from_str::<Value>(&body).unwrap_or(json!({"raw": text})))
        }
    };
    let (status, sid, r) = post(1, "server/discover", None, json!({})).await;
    assert!(status.is_success(), "{status} {r}");
    assert!(r["result"]["supportedVersions"].as_array().is_some_and(|v| v.contains(&json!(version))), "{r}");
    assert_eq!(sid, None, "no session on the stateless revision");
    let (_, sid, r) = post(2, "tools/list", None, json!({})).await;
    assert_eq!((r["result"]["tools"][0]["name"].as_str(), sid), (Some("echo"), None), "{r}");
    let (_, _, r) = post(3, "tools/call", Some("echo"), json!({"name": "echo", "arguments": {"id": 7}})).await;
    assert_eq!(r["result"]["structuredContent"]["rows"][0], json!({"arg": "id", "value": 7}), "{r}");
}

#[tokio::test]
async fn every_session_protocol_revision_is_negotiated_and_served() {
    let app = app().await;
    for version in ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] {
        let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
        let (status, sid, r) = raw_mcp(&app, init, version, None).await;
        assert!(status.is_success(), "{version}: {status} {r}");
        assert_eq!(r["result"]["protocolVersion"], version, "{version}: {r}");
        let sid = sid.unwrap_or_else(|| panic!("{version}: no session id"));
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        raw_mcp(&app, note, version, Some(&sid)).await;
        let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
        let (_, _, r) = raw_mcp(&app, list, version, Some(&sid)).await;
        assert_eq!(r["result"]["tools"][0]["name"], "echo", "{version}: {r}");
    }
}
