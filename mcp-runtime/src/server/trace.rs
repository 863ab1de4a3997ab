//! The `mcp.request` span of one MCP request, when traces are on
//! ([`crate::otel`]); its children (`queue.wait`, `db.execute`, `transform`)
//! open where `tools.rs` already measures the queue wait and database time.
//!
//! The parent is the caller's W3C trace context ([`otel::mcp_parent`]):
//! `_meta.traceparent` (with `_meta.tracestate`) in the request's params when
//! it holds a valid one, else the HTTP request's `traceparent`/`tracestate`.

use rmcp::service::{RequestContext, RoleServer};
use tracing::Span;

use crate::metrics::FinishedCall;
use crate::otel;
use crate::release::Release;

/// The span for one request of `method` (`tools/call`, …), parented as the
/// module doc says; [`Span::none`] when traces are off.
pub fn request_span(cx: &RequestContext<RoleServer>, method: &'static str) -> Span {
    if !otel::enabled() {
        return Span::none();
    }
    let headers = cx.extensions.get::<axum::http::request::Parts>().map(|p| &p.headers);
    http_span(method, cx.meta.get_traceparent(), cx.meta.get_tracestate(), headers)
}

/// The span for one request of `method`, parented on the given `_meta`
/// trace context or, without one, on the HTTP request's headers.
pub fn http_span(
    method: &'static str,
    traceparent: Option<&str>,
    tracestate: Option<&str>,
    headers: Option<&axum::http::HeaderMap>,
) -> Span {
    if !otel::enabled() {
        return Span::none();
    }
    let span = tracing::info_span!(
        target: otel::TARGET,
        "mcp.request",
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "jsonrpc",
        rpc.method = method,
        mcp.tool.name = tracing::field::Empty,
        mcp.resource.uri = tracing::field::Empty,
        mcp.prompt.name = tracing::field::Empty,
        quarry.release = tracing::field::Empty,
        quarry.outcome = tracing::field::Empty,
        quarry.cached = tracing::field::Empty,
        error.type = tracing::field::Empty,
        db.response.returned_rows = tracing::field::Empty,
    );
    otel::set_parent(&span, otel::mcp_parent(traceparent, tracestate, headers));
    span
}

/// Puts what `call` came to on the current `mcp.request` span.
pub fn finished(release: &Release, call: &FinishedCall<'_>) {
    if !otel::enabled() {
        return;
    }
    let span = Span::current();
    span.record("quarry.release", release.manifest.release);
    span.record("quarry.cached", call.cached);
    span.record("db.response.returned_rows", call.rows);
    match call.error_class {
        None => span.record("quarry.outcome", "ok"),
        Some(class) => {
            span.record("quarry.outcome", "error");
            span.record("error.type", class);
            span.record("otel.status_code", "ERROR")
        }
    };
}

/// The OpenTelemetry `db.system` of the connection `id`.
pub fn db_system(release: &Release, id: &str) -> &'static str {
    release.manifest.connections.iter().find(|c| c.id == id).map_or("other_sql", |c| c.db_type.as_str())
}
