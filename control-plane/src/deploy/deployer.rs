//! The deployer seam: every target runs runtimes that pull releases from the
//! control plane, so a deployer only manages their lifecycle — start them
//! with the launch settings, restart them when those change, stop them, and
//! say how they are.

use std::net::SocketAddr;

use futures::future::BoxFuture;
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Secret;

/// Which deployer runs the runtimes (`QUARRY_DEPLOY_TARGET`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A supervised `quarry-runtime` child process (default).
    Local,
    /// A container managed through the Docker Engine API.
    Docker,
    /// Runtimes started elsewhere (Kubernetes, compose) that pull; deploy only publishes.
    Kubernetes,
}

impl Target {
    /// Parses `local`, `docker` or `kubernetes`.
    pub fn parse(s: &str) -> Result<Target, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Target::Local),
            "docker" => Ok(Target::Docker),
            "kubernetes" | "k8s" => Ok(Target::Kubernetes),
            other => Err(format!("unknown deploy target {other:?}; use local, docker or kubernetes")),
        }
    }
}

/// How a runtime is started: everything that needs a restart to change.
#[derive(Clone, Debug, PartialEq)]
pub struct Launch {
    /// Where the runtime pulls from (the control plane over loopback).
    pub control_plane_url: String,
    /// `QUARRY_RUNTIME_TOKEN`.
    pub token: Secret,
    /// `QUARRY_RUNTIME_KEY`.
    pub key: Secret,
    /// `QUARRY_RUNTIME_BIND`.
    pub bind: SocketAddr,
    /// `QUARRY_RUNTIME_ALLOWED_HOSTS` (empty: the runtime's default).
    pub allowed_hosts: Vec<String>,
    /// `QUARRY_RUNTIME_ALLOWED_ORIGINS`.
    pub allowed_origins: Vec<String>,
    /// `QUARRY_LOG`.
    pub log_filter: String,
    /// `QUARRY_RUNTIME_TLS_CERT` + `QUARRY_RUNTIME_TLS_KEY` (files on this host).
    pub tls: Option<mcp_runtime::tls::TlsFiles>,
    /// `QUARRY_RUNTIME_PULL_CA_FILE` (a file on this host).
    pub pull_ca: Option<std::path::PathBuf>,
    /// The control plane's trace settings the runtime inherits (`OTEL_*`, see `deploy::config`).
    pub traces: Vec<(&'static str, String)>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Launch {
    /// The runtime's non-secret environment.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("QUARRY_RUNTIME_BIND", self.bind.to_string()), ("QUARRY_LOG", self.log_filter.clone())];
        if !self.allowed_hosts.is_empty() {
            env.push(("QUARRY_RUNTIME_ALLOWED_HOSTS", self.allowed_hosts.join(",")));
        }
        if !self.allowed_origins.is_empty() {
            env.push(("QUARRY_RUNTIME_ALLOWED_ORIGINS", self.allowed_origins.join(",")));
        }
        env.extend(self.traces.iter().cloned());
        env
    }
}

/// How the runtime process or container is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProcessState {
    /// Not running, on purpose.
    Stopped,
    /// Started, not yet known to be up.
    Starting,
    /// Up.
    Running {
        /// Process id (local) or container id (docker).
        id: String,
        /// Restarts since the last deploy.
        restarts: u32,
    },
    /// Down and being brought back.
    Restarting {
        /// Why it went down.
        message: String,
        /// Restarts since the last deploy.
        restarts: u32,
    },
    /// Cannot be started; needs the admin.
    Failed {
        /// Why.
        message: String,
    },
    /// Not managed by this control plane (kubernetes target).
    External,
}

/// Why a deployer could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The target's backend (Docker Engine, the runtime binary) refused or is missing.
    #[error("{0}")]
    Backend(String),
    /// The store refused or failed (a deploy that cannot be built, a release that does not exist).
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
}

/// Runs runtimes for one target.
pub trait Deployer: Send + Sync {
    /// Which target this is.
    fn target(&self) -> Target;
    /// Starts the runtime if it is not running, or restarts it when `launch` changed.
    fn ensure_running(&self, launch: Launch) -> BoxFuture<'_, Result<(), DeployError>>;
    /// Stops the runtime; returns once it is gone.
    fn stop(&self) -> BoxFuture<'_, Result<(), DeployError>>;
    /// The current state.
    fn state(&self) -> BoxFuture<'_, ProcessState>;
}

/// The kubernetes target: runtimes are started by Kubernetes (or compose) and
/// pull; deploy publishes and status aggregates their heartbeats.
pub struct External;

impl Deployer for External {
    fn target(&self) -> Target {
        Target::Kubernetes
    }
    fn ensure_running(&self, _launch: Launch) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async { Ok(()) })
    }
    fn stop(&self) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async { Ok(()) })
    }
    fn state(&self) -> BoxFuture<'_, ProcessState> {
        Box::pin(async { ProcessState::External })
    }
}
