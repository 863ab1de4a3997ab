//! The HTTP surface: `/api/health`, `/api/v1/*`, the OpenAPI document and its
//! viewers, and the UI. Each resource module owns its routes and their docs.

pub mod agent_activity;
pub mod agent_tokens;
pub mod audit;
pub mod auth;
pub mod authorization_server;
pub mod connections;
pub mod crud;
pub mod deploy;
pub mod docs;
pub mod export_import;
pub mod history;
pub mod logs;
pub mod metrics;
pub mod oauth_clients;
pub mod page;
pub mod patch;
pub mod preview;
pub mod prompts;
pub mod releases;
pub mod resources;
pub mod runtime;
pub mod schema;
pub mod server;
mod server_info;
mod ssl;
pub mod telemetry;
pub mod tools;
pub mod two_factor;
mod ui;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Router, extract::DefaultBodyLimit};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use mcp_runtime::serving::headers::{PAGES_CSP, SecurityHeaders, security_headers};
use mcp_runtime::serving::hosts::check_host;

use crate::app::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{AppJson, MAX_BODY_BYTES};

#[derive(OpenApi)]
#[openapi(
    info(title = "Quarry API", description = "Turn SQL databases into MCP servers: connections, tools, resources and prompts."),
    modifiers(&SessionCookie),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            crate::auth::session::COOKIE,
            "Session cookie set by /api/v1/auth/login or /api/v1/auth/setup",
        )));
        components.add_security_scheme("session", scheme);
        let runtime = SecurityScheme::Http(utoipa::openapi::security::Http::new(
            utoipa::openapi::security::HttpAuthScheme::Bearer,
        ));
        components.add_security_scheme("runtime_token", runtime);
    }
}

/// `ServerSettings` refuses unknown fields on input (serde), which utoipa
/// writes as `additionalProperties: false`. `ServerConfig` (the GET/PATCH
/// `/server/config` answer) flattens it with `allOf`, where that would forbid
/// the answer's own `tokens`, `mcp_url` and `runtime_bind`: every answer would
/// violate its documented schema. The document leaves the extra fields open.
struct OpenServerSettings;

impl Modify for OpenServerSettings {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let schemas = openapi.components.as_mut().map(|c| &mut c.schemas);
        if let Some(utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(settings))) =
            schemas.and_then(|s| s.get_mut("ServerSettings"))
        {
            settings.additional_properties = None;
        }
    }
}

/// The OpenAPI router of `/api` with the document describing it. Without a
/// state it carries no middleware: enough to print the document.
pub fn openapi_router(state: Option<&AppState>) -> OpenApiRouter<AppState> {
    let mut protected = OpenApiRouter::new()
        .merge(auth::router())
        .merge(two_factor::router())
        .merge(connections::router())
        .merge(tools::router())
        .merge(resources::router())
        .merge(prompts::router())
        .merge(preview::router())
        .merge(schema::router())
        .merge(deploy::router())
        .merge(releases::router())
        .merge(server::router())
        .merge(ssl::router())
        .merge(history::router())
        .merge(audit::router())
        .merge(export_import::router())
        .merge(metrics::router())
        .merge(logs::router())
        .merge(agent_tokens::router())
        .merge(oauth_clients::router())
        .merge(authorization_server::router())
        .merge(agent_activity::router());
    if let Some(state) = state {
        protected =
            protected.route_layer(middleware::from_fn_with_state(state.clone(), crate::auth::guard::require_admin));
    }
    let mut v1 = protected
        .merge(auth::public_router())
        .merge(two_factor::public_router())
        .merge(authorization_server::public_router())
        .merge(runtime::router())
        .merge(telemetry::router());
    if let Some(state) = state {
        v1 = v1.layer(middleware::from_fn_with_state(state.clone(), crate::auth::guard::same_origin_writes));
    }
    let mut api = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).routes(routes!(api_health));
    // After the routes: only they bring the schemas in.
    OpenServerSettings.modify(api.get_openapi_mut());
    api
}

/// The OpenAPI document of the whole API.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi_router(None).split_for_parts().1
}

/// The public ACME challenge answers, for a separate plain-HTTP listener.
pub fn ssl_challenge_router() -> Router<AppState> {
    ssl::challenge_router()
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = openapi_router(Some(&state)).split_for_parts();
    let mut routes = api
        .merge(docs::router(openapi))
        .merge(ssl::challenge_router())
        .merge(crate::agent::http::router(&state))
        .merge(crate::oauth::http::router())
        .fallback(ui::fallback);
    // Inside the routing, so the span has the route template; absent, and so free, with traces off.
    if mcp_runtime::otel::enabled() {
        routes = routes.layer(middleware::from_fn(mcp_runtime::otel::http_span));
    }
    routes
        .layer(middleware::from_fn(json_errors))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal(anyhow::anyhow!("a handler panicked")).into_response()))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn_with_state(Arc::new(state.config.allowed_hosts.clone()), check_host))
        .layer(middleware::from_fn_with_state(
            SecurityHeaders::new(PAGES_CSP, state.config.secure_cookies()),
            security_headers,
        ))
        .with_state(state)
}

/// Health of the control plane.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process serves requests.
    pub status: &'static str,
    /// The running version.
    pub version: &'static str,
}

#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
async fn api_health() -> AppJson<Health> {
    AppJson(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

/// Gives error responses that axum or tower produce on their own (unknown
/// route, wrong method, …) under `/api` our `{"detail"}` body.
async fn json_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_api || status.as_u16() < 400 || is_json {
        return response;
    }
    let (detail, code) = match status {
        StatusCode::NOT_FOUND => ("no such API route; see /api/docs".to_string(), "not_found"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("this method is not allowed on this route; see /api/docs".to_string(), "method_not_allowed")
        }
        s => (s.canonical_reason().unwrap_or("error").to_lowercase(), "http_error"),
    };
    let mut out = (status, axum::Json(ErrorBody { detail, code, problems: None })).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}
