//! The agent endpoint over HTTP: `/agent/mcp` (rmcp streamable HTTP,
//! stateless, one JSON answer per request) behind bearer authentication, and
//! its RFC 9728 protected-resource metadata. An unauthenticated request gets
//! 401 with `WWW-Authenticate: Bearer resource_metadata="…"`, so a client can
//! discover how to authenticate: the metadata names Quarry itself as the
//! authorization server (`crate::oauth`), whose token endpoint issues access
//! tokens to OAuth clients; agent tokens (`POST /api/v1/agent-tokens`) work
//! too. A `tools/call` for a tool whose scope the credential lacks is answered
//! 403 with `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`
//! (the MCP authorization spec's step-up) before it reaches the server, and is
//! recorded in the activity log as refused.

use std::sync::Arc;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};

use super::PATH;
use super::activity::outcome;
use super::credential::{Credential, Refusal, authenticate, bearer};
use super::registry::Registry;
use super::scope::Scope;
use super::server::{AgentServer, missing_scope, record_call};
use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};

/// Where the protected-resource metadata of the agent endpoint is served.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource/agent/mcp";

/// The routes: `/agent/mcp` and its metadata.
pub fn router(state: &AppState) -> Router<AppState> {
    let http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(crate::extract::MAX_BODY_BYTES)
        // The whole listener checks Host (`api::router`).
        .disable_allowed_hosts();
    let registry = Arc::new(Registry::build());
    let handler = AgentServer::new(state.clone(), registry.clone());
    let service =
        StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(NeverSessionManager::default()), http);
    Router::new()
        .nest_service(PATH, service)
        .route_layer(middleware::from_fn_with_state((state.clone(), registry), require_agent))
        .route(METADATA_PATH, get(metadata))
}

/// The public URL of the agent endpoint and of its metadata document.
fn urls(s: &AppState) -> (String, String) {
    let base = s.config.public_url.trim_end_matches('/');
    (format!("{base}{PATH}"), format!("{base}{METADATA_PATH}"))
}

/// RFC 9728 protected-resource metadata.
async fn metadata(State(s): State<AppState>) -> Json<Value> {
    let (resource, _) = urls(&s);
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    Json(json!({
        "resource": resource,
        // Quarry itself: `/.well-known/oauth-authorization-server` (crate::oauth).
        "authorization_servers": [crate::oauth::realm(&s).issuer],
        "bearer_methods_supported": ["header"],
        "scopes_supported": scopes,
        "resource_name": "Quarry agent MCP",
        "resource_documentation": format!("{}/api/docs", s.config.public_url.trim_end_matches('/')),
    }))
}

/// Middleware: authenticates the bearer token into a `Credential` on the
/// request, or answers 401; answers 403 to a call outside its scopes.
async fn require_agent(State((s, registry)): State<(AppState, Arc<Registry>)>, req: Request, next: Next) -> Response {
    let token = bearer(req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())).map(str::to_string);
    let (address, user_agent) = crate::auth::guard::client_of(&s, req.extensions(), req.headers());
    match authenticate(&s, token.as_deref(), address, user_agent).await {
        Ok(credential) => match check_scope(&s, &registry, &credential, req).await {
            Ok(mut req) => {
                req.extensions_mut().insert(credential);
                next.run(req).await
            }
            Err(refused) => refused,
        },
        Err(Refusal::Store(e)) => ApiError::from(e).into_response(),
        Err(refusal) => {
            let (_, metadata) = urls(&s);
            let mut challenge = format!("Bearer resource_metadata=\"{metadata}\"");
            if let Refusal::Invalid(why) = &refusal {
                challenge.push_str(&format!(", error=\"invalid_token\", error_description=\"{why}\""));
            }
            let body = ErrorBody { detail: refusal.to_string(), code: "unauthenticated", problems: None };
            let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
            }
            response
        }
    }
}

/// Lets `req` through unless it is a single `tools/call` of a tool whose scope
/// `cred` lacks: that is answered 403 `insufficient_scope` naming the scope,
/// recorded as refused, and never reaches the tool.
async fn check_scope(s: &AppState, registry: &Registry, cred: &Credential, req: Request) -> Result<Request, Response> {
    if req.method() != axum::http::Method::POST {
        return Ok(req);
    }
    let started = Instant::now();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::extract::MAX_BODY_BYTES).await else {
        let body =
            ErrorBody { detail: "the request body is too large".into(), code: "payload_too_large", problems: None };
        return Err((StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response());
    };
    let call: Option<Value> = serde_json::from_slice(&bytes).ok();
    let tool = call
        .as_ref()
        .filter(|c| c["method"] == "tools/call")
        .and_then(|c| c["params"]["name"].as_str())
        .and_then(|name| registry.get(name));
    if let (Some(tool), Some(call)) = (tool, &call)
        && !cred.allows(tool.scope)
    {
        let text = missing_scope(tool.scope, tool.name);
        let args = call["params"].get("arguments").cloned().unwrap_or(json!({}));
        record_call(s, cred, tool.name, &args, outcome::REFUSED, Some(text.clone()), started).await;
        let (_, metadata) = urls(s);
        let challenge = format!(
            "Bearer error=\"insufficient_scope\", scope=\"{}\", resource_metadata=\"{metadata}\", error_description=\"{text}\"",
            tool.scope
        );
        let body = ErrorBody { detail: text, code: "insufficient_scope", problems: None };
        let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        return Err(response);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
