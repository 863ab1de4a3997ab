//! Per-entity scopes in oauth mode: each tool, resource and prompt requires
//! its `scopes` (all of them), or the server's `default_scope` when it names
//! none. A caller lists only what its token covers, and a call outside it is
//! refused before it reaches the MCP server with HTTP 403 and the MCP scope
//! challenge (`WWW-Authenticate: Bearer error="insufficient_scope",
//! scope="…"`), so a client can step up its authorization.
//!
//! To answer with a status the middleware must know what a POST calls: it
//! reads the JSON-RPC body (at most [`MAX_PEEK_BYTES`]), which is
//! authoritative, rather than the `Mcp-Method`/`Mcp-Name` headers (which rmcp
//! checks against the body anyway). A batch is checked call by call. The MCP
//! handlers check again ([`allowed`]) whatever the transport did.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use shared_model::manifest::Manifest;

use super::{OAuthRule, Principal};
use crate::server::Shared;

/// Largest MCP request body read to find the method and name.
pub const MAX_PEEK_BYTES: usize = 4 * 1024 * 1024;

/// What one JSON-RPC request calls: `(method, name or URI)`.
fn target(msg: &Value) -> Option<(&str, &str)> {
    let method = msg.get("method")?.as_str()?;
    let params = msg.get("params")?;
    let name = match method {
        "tools/call" | "prompts/get" => params.get("name")?.as_str()?,
        "resources/read" => params.get("uri")?.as_str()?,
        _ => return None,
    };
    Some((method, name))
}

/// The scopes `method` on `name` requires under `rule` (`None`: unknown
/// entity, left to the MCP server to answer).
pub fn required<'a>(rule: &'a OAuthRule, m: &'a Manifest, method: &str, name: &str) -> Option<&'a [String]> {
    let scopes = match method {
        "tools/call" => &m.tools.iter().find(|t| t.name == name)?.scopes,
        "prompts/get" => &m.prompts.iter().find(|p| p.name == name)?.scopes,
        "resources/read" => {
            let r = m.resources.iter().find(|r| match (&r.uri, &r.uri_template) {
                (Some(u), _) => u == name,
                (None, Some(t)) => crate::server::match_template(t, name).is_some(),
                _ => false,
            })?;
            &r.scopes
        }
        _ => return None,
    };
    Some(rule.required(scopes))
}

/// Whether `principal` may use an entity requiring `scopes` (handlers and list filters).
pub fn allowed(rule: &OAuthRule, principal: &Principal, scopes: &[String]) -> bool {
    principal.missing(rule.required(scopes)).is_none()
}

/// Lets `req` through (its body restored) or answers 403 `insufficient_scope`.
pub(super) async fn check_call(
    shared: &Shared,
    rule: &Arc<OAuthRule>,
    principal: &Principal,
    req: Request,
) -> Result<Request, Response> {
    if req.method() != Method::POST || !req.uri().path().starts_with("/mcp") {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PEEK_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let body = serde_json::json!({"error": "invalid_request",
                "error_description": format!("the request body is larger than {MAX_PEEK_BYTES} bytes")});
            return Err((StatusCode::PAYLOAD_TOO_LARGE, axum::Json(body)).into_response());
        }
    };
    // An unreadable body is the MCP server's to refuse with a JSON-RPC error.
    if let Ok(msg) = serde_json::from_slice::<Value>(&bytes) {
        let release = shared.current();
        let calls: Vec<&Value> = match &msg {
            Value::Array(batch) => batch.iter().collect(),
            one => vec![one],
        };
        for call in calls {
            let Some((method, name)) = target(call) else { continue };
            let Some(needed) = required(rule, &release.manifest, method, name) else { continue };
            if principal.missing(needed).is_some() {
                tracing::info!(subject = %principal.subject, method, name, "Refused a call outside the token's scopes.");
                return Err(insufficient_scope(rule, principal, needed));
            }
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The 403 of a call outside the token's scopes. Its `scope` names the
/// scopes the token already has plus the ones this call needs (the MCP
/// specification's recommended scope challenge): a client that steps up with
/// exactly that list keeps what it could already do.
fn insufficient_scope(rule: &OAuthRule, principal: &Principal, needed: &[String]) -> Response {
    let mut ask: Vec<String> = principal.scopes.clone();
    for n in needed {
        if !ask.contains(n) {
            ask.push(n.clone());
        }
    }
    let body = serde_json::json!({
        "error": "insufficient_scope",
        "error_description": format!("this call needs the scope {}", needed.join(" ")),
        "scope": ask.join(" "),
    });
    let mut res = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&rule.scope_challenge(&ask)) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}
