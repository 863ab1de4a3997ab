//! The OpenAPI document and two viewers, both served from bundled assets so
//! they work without internet access: Swagger UI at `/api/docs`, ReDoc at `/api/redoc`.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::AppState;

const REDOC_JS: &[u8] = include_bytes!("../../assets/redoc/redoc.standalone.js");

const REDOC_HTML: &str = r#"<!DOCTYPE html>
<html><head><title>Quarry API — ReDoc</title><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/api/openapi.json"></redoc>
<script src="/api/redoc/redoc.standalone.js"></script></body></html>"#;

/// Routes for `/api/openapi.json`, `/api/docs` and `/api/redoc`.
pub fn router(openapi: utoipa::openapi::OpenApi) -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .route("/api/redoc", get(|| async { Html(REDOC_HTML) }))
        .route(
            "/api/redoc/redoc.standalone.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript"), (header::CACHE_CONTROL, "public, max-age=86400")],
                    REDOC_JS,
                )
                    .into_response()
            }),
        )
}
