//! Traces from the real `quarry-runtime` binary over the real engine on the
//! real PostgreSQL, received by an OTLP/HTTP receiver in the test. The batch
//! delay is an hour, so the spans arrive only through the flush at shutdown,
//! which a collector that never answers may delay by two seconds at most.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Session, TempDir};
use crate::otlp_receiver::{OtlpReceiver, ReceivedSpan};
use crate::real_db::{connection, release};
use crate::support::pg;
use crate::{Process, eventually};

const HEADER_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const HEADER_PARENT: &str = "b7ad6b7169203331";
const META_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const META_PARENT: &str = "00f067aa0ba902b7";
const LOSING_TRACE: &str = "11111111111111111111111111111111";

fn traceparent(trace: &str, parent: &str) -> String {
    format!("00-{trace}-{parent}-01")
}

/// The `mcp.request` span of trace `trace` and its children by name.
fn tree<'a>(spans: &'a [ReceivedSpan], trace: &str) -> (&'a ReceivedSpan, Vec<&'a str>) {
    let request = spans
        .iter()
        .find(|s| s.trace_id == trace && s.name == "mcp.request")
        .unwrap_or_else(|| panic!("no mcp.request span in trace {trace}: {spans:#?}"));
    let mut children: Vec<&str> =
        spans.iter().filter(|s| s.parent_span_id == request.span_id).map(|s| s.name.as_str()).collect();
    children.sort_unstable();
    (request, children)
}

#[tokio::test]
async fn tool_calls_export_a_span_tree_under_the_traceparent_of_the_header_or_of_meta_which_wins() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(db) = pg().await else { return };
    db.setup("CREATE TABLE items (id INT); INSERT INTO items VALUES (1001), (1002), (1003);").await;
    let tools = json!([{"name": "count_items", "connection": "db", "sql": "SELECT count(*) AS n FROM items WHERE id >= :min",
        "parameters": [{"name": "min", "type": "integer"}], "transform_template": "{{ rows[0].n }} items"}]);
    let queue = json!({"max_concurrent_queries": 2, "queue_timeout_seconds": 5, "max_waiters": 4});
    let manifest = release(7, vec![connection("db", &db.spec, None, queue)], tools);
    let receiver = OtlpReceiver::start().await;

    let (process, base, log, _dir) = start(&manifest, &receiver.endpoint).await;
    let mut s = Session::open(&base, None).await;
    let by_header = traceparent(HEADER_TRACE, HEADER_PARENT);
    let call = json!({"name": "count_items", "arguments": {"min": 1002}});
    let r = s.request_with("tools/call", call, &[("traceparent", &by_header)]).await;
    assert_eq!(r["result"]["content"][0]["text"], "2 items", "{r}");
    let in_meta = json!({"name": "count_items", "arguments": {"min": 1001},
        "_meta": {"traceparent": traceparent(META_TRACE, META_PARENT), "tracestate": "quarry=test"}});
    let losing = traceparent(LOSING_TRACE, HEADER_PARENT);
    let r = s.request_with("tools/call", in_meta, &[("traceparent", &losing)]).await;
    assert_eq!(r["result"]["content"][0]["text"], "3 items", "{r}");

    // SIGTERM: the drain ends with the flush of the queued spans.
    terminate(&process);
    let has_both = |spans: &[ReceivedSpan]| {
        [HEADER_TRACE, META_TRACE].iter().all(|t| spans.iter().filter(|s| &s.trace_id == t).count() >= 4)
    };
    let spans = receiver.wait_for(Duration::from_secs(10), has_both).await;
    let logged = std::fs::read_to_string(&log).unwrap();
    drop(process);

    for (trace, parent, min) in [(HEADER_TRACE, HEADER_PARENT, "1002"), (META_TRACE, META_PARENT, "1001")] {
        let (request, children) = tree(&spans, trace);
        assert_eq!(request.parent_span_id, parent, "the caller's span is the parent: {request:#?}\n{logged}");
        assert_eq!(children, ["db.execute", "queue.wait", "transform"], "{spans:#?}");
        assert_eq!(request.service, "quarry-runtime");
        assert_eq!(request.attr("rpc.method"), Some("tools/call"));
        assert_eq!(request.attr("mcp.tool.name"), Some("count_items"));
        assert_eq!(request.attr("quarry.release"), Some("7"));
        assert_eq!(request.attr("quarry.outcome"), Some("ok"));
        assert_eq!(request.attr("db.response.returned_rows"), Some("1"));
        let db = spans.iter().find(|s| s.trace_id == trace && s.name == "db.execute").unwrap();
        assert_eq!(db.attr("db.system"), Some("postgresql"));
        assert_eq!(db.attr("quarry.connection"), Some("db"));
        // No argument value leaves in a span.
        let values: Vec<&str> = spans.iter().flat_map(|s| s.attributes.iter().map(|(_, v)| v.as_str())).collect();
        assert!(!values.contains(&min), "an argument value was exported: {spans:#?}");
    }
    assert!(spans.iter().all(|s| s.trace_id != LOSING_TRACE), "the header's traceparent lost to _meta's: {spans:#?}");
}

/// Starts the `quarry-runtime` binary on `manifest`, exporting to `endpoint`
/// with an hour's batch delay (so only the shutdown flush sends spans).
async fn start(manifest: &serde_json::Value, endpoint: &str) -> (Process, String, std::path::PathBuf, TempDir) {
    let dir = TempDir(std::env::temp_dir().join(format!("quarry-otel-{}", uuid::Uuid::new_v4().simple())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let (path, log) = (dir.0.join("manifest.json"), dir.0.join("runtime.log"));
    std::fs::write(&path, manifest.to_string()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_quarry-runtime"))
        .env("QUARRY_RUNTIME_MANIFEST", &path)
        .env("QUARRY_RUNTIME_BIND", format!("127.0.0.1:{port}"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "3600000")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let process = Process(child);
    let base = format!("http://127.0.0.1:{port}");
    let healthy = || async { reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) };
    assert!(eventually(healthy).await, "the runtime did not start: {}", std::fs::read_to_string(&log).unwrap());
    (process, base, log, dir)
}

fn terminate(process: &Process) {
    let stopped = std::process::Command::new("kill").args(["-TERM", &process.0.id().to_string()]).status().unwrap();
    assert!(stopped.success());
}

#[tokio::test]
async fn a_collector_that_never_answers_delays_the_exit_by_at_most_the_flush_deadline() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(db) = pg().await else { return };
    let tools = json!([{"name": "one", "connection": "db", "sql": "SELECT 1 AS one"}]);
    let queue = json!({"max_concurrent_queries": 2, "queue_timeout_seconds": 5, "max_waiters": 4});
    let manifest = release(1, vec![connection("db", &db.spec, None, queue)], tools);
    // Accepts connections (the backlog does) and never reads or answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let (mut process, base, log, _dir) = start(&manifest, &endpoint).await;
    let r = Session::open(&base, None).await.call("one", json!({})).await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    let asked = std::time::Instant::now();
    terminate(&process);
    let exited = loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            break Some(status);
        }
        if asked.elapsed() > Duration::from_secs(8) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(exited.is_some_and(|s| s.success()), "the runtime did not exit cleanly: {exited:?}\n{logged}");
    assert!(asked.elapsed() < Duration::from_secs(5), "exit took {:?}\n{logged}", asked.elapsed());
    assert!(logged.contains("not sent within 2 s"), "the dropped spans are reported: {logged}");
}
