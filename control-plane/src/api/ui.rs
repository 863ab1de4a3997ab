//! Serves the single-page UI from `QUARRY_UI_DIR`: files as they are, any
//! other path as `index.html` so client-side routes survive a reload.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::app::AppState;
use crate::error::ApiError;

const NOT_BUILT: &str = "<!DOCTYPE html><html><head><title>Quarry</title></head><body>\
<h1>Quarry</h1><p>The web UI has not been built (run <code>npm run build</code> in <code>ui/</code>). \
The API is available: <a href=\"/api/docs\">Swagger UI</a> · <a href=\"/api/redoc\">ReDoc</a>.</p></body></html>";

/// The fallback handler: unknown `/api` paths are 404 JSON, the rest is the UI.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    if req.uri().path().starts_with("/api/") || req.uri().path() == "/api" {
        return ApiError::NotFound("no such API route; see /api/docs".into()).into_response();
    }
    let dir = &state.config.ui_dir;
    let index = dir.join("index.html");
    if !index.exists() {
        return (StatusCode::OK, Html(NOT_BUILT)).into_response();
    }
    match ServeDir::new(dir).fallback(ServeFile::new(index)).oneshot(req).await {
        Ok(r) => r.into_response(),
        Err(e) => ApiError::internal(anyhow::anyhow!("serving the UI failed: {e}")).into_response(),
    }
}
