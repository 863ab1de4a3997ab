//! Traces for both binaries over OTLP/HTTP (protobuf), on only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
//!
//! The spans Quarry exports carry the target [`TARGET`]; the log output never
//! sees them and the exporter sees nothing else (no log events, so no
//! argument values or hidden database errors leave through a trace). The
//! OpenTelemetry SDK reads the rest of the standard variables itself:
//! `OTEL_SERVICE_NAME` (default: the binary's name), `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_TRACES_SAMPLER`/`_ARG` (default: parent-based, always on),
//! `OTEL_EXPORTER_OTLP_HEADERS`/`_TIMEOUT` and `OTEL_BSP_*` for batching.
//!
//! Unset, nothing here is initialised: [`enabled`] is one relaxed load of a
//! flag that stays false, and every span site takes [`tracing::Span::none`]
//! instead of building a span, so a call pays no clock read, allocation or
//! lock for tracing.
//!
//! Spans are exported in batches by a task on the tokio runtime, so
//! [`Tracing::install`] must run inside one; [`Tracing::shut_down`] flushes
//! what is queued when the process drains.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

/// The target of every span Quarry exports; the log filter turns it off.
pub const TARGET: &str = "quarry::otel";

/// How long shutdown waits for the last batch to be sent.
const FLUSH_DEADLINE: Duration = Duration::from_secs(2);

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether traces are exported; false unless [`Tracing::install`] set them up.
#[inline]
pub fn enabled() -> bool {
    ENABLED.load(Relaxed)
}

/// A span under [`TARGET`] when traces are on, else [`tracing::Span::none`]
/// (the fields are not even evaluated).
#[macro_export]
macro_rules! otel_span {
    ($name:literal $(, $($fields:tt)*)?) => {
        if $crate::otel::enabled() {
            ::tracing::info_span!(target: $crate::otel::TARGET, $name $(, $($fields)*)?)
        } else {
            ::tracing::Span::none()
        }
    };
}

/// Whether the environment asks for traces.
pub fn requested(env: impl Fn(&str) -> Option<String>) -> bool {
    ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
        .iter()
        .any(|k| env(k).is_some_and(|v| !v.trim().is_empty()))
}

/// The installed exporter; keep it until shutdown.
pub struct Tracing {
    provider: SdkTracerProvider,
}

impl Tracing {
    /// Builds the OTLP exporter and the layer that feeds it, if the environment
    /// asks for traces; `service` names the binary unless `OTEL_SERVICE_NAME`
    /// or `OTEL_RESOURCE_ATTRIBUTES` does. Must run on a tokio runtime.
    pub fn install<S>(service: &'static str) -> Result<Option<(Tracing, impl Layer<S>)>, String>
    where
        S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    {
        let env = |k: &str| std::env::var(k).ok();
        if !requested(env) {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .build()
            .map_err(|e| format!("the OTLP exporter could not be built: {e}"))?;
        let named = env("OTEL_SERVICE_NAME").is_some()
            || env("OTEL_RESOURCE_ATTRIBUTES").is_some_and(|a| a.contains("service.name="));
        let mut resource = Resource::builder();
        if !named {
            resource = resource.with_service_name(service);
        }
        let processor = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
        let provider =
            SdkTracerProvider::builder().with_span_processor(processor).with_resource(resource.build()).build();
        let layer = tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("quarry"))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_filter(tracing_subscriber::filter::filter_fn(|m| m.is_span() && m.target() == TARGET));
        ENABLED.store(true, Relaxed);
        Ok(Some((Tracing { provider }, layer)))
    }

    /// Sends what is still queued and stops the exporter, waiting at most
    /// [`FLUSH_DEADLINE`]: a collector that does not answer must not hold up the
    /// process's exit (the SDK's own shutdown waits as long as the export does).
    pub async fn shut_down(self) {
        ENABLED.store(false, Relaxed);
        let provider = self.provider;
        let (done, finished) = tokio::sync::oneshot::channel();
        // The SDK blocks its caller until the export task on the runtime answers;
        // a plain thread, not `spawn_blocking`, so a late one never delays the exit.
        std::thread::spawn(move || {
            let _ = done.send(provider.shutdown());
        });
        match tokio::time::timeout(FLUSH_DEADLINE, finished).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "Some spans could not be sent at shutdown."),
            Ok(Err(_)) | Err(_) => tracing::warn!("The last spans were not sent within 2 s of shutdown; dropped."),
        }
    }
}

/// The W3C trace context carried by `traceparent` (and `tracestate`); `None`
/// when there is none or it does not parse.
pub fn remote_parent(traceparent: Option<&str>, tracestate: Option<&str>) -> Option<opentelemetry::Context> {
    use opentelemetry::trace::TraceContextExt;
    let mut carrier = HashMap::with_capacity(2);
    carrier.insert("traceparent".to_string(), traceparent?.to_string());
    if let Some(state) = tracestate {
        carrier.insert("tracestate".to_string(), state.to_string());
    }
    let cx = TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

/// The parent of an MCP request's span: the `_meta` trace context (`traceparent`,
/// `tracestate`) when it is valid, else the HTTP request's headers. `_meta`
/// wins because it names the span that sent this very message, while one
/// HTTP request may carry a batch, or a proxy may have put its own header there.
pub fn mcp_parent(
    meta_traceparent: Option<&str>,
    meta_tracestate: Option<&str>,
    headers: Option<&HeaderMap>,
) -> Option<opentelemetry::Context> {
    remote_parent(meta_traceparent, meta_tracestate).or_else(|| {
        let header = |name: &str| headers?.get(name).and_then(|v| v.to_str().ok());
        remote_parent(header("traceparent"), header("tracestate"))
    })
}

/// Middleware: one `http.request` span per request (method, route template,
/// status), a child of the caller's `traceparent`. Added only when traces are on.
pub async fn http_span(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let span = tracing::info_span!(
        target: TARGET,
        "http.request",
        otel.name = format!("{method} {}", route.as_deref().unwrap_or("")).trim_end(),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        http.request.method = method,
        http.route = route,
        http.response.status_code = tracing::field::Empty,
    );
    set_parent(&span, mcp_parent(None, None, Some(req.headers())));
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if status >= 500 {
        span.record("otel.status_code", "ERROR");
    }
    response
}

/// Makes `span` a child of the remote span `parent` names (before it is entered).
pub fn set_parent(span: &tracing::Span, parent: Option<opentelemetry::Context>) {
    if let Some(cx) = parent {
        let _ = span.set_parent(cx); // a span the exporter does not see has no parent to set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_requested_only_by_a_non_empty_endpoint() {
        assert!(!requested(|_| None));
        assert!(!requested(|_| Some(" ".into())));
        assert!(requested(|k| (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://collector:4318".into())));
        assert!(requested(|k| (k == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").then(|| "http://c/v1/traces".into())));
    }

    #[test]
    fn a_valid_traceparent_gives_a_remote_parent_and_garbage_gives_none() {
        use opentelemetry::trace::TraceContextExt;
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let cx = remote_parent(Some(tp), Some("vendor=x")).expect("a parent");
        let span = cx.span();
        let sc = span.span_context();
        assert_eq!(sc.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
        assert!(sc.is_remote());
        assert_eq!(sc.trace_state().get("vendor"), Some("x"));
        assert!(remote_parent(Some("00-not-a-trace"), None).is_none());
        assert!(remote_parent(None, Some("vendor=x")).is_none());
    }
}
