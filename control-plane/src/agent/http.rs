//! The agent endpoint over HTTP: `/agent/mcp` (rmcp streamable HTTP,
//! stateless, one JSON answer per request) behind bearer authentication, and
//! its RFC 9728 protected-resource metadata. An unauthenticated request gets
//! 401 with `WWW-Authenticate: Bearer resource_metadata="…"`, so a client can
//! discover how to authenticate; until OAuth clients arrive, agent tokens are
//! created by an admin (`POST /api/v1/agent-tokens`).

use std::sync::Arc;

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
use super::credential::{Refusal, authenticate, bearer};
use super::registry::Registry;
use super::scope::Scope;
use super::server::AgentServer;
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
    let handler = AgentServer::new(state.clone(), Arc::new(Registry::build()));
    let service =
        StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(NeverSessionManager::default()), http);
    Router::new()
        .nest_service(PATH, service)
        .route_layer(middleware::from_fn_with_state(state.clone(), require_agent))
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
        // Quarry becomes the authorization server with OAuth clients; today its
        // admins issue agent tokens (`POST /api/v1/agent-tokens`).
        "authorization_servers": [s.config.public_url.trim_end_matches('/')],
        "bearer_methods_supported": ["header"],
        "scopes_supported": scopes,
        "resource_name": "Quarry agent MCP",
        "resource_documentation": format!("{}/api/docs", s.config.public_url.trim_end_matches('/')),
    }))
}

/// Middleware: authenticates the bearer token into a `Credential` on the request, or answers 401.
async fn require_agent(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = bearer(req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())).map(str::to_string);
    let (address, user_agent) = crate::auth::guard::client_of(&s, req.extensions(), req.headers());
    match authenticate(&s, token.as_deref(), address, user_agent).await {
        Ok(credential) => {
            req.extensions_mut().insert(credential);
            next.run(req).await
        }
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
