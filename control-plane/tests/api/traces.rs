//! Traces from the real `quarry` binary, received by an OTLP/HTTP receiver in
//! the test; spans arrive through the flush at shutdown.

use std::time::Duration;

use crate::otlp_receiver::{OtlpReceiver, ReceivedSpan};

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT: &str = "b7ad6b7169203331";

/// Kills the process when the test ends, passed or not.
struct Process(tokio::process::Child);
impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

#[tokio::test]
async fn an_api_request_exports_a_span_with_its_route_template_under_the_callers_traceparent() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let receiver = OtlpReceiver::start().await;
    let data = std::env::temp_dir().join(format!("quarry-otel-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_quarry"))
        .env("QUARRY_DATA_DIR", &data)
        .env("QUARRY_BIND", format!("127.0.0.1:{port}"))
        .env("QUARRY_LOG", "warn")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "3600000")
        .env_remove("OTEL_SERVICE_NAME")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .env_remove("QUARRY_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut process = Process(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{base}/api/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the control plane did not start");
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    let id = uuid::Uuid::new_v4();
    let r = http.get(format!("{base}/api/v1/tools/{id}")).header("traceparent", &traceparent).send().await.unwrap();
    assert_eq!(r.status(), 401, "unauthenticated");

    let pid = process.0.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let exited = tokio::time::timeout(Duration::from_secs(10), process.0.wait()).await;
    assert!(exited.is_ok_and(|s| s.is_ok_and(|s| s.success())), "the control plane did not stop cleanly");
    let ours = |spans: &[ReceivedSpan]| spans.iter().any(|s| s.trace_id == TRACE);
    let spans = receiver.wait_for(Duration::from_secs(5), ours).await;
    let span = spans.iter().find(|s| s.trace_id == TRACE).unwrap_or_else(|| panic!("no span in our trace: {spans:#?}"));
    assert_eq!(span.parent_span_id, PARENT, "{span:#?}");
    assert_eq!(span.name, "GET /api/v1/tools/{id}", "the route template, not the path: {span:#?}");
    assert_eq!(span.attr("http.route"), Some("/api/v1/tools/{id}"));
    assert_eq!(span.attr("http.request.method"), Some("GET"));
    assert_eq!(span.attr("http.response.status_code"), Some("401"));
    assert_eq!(span.service, "quarry");
    assert!(spans.iter().all(|s| !s.name.contains(&id.to_string())), "no raw path in a span name");
    let _ = std::fs::remove_dir_all(&data);
}
