//! Everything the runtime does to a request around its route, as one layer:
//!
//! 1. the `Host` check ([`AllowedHosts`]) on every path;
//! 2. authentication ([`crate::auth::authorize`]) on every path but the
//!    public ones: `/healthz`, `/readyz` and the OAuth protected-resource
//!    metadata (RFC 9728). A path added later is authenticated unless it is
//!    listed here;
//! 3. on `/mcp`, a POST counts as in flight until its answer is written
//!    ([`crate::drain::counted`]) and a plain tool call takes the direct path
//!    ([`crate::server::direct`]);
//! 4. the security headers ([`SecurityHeaders`]) on every response.
//!
//! One layer rather than one per concern: each axum middleware boxes the
//! request's future and clones the service behind it, which came to ~19,000
//! instructions per call for four of them (`bench/callgrind_ab.sh`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::server::Shared;
use crate::server::direct::{self, Direct};
use crate::serving::headers::SecurityHeaders;
use crate::serving::hosts::AllowedHosts;

/// The edge's state.
pub struct Edge {
    /// Host names this listener answers to.
    pub hosts: AllowedHosts,
    /// The headers every response carries.
    pub headers: Arc<SecurityHeaders>,
    /// The runtime's shared state (the auth rule, the in-flight count).
    pub shared: Arc<Shared>,
    /// The direct path of `/mcp`.
    pub direct: Arc<Direct>,
}

/// Paths served without authentication.
fn is_public(path: &str) -> bool {
    const METADATA: &str = "/.well-known/oauth-protected-resource";
    matches!(path, "/healthz" | "/readyz")
        || path.strip_prefix(METADATA).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The MCP endpoint (`/mcp` and what rmcp serves under it).
fn is_mcp(path: &str) -> bool {
    path.strip_prefix("/mcp").is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The middleware: the steps of the module doc, in order.
pub async fn edge(State(edge): State<Arc<Edge>>, req: Request, next: Next) -> Response {
    let mut response = match edge.hosts.refusal(&req) {
        Some(refused) => refused,
        None => route(&edge, req, next).await,
    };
    edge.headers.apply(response.headers_mut());
    response
}

async fn route(edge: &Edge, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if is_public(path) {
        return next.run(req).await;
    }
    let mcp_post = is_mcp(path) && req.method() == Method::POST;
    let req = match crate::auth::authorize(&edge.shared, req).await {
        Ok(req) => req,
        Err(refused) => return refused,
    };
    if !mcp_post {
        return next.run(req).await;
    }
    crate::drain::counted(&edge.shared.in_flight, direct::serve(&edge.direct, req, next)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_paths_are_public_and_mcp_is_the_endpoint_and_below() {
        for p in [
            "/healthz",
            "/readyz",
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-protected-resource/mcp",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/metrics", "/mcp", "/internal/stats", "/healthzz", "/.well-known/oauth-protected-resourcex", "/"] {
            assert!(!is_public(p), "{p}");
        }
        assert!(is_mcp("/mcp") && is_mcp("/mcp/x") && !is_mcp("/mcpx") && !is_mcp("/metrics"));
    }
}
