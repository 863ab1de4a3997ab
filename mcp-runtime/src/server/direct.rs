//! The direct path of the runtime's most common request: a `tools/call` in an
//! initialized session, answered with one `application/json` body without
//! passing through rmcp's session worker.
//!
//! rmcp routes every session request through the session's worker task: the
//! body is parsed into its message enums, the request travels over channels
//! to a task spawned for it, and the answer comes back as an SSE stream (a
//! priming event, then the message: two writes). For a plain tool call none
//! of that is needed — the answer is one JSON-RPC response, which the
//! streamable HTTP transport lets a server send as `application/json` to a
//! client that accepts both types. [`serve`], run by the runtime's edge
//! ([`crate::edge`]) after authentication, answers exactly such calls and
//! hands everything else to rmcp unchanged (the body it read is passed on):
//!
//! - a `POST` with `Content-Type: application/json`, an `Accept` naming both
//!   `application/json` and `text/event-stream`, a `Content-Length` of at most
//!   [`MAX_BODY`], no `Origin` (rmcp checks those), no `Mcp-Method`/`Mcp-Name`
//!   headers, and an `MCP-Protocol-Version` that is absent or a known revision
//!   before 2026-07-28 (the ones with sessions);
//! - naming a live session whose client has sent `notifications/initialized`;
//! - one JSON-RPC request (no batch) whose id is a number or a string, method
//!   `tools/call`, params holding `name` and `arguments` and nothing else (no
//!   `_meta`: progress tokens, trace context and per-request versions go to
//!   rmcp);
//! - for a tool of the current release the caller's token covers, or (with
//!   the conformance fixtures on) a fixture whose result is fixed content.
//!
//! What rmcp would add to such a call is kept: the session counts as used
//! ([`CappedSessions`]), and `notifications/cancelled` naming a call running
//! here cancels it (other cancellations go to rmcp). A call whose client
//! disconnects is abandoned, as its database statement is. The result is the
//! same JSON rmcp writes; `tests/direct.rs` compares the two paths.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ProtocolVersion, ServerResult};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{QuarryServer, Shared, fixtures, observe, tools, trace};
use crate::auth::{ClientId, Principal};
use crate::sessions::CappedSessions;

/// The largest body the direct path reads; larger ones go to rmcp.
pub const MAX_BODY: u64 = 64 * 1024;

/// The direct path's state: the handler's shared state and the session manager.
pub struct Direct {
    server: QuarryServer,
    sessions: Arc<CappedSessions>,
    fixtures: bool,
    /// Calls running here, by session and request id (its JSON text), for `notifications/cancelled`.
    running: Mutex<HashMap<(String, String), CancellationToken>>,
}

impl Direct {
    /// Over `shared` and `sessions`; `fixtures` when the conformance fixtures are served.
    pub fn new(shared: Arc<Shared>, sessions: Arc<CappedSessions>, fixtures: bool) -> Arc<Direct> {
        Arc::new(Direct { server: QuarryServer::new(shared), sessions, fixtures, running: Mutex::default() })
    }
}

/// Answers what the module doc lists; passes the rest to `next` (rmcp).
pub async fn serve(direct: &Direct, req: Request, next: Next) -> Response {
    let Some(session) = eligible(direct, req.method(), req.headers()) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY as usize).await {
        Ok(b) => b,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, format!("Bad Request: failed to read the body: {e}")).into_response();
        }
    };
    match answer(direct, &session, &parts, &bytes).await {
        Some(response) => response,
        None => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    }
}

/// The session a request names, when its headers allow the direct path.
fn eligible(direct: &Direct, method: &Method, headers: &HeaderMap) -> Option<String> {
    if method != Method::POST || headers.contains_key(header::ORIGIN) {
        return None;
    }
    if headers.contains_key("mcp-method") || headers.contains_key("mcp-name") {
        return None;
    }
    let length = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse::<u64>().ok()?;
    if length > MAX_BODY || !is_json(headers.get(header::CONTENT_TYPE)?) || !accepts_both(headers) {
        return None;
    }
    if let Some(v) = headers.get("mcp-protocol-version") {
        let v = v.to_str().ok()?;
        let known = ProtocolVersion::KNOWN_VERSIONS.iter().any(|k| k.as_str() == v);
        if !known || v >= ProtocolVersion::STANDARD_HEADERS.as_str() {
            return None;
        }
    }
    let session = headers.get("mcp-session-id")?.to_str().ok()?;
    direct.sessions.initialized(session).then(|| session.to_string())
}

fn is_json(v: &HeaderValue) -> bool {
    v.to_str().is_ok_and(|v| v.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
}

fn accepts_both(headers: &HeaderMap) -> bool {
    let (mut json, mut sse) = (false, false);
    for value in headers.get_all(header::ACCEPT) {
        for item in value.to_str().unwrap_or("").split(',') {
            let essence = item.split(';').next().unwrap_or("").trim();
            json |= essence.eq_ignore_ascii_case("application/json");
            sse |= essence.eq_ignore_ascii_case("text/event-stream");
        }
    }
    json && sse
}

/// One JSON-RPC message, as far as the direct path reads it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message<'a> {
    jsonrpc: &'a str,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    method: &'a str,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

/// `tools/call` params with nothing but a name and arguments.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallParams {
    name: String,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
}

/// `notifications/cancelled` params.
#[derive(Deserialize)]
struct CancelParams<'a> {
    #[serde(borrow, rename = "requestId")]
    request_id: &'a RawValue,
}

/// The response, or `None` to hand the request to rmcp.
async fn answer(direct: &Direct, session: &str, parts: &Parts, body: &[u8]) -> Option<Response> {
    let message: Message<'_> = serde_json::from_slice(body).ok()?;
    if message.jsonrpc != "2.0" {
        return None;
    }
    match (message.method, message.id) {
        ("tools/call", Some(id)) if is_id(id) => {
            let params: CallParams = serde_json::from_str(message.params?.get()).ok()?;
            call(direct, session, parts, id, params).await
        }
        ("notifications/cancelled", None) => {
            let params: CancelParams<'_> = serde_json::from_str(message.params?.get()).ok()?;
            let key = (session.to_string(), params.request_id.get().to_string());
            let token = direct.running.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned()?;
            token.cancel();
            Some(StatusCode::ACCEPTED.into_response())
        }
        _ => None,
    }
}

/// A JSON-RPC id this path echoes: a string or a number.
fn is_id(id: &RawValue) -> bool {
    id.get().starts_with(|c: char| c == '"' || c == '-' || c.is_ascii_digit())
}

/// Runs the call when this path may; `None` hands it to rmcp.
async fn call(direct: &Direct, session: &str, parts: &Parts, id: &RawValue, params: CallParams) -> Option<Response> {
    let shared = &direct.server.shared;
    let release = shared.current();
    let args = params.arguments.unwrap_or_default();
    let outcome = match release.manifest.tools.iter().find(|t| t.name == params.name) {
        Some(tool) => {
            let principal = parts.extensions.get::<Arc<Principal>>().cloned();
            if direct.server.visible_to(principal.clone()).is_some_and(|visible| !visible(&tool.scopes)) {
                return None; // rmcp answers the refusal, as for any transport
            }
            let client = parts.extensions.get::<ClientId>().map_or_else(|| "anonymous".to_string(), |c| c.0.clone());
            let caller = observe::Caller { client, principal };
            let span = trace::http_span("tools/call", None, None, Some(&parts.headers));
            span.record("mcp.tool.name", params.name.as_str());
            let running = Running::enter(direct, session, id);
            let ct = running.token.clone();
            tools::call(shared, release, &params.name, args, ct, caller).instrument(span).await
        }
        None if direct.fixtures => Ok(fixtures::content_only(&params.name)?),
        None => return None,
    };
    Some(reply(id, outcome))
}

/// A call registered for cancellation until it ends or is dropped.
struct Running<'a> {
    direct: &'a Direct,
    key: (String, String),
    token: CancellationToken,
}

impl<'a> Running<'a> {
    fn enter(direct: &'a Direct, session: &str, id: &RawValue) -> Running<'a> {
        let key = (session.to_string(), id.get().to_string());
        let token = CancellationToken::new();
        direct.running.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), token.clone());
        Running { direct, key, token }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.direct.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

/// The JSON-RPC response, as one `application/json` body, in the shape rmcp
/// gives a session's peer (every session negotiated a revision before 2026-07-28).
fn reply(id: &RawValue, outcome: Result<CallToolResult, ErrorData>) -> Response {
    let mut body = Vec::with_capacity(1024);
    body.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    body.extend_from_slice(id.get().as_bytes());
    let outcome = outcome.map(|r| {
        let mut result = ServerResult::CallToolResult(r);
        result.strip_result_type_for_legacy_peer();
        result.strip_non_object_output_for_legacy_peer();
        result
    });
    let written = match &outcome {
        Ok(result) => {
            body.extend_from_slice(br#","result":"#);
            serde_json::to_writer(&mut body, result)
        }
        Err(error) => {
            body.extend_from_slice(br#","error":"#);
            serde_json::to_writer(&mut body, error)
        }
    };
    if let Err(e) = written {
        tracing::error!(error = %e, "A tool result could not be written as JSON.");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    body.push(b'}');
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}
