//! The HTTP application: `/mcp` (rmcp streamable HTTP), `/healthz`, `/readyz`,
//! `/metrics`, `/internal/stats` and, in oauth mode, the protected-resource
//! metadata under `/.well-known/oauth-protected-resource`. `Application::build` is what `main` and
//! the tests both call.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router, middleware};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use shared_model::Problems;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::auth::protected_resource_metadata;
use crate::config::{ManifestSource, RuntimeConfig};
use crate::edge::Edge;
use crate::exec::ExecutorFactory;
use crate::metrics::Metrics;
use crate::release::{LoadContext, Release};
use crate::reload::{read_manifest, spawn_sighup_reload};
use crate::server::direct::Direct;
use crate::server::{FixturesServer, QuarryServer, Shared};
use crate::serving::headers::{NO_PAGES_CSP, SecurityHeaders};
use crate::serving::hosts::AllowedHosts;
use crate::sessions::CappedSessions;

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The manifest is unreadable or invalid; every problem is listed.
    #[error("the manifest was refused: {0}")]
    Manifest(Problems),
    /// The listen address is unusable.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Pull mode could not be set up.
    #[error("pull mode: {0}")]
    Pull(#[from] crate::pull::PullError),
}

/// A built, bound, not yet serving runtime.
pub struct Application {
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    tls: Option<crate::tls::TlsFiles>,
    shutdown_grace: std::time::Duration,
    limits: crate::serving::Limits,
}

impl Application {
    /// Loads the manifest, binds the port and builds the router.
    pub async fn build(config: RuntimeConfig, factory: Arc<dyn ExecutorFactory>) -> Result<Application, StartError> {
        let metrics = Metrics::new();
        let key = config.runtime_key.as_ref().map(|s| s.0.clone());
        let (first, follow) = match &config.source {
            ManifestSource::File(path) => {
                let manifest = read_manifest(path).map_err(StartError::Manifest)?;
                let cx = LoadContext {
                    runtime_key: key.as_deref(),
                    metrics: &metrics,
                    factory: factory.as_ref(),
                    previous: None,
                };
                (Release::load(manifest, cx).map_err(StartError::Manifest)?, None)
            }
            ManifestSource::ControlPlane { url, token } => {
                let client =
                    crate::pull::PullClient::new(url, &token.0, &config.instance_id, config.pull_ca_file.as_deref())?;
                let (first, from) =
                    crate::pull::first_release(&client, key.as_deref(), &metrics, factory.as_ref()).await;
                (first, Some((client, from)))
            }
        };
        let shared = Arc::new(Shared::new(first, metrics, factory, key).with_ready_interval(config.ready_interval));
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind { addr: config.bind.to_string(), source })?;
        let cancel = CancellationToken::new();
        let router = router(shared.clone(), &config, cancel.clone());
        match (follow, &config.source) {
            (Some((client, from)), _) => {
                let access_etag = crate::pull::first_access(&shared, &client).await;
                crate::pull::spawn_follow_access(shared.clone(), client.clone(), access_etag);
                let instance = crate::delivery::instance_id(&config.instance_id);
                crate::delivery::spawn(shared.clone(), client.clone(), instance, config.delivery_interval);
                crate::pull::spawn_follow(shared.clone(), client, from)
            }
            (None, ManifestSource::File(path)) => spawn_sighup_reload(shared.clone(), path.clone()),
            (None, _) => {}
        }
        Ok(Application {
            listener,
            router,
            shared,
            cancel,
            tls: config.tls.clone(),
            shutdown_grace: config.shutdown_grace,
            limits: config.limits.clone(),
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The shared state, for tests and reloads.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }

    /// Serves until SIGTERM or SIGINT, then drains (see [`crate::drain`]).
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(crate::drain::signal()).await
    }

    /// Serves until `stop` resolves; then stops accepting, lets calls in
    /// flight finish within the shutdown grace, ends every session and returns.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let stopping = CancellationToken::new();
        let (sessions, in_flight, grace) = (self.cancel.clone(), self.shared.in_flight.clone(), self.shutdown_grace);
        let s = stopping.clone();
        tokio::spawn(async move {
            stop.await;
            s.cancel();
            crate::drain::drain(&in_flight, grace, &sessions).await;
        });
        // Connections that outlive their sessions being cancelled are not waited for.
        let sessions = self.cancel.clone();
        let deadline = async move {
            sessions.cancelled().await;
            tokio::time::sleep(crate::drain::CLOSE_AFTER_CANCEL).await;
        };
        let serve = async move {
            let tls = match self.tls {
                Some(files) => Some(crate::tls::load_and_watch(files).await?),
                None => None,
            };
            crate::serving::serve(self.listener, self.router, tls, self.limits, stopping.cancelled_owned()).await
        };
        tokio::select! {
            served = serve => served,
            () = deadline => {
                tracing::warn!("Connections still open after the sessions ended; exiting anyway.");
                Ok(())
            }
        }
    }
}

/// The runtime's routes over `shared`.
pub fn router(shared: Arc<Shared>, config: &RuntimeConfig, cancel: CancellationToken) -> Router {
    // A single-response request without a session (protocol 2026-07-28, or
    // any stateless request) is answered with one `application/json` body;
    // rmcp falls back to SSE when the handler sends anything before its
    // result (progress, logs, input requests) and for session requests.
    // The Host check covers the whole listener (below), so rmcp's own, for /mcp alone, is off.
    let mut http = StreamableHttpServerConfig::default()
        .with_cancellation_token(cancel)
        .with_sse_keep_alive(None)
        .with_json_response(true)
        .with_legacy_session_mode(config.sessions)
        .disable_allowed_hosts();
    if !config.allowed_origins.is_empty() {
        http = http.with_allowed_origins(config.allowed_origins.clone());
    }
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = None;
    let sessions = CappedSessions::new(sessions, config.max_sessions, config.session_idle);
    let direct = Direct::new(shared.clone(), sessions.clone(), config.conformance_fixtures);
    let handler = QuarryServer::new(shared.clone());
    let mcp = if config.conformance_fixtures {
        let handler = FixturesServer::new(handler);
        Router::new().nest_service("/mcp", StreamableHttpService::new(move || Ok(handler.clone()), sessions, http))
    } else {
        Router::new().nest_service("/mcp", StreamableHttpService::new(move || Ok(handler.clone()), sessions, http))
    };
    let edge = Arc::new(Edge {
        hosts: AllowedHosts::parse(&config.allowed_hosts, "QUARRY_RUNTIME_ALLOWED_HOSTS"),
        headers: SecurityHeaders::new(NO_PAGES_CSP, config.tls.is_some()),
        shared: shared.clone(),
        direct,
    });
    // Which routes are public, and what `/mcp` gets besides rmcp, is the edge's (see `crate::edge`).
    mcp.route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/.well-known/oauth-protected-resource", get(protected_resource_metadata))
        .route("/.well-known/oauth-protected-resource/{*resource}", get(protected_resource_metadata))
        .route("/metrics", get(metrics))
        .route("/internal/stats", get(stats))
        .route("/internal/ready", get(ready_detail))
        .with_state(shared)
        .layer(middleware::from_fn_with_state(edge, crate::edge::edge))
}

/// Unauthenticated: the cached readiness, with no connection detail.
async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    let r = readiness(&shared).await;
    if r.ready() {
        Json(json!({"status": "ready", "release": r.release})).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "no_release", "release": 0}))).into_response()
    }
}

/// Behind auth: the same cached readiness, with each connection's health.
async fn ready_detail(State(shared): State<Arc<Shared>>) -> Response {
    let r = readiness(&shared).await;
    let connections: serde_json::Map<String, Value> = r
        .connections
        .iter()
        .map(|(id, h)| {
            let v = match h {
                Ok(()) => json!({"up": true}),
                Err(e) => json!({"up": false, "detail": e}),
            };
            (id.clone(), v)
        })
        .collect();
    let status = if r.ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = json!({"status": if r.ready() { "ready" } else { "no_release" }, "release": r.release,
        "connections": connections});
    if let Some(problems) = r.problems() {
        body["detail"] = json!(problems);
    }
    (status, Json(body)).into_response()
}

async fn readiness(shared: &Shared) -> crate::ready::Readiness {
    let release = shared.current();
    shared.ready.get(release.manifest.release, release.executor.ping()).await
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let release = shared.current();
    let mut body = shared.metrics.render_prometheus(release.manifest.release, &release.executor.pools());
    body.push_str(&format!(
        "# HELP quarry_ready_probes_total Readiness probes run (each pings every connection once).\n\
         # TYPE quarry_ready_probes_total counter\nquarry_ready_probes_total {}\n",
        shared.ready.probes()
    ));
    // The latest probe (the one `/readyz` runs); a scrape never waits on a database.
    let latest = shared.ready.latest().filter(|r| r.release == release.manifest.release);
    crate::metrics::connection_health(&mut body, latest.as_ref().map_or(&[][..], |r| &r.connections));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn stats(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let release = shared.current();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let since = q.get("since").and_then(|s| s.parse().ok()).unwrap_or(now.saturating_sub(3600));
    let header = json!({
        "release": release.manifest.release, "content_hash": release.manifest.content_hash,
        "uptime_seconds": shared.started.elapsed().as_secs(), "now": now,
        "queues": release.manifest.connections.iter().map(|c| json!({"id": c.id, "settings": c.queue})).collect::<Vec<_>>(),
    });
    Json(shared.metrics.stats_json(header, &release.executor.pools(), since)).into_response()
}
