//! What runs beside the main listener for TLS: the plain-HTTP challenge
//! listener (when configured) and the renewal task.

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use tokio::net::TcpListener;

use crate::app::AppState;

/// Binds the challenge listener (if `QUARRY_HTTP_CHALLENGE_BIND` is set) and
/// starts the renewal loop. Fails when the challenge address cannot be bound.
pub async fn start_side_tasks(state: &AppState) -> anyhow::Result<()> {
    let cfg = &state.config.tls;
    if let Some(addr) = cfg.challenge_bind {
        let listener = TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let public = state.config.public_url.clone();
        let app: Router = crate::api::ssl_challenge_router()
            .fallback(move |uri: Uri| async move { redirect(&public, &uri) })
            .with_state(state.clone());
        tracing::info!(%addr, "Answering ACME HTTP-01 challenges.");
        tokio::spawn(async move {
            let limits = mcp_runtime::serving::Limits::default();
            if let Err(e) = mcp_runtime::serving::serve(listener, app, None, limits, std::future::pending()).await {
                tracing::error!(error = %e, "The challenge listener stopped.");
            }
        });
    }
    state.acme.clone().spawn_renewal(cfg.clone());
    Ok(())
}

/// Everything but challenges goes to the public HTTPS URL (when it is one).
fn redirect(public_url: &str, uri: &Uri) -> Response {
    if !public_url.starts_with("https://") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    Redirect::permanent(&format!("{}{path}", public_url.trim_end_matches('/'))).into_response()
}
