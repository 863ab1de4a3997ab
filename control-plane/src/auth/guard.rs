//! The gate in front of every protected route: a valid session cookie, and
//! for state-changing requests, proof that our own pages sent them (CSRF).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use super::session::COOKIE;
use crate::app::AppState;
use crate::error::ApiError;
use crate::model::Actor;

/// The authenticated admin, available to handlers behind [`require_admin`].
#[derive(Clone, Debug)]
pub struct Admin {
    /// Admin id.
    pub id: String,
    /// Session id of this request.
    pub session_id: String,
    /// The client's address (the TCP peer), when known.
    pub address: Option<String>,
    /// The client's `User-Agent`, clipped.
    pub user_agent: Option<String>,
}

/// The client's address (behind trusted proxies, the forwarded one) and
/// `User-Agent` of a request, for the audit trail.
pub fn client_of(
    state: &AppState,
    req_extensions: &axum::http::Extensions,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let address = super::client_ip::ClientIp::of(state, req_extensions, headers).map(|c| c.0.to_string());
    (address, user_agent_of(headers))
}

/// The request's `User-Agent`, clipped for storage.
pub fn user_agent_of(headers: &HeaderMap) -> Option<String> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(crate::model::actor::clip_user_agent)
}

/// Middleware: rejects requests without a valid session with 401.
pub async fn require_admin(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = jar.get(COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty());
    let token = token.ok_or_else(|| ApiError::Unauthorized("not authenticated; log in first".into()))?;
    let (id, session_id) = state.sessions.verify(&state.db, &token).await?;
    let (address, user_agent) = client_of(&state, req.extensions(), req.headers());
    req.extensions_mut().insert(Admin { id, session_id, address, user_agent });
    Ok(next.run(req).await)
}

impl Admin {
    /// The author of the changes this request makes.
    pub fn actor(&self) -> Actor {
        Actor::Admin { id: self.id.clone(), address: self.address.clone(), user_agent: self.user_agent.clone() }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Admin>().cloned().ok_or_else(|| ApiError::Unauthorized("not authenticated".into()))
    }
}

/// The header our own pages send on every request; with a JSON body it is
/// one of the two proofs a state-changing request must carry.
pub const INTENT_HEADER: &str = "x-quarry-request";

/// Middleware: cross-site request forgery protection for state-changing
/// methods (everything but GET, HEAD and OPTIONS):
/// - an `Origin` (or `Referer`) that is present must name this server;
///   `Origin: null` (sandboxed frames, `data:` pages) counts as cross-site;
/// - the request must be one a cross-site form cannot send: a JSON
///   `Content-Type`, or the [`INTENT_HEADER`] (body-less posts). Both force a
///   CORS preflight, which we never answer.
///
/// Requests with an `Authorization` header (runtimes pulling with their
/// bearer token) are exempt from the second rule: a browser never attaches
/// one on its own, so there is nothing ambient to forge.
pub async fn same_origin_writes(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, ApiError> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        check_origin(req.headers(), &state.config.public_url)?;
        if !req.headers().contains_key(header::AUTHORIZATION) {
            check_intent(req.headers())?;
        }
    }
    Ok(next.run(req).await)
}

fn check_intent(headers: &HeaderMap) -> Result<(), ApiError> {
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let essence = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        essence == "application/json" || essence.ends_with("+json")
    });
    if json || headers.contains_key(INTENT_HEADER) {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "state-changing requests must send Content-Type: application/json or the header {INTENT_HEADER}: 1"
    )))
}

pub(crate) fn check_origin(headers: &HeaderMap, public_url: &str) -> Result<(), ApiError> {
    let claimed = headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else { return Ok(()) };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let origin_host = claimed.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    let public_host = public_url.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    if !origin_host.is_empty() && (origin_host == host || origin_host == public_host) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("cross-site request refused: origin {claimed:?} is not this server")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), v.parse().unwrap())).collect()
    }

    #[test]
    fn same_origin_and_public_url_pass_foreign_origins_fail() {
        let public = "https://quarry.example.com";
        let same = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "http://127.0.0.1:3000")]);
        assert!(check_origin(&same, public).is_ok());
        let proxied = headers(&[(header::HOST, "backend:3000"), (header::ORIGIN, "https://quarry.example.com")]);
        assert!(check_origin(&proxied, public).is_ok());
        let evil = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "https://evil.example")]);
        assert!(check_origin(&evil, public).is_err());
        let evil_referer = headers(&[(header::HOST, "127.0.0.1:3000"), (header::REFERER, "https://evil.example/page")]);
        assert!(check_origin(&evil_referer, public).is_err());
        assert!(check_origin(&headers(&[(header::HOST, "127.0.0.1:3000")]), public).is_ok());
        let null = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "null")]);
        assert!(check_origin(&null, public).is_err(), "Origin: null is cross-site");
    }

    #[test]
    fn writes_need_a_json_body_or_the_intent_header() {
        assert!(check_intent(&headers(&[(header::CONTENT_TYPE, "application/json; charset=utf-8")])).is_ok());
        assert!(check_intent(&headers(&[(header::CONTENT_TYPE, "application/merge-patch+json")])).is_ok());
        assert!(check_intent(&headers(&[(header::HeaderName::from_static(INTENT_HEADER), "1")])).is_ok());
        for form in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            assert!(check_intent(&headers(&[(header::CONTENT_TYPE, form)])).is_err(), "{form}");
        }
        assert!(check_intent(&HeaderMap::new()).is_err());
    }
}
