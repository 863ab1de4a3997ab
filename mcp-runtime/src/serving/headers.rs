//! Security headers on every response of a listener: a Content Security
//! Policy without inline script, no framing, no MIME sniffing, no referrer,
//! and HSTS when the listener itself speaks TLS. A handler that sets one of
//! these headers keeps its own value.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of a server that also serves pages (the control plane's UI and
/// API viewers): scripts only from our own files; inline styles stay allowed
/// because React's `style` attributes and ReDoc's generated styles need them.
pub const PAGES_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The policy of a server that serves no pages at all (the runtime).
pub const NO_PAGES_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The headers a listener adds.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    csp: HeaderValue,
    hsts: bool,
}

impl SecurityHeaders {
    /// `csp` is one of [`PAGES_CSP`] or [`NO_PAGES_CSP`]; `hsts` when served over HTTPS.
    pub fn new(csp: &'static str, hsts: bool) -> Arc<SecurityHeaders> {
        Arc::new(SecurityHeaders { csp: HeaderValue::from_static(csp), hsts })
    }
}

impl SecurityHeaders {
    /// Adds the headers `headers` does not already carry.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let mut set = |name: HeaderName, value: HeaderValue| {
            headers.entry(name).or_insert(value);
        };
        set(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        set(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        set(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        set(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if self.hsts {
            set(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
        }
    }
}

/// Middleware: adds the headers to every response.
pub async fn security_headers(State(h): State<Arc<SecurityHeaders>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    h.apply(response.headers_mut());
    response
}
