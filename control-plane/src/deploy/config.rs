//! Deploy settings from the environment (read through the same injectable
//! source as the rest of [`crate::config::Config`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, anyhow};

use super::deployer::Target;
use crate::config::Secret;

/// How releases reach runtimes.
#[derive(Clone, Debug)]
pub struct DeployConfig {
    /// `QUARRY_DEPLOY_TARGET`: `local` (default), `docker` or `kubernetes`.
    pub target: Target,
    /// `QUARRY_RUNTIME_TOKEN`: what runtimes present to pull releases (generated into the data dir if unset).
    pub runtime_token: Option<Secret>,
    /// `QUARRY_RUNTIME_KEY`: base64 32-byte key sealing secrets for runtimes (generated if unset).
    pub runtime_key: Option<Secret>,
    /// `QUARRY_RUNTIME_BIN`: the `quarry-runtime` binary for `local` (and the docker image build);
    /// default: next to `quarry`, else on `PATH`.
    pub runtime_bin: Option<PathBuf>,
    /// `QUARRY_RUNTIME_BIND`: where a `local` or `docker` runtime listens (default `127.0.0.1:8080`).
    pub runtime_bind: SocketAddr,
    /// `QUARRY_RUNTIME_PUBLIC_URL`: where AI clients reach the runtimes (the Connect page's URL, before
    /// `/mcp`) when the server settings name no public URL — e.g. an Ingress in front of Kubernetes
    /// replicas. Default: derived from `runtime_bind`.
    pub runtime_public_url: Option<String>,
    /// `QUARRY_RUNTIME_PULL_URL`: the control-plane URL managed runtimes pull from
    /// (default: loopback to `QUARRY_BIND`'s port).
    pub pull_url: Option<String>,
    /// `QUARRY_RUNTIME_TLS_CERT` + `QUARRY_RUNTIME_TLS_KEY`: managed runtimes serve HTTPS with these PEM files.
    pub runtime_tls: Option<mcp_runtime::tls::TlsFiles>,
    /// `QUARRY_RUNTIME_PULL_CA_FILE`: extra PEM root(s) managed runtimes trust when pulling over HTTPS
    /// (when the control plane's certificate is not from a public CA).
    pub pull_ca_file: Option<PathBuf>,
    /// `QUARRY_RUNTIME_IMAGE`: image for `docker` (default: build `quarry-runtime:quarry-local` from the binary).
    pub runtime_image: Option<String>,
    /// `QUARRY_FOLLOW_INTERVAL_MS`: how often the control plane reads the deploy state and the
    /// heartbeats from the store, picking up deploys made through another control plane
    /// (default 1000; 100–60000).
    pub follow_interval: std::time::Duration,
    /// `QUARRY_DOCKER_MEMORY_MB`: memory limit of the runtime container (default 512).
    pub docker_memory_mb: u64,
    /// `QUARRY_DOCKER_CPUS`: CPU limit of the runtime container (default 1.0).
    pub docker_cpus: f64,
    /// `QUARRY_ALLOW_UNAUTHENTICATED_MCP=true`: the operator's form of the
    /// `allow_unauthenticated_network_access` setting (the Helm chart sets it for
    /// `auth: none`): `auth_mode: none` is accepted on runtimes reachable from the network.
    pub allow_unauthenticated_mcp: bool,
    /// The OpenTelemetry variables set here that the runtimes this control
    /// plane starts (local, docker) get too ([`RUNTIME_TRACE_VARS`]), so they
    /// export to the same collector.
    pub runtime_traces: Vec<(&'static str, String)>,
}

/// The trace settings a started runtime inherits. Not `OTEL_SERVICE_NAME` (the
/// runtime names itself `quarry-runtime`) and not `OTEL_EXPORTER_OTLP_HEADERS`,
/// which may hold a backend's API key: a runtime's environment is visible to
/// whoever can inspect its container, so authenticate at a collector instead.
pub const RUNTIME_TRACE_VARS: [&str; 11] = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
    "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_QUEUE_SIZE",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_EXPORT_TIMEOUT",
];

impl DeployConfig {
    /// Reads the deploy variables through `var` (which already drops empty values).
    pub fn from_source(var: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<DeployConfig> {
        let target =
            var("QUARRY_DEPLOY_TARGET").map_or(Ok(Target::Local), |t| Target::parse(&t)).map_err(|e| anyhow!(e))?;
        let runtime_bind = var("QUARRY_RUNTIME_BIND")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .context("QUARRY_RUNTIME_BIND must be an address like 127.0.0.1:8080")?;
        let number = |k: &str, default: f64| -> anyhow::Result<f64> {
            var(k).map_or(Ok(default), |v| {
                v.parse::<f64>().ok().filter(|n| *n > 0.0).with_context(|| format!("{k} must be a positive number"))
            })
        };
        Ok(DeployConfig {
            target,
            runtime_token: var("QUARRY_RUNTIME_TOKEN").map(Secret),
            runtime_key: var("QUARRY_RUNTIME_KEY").map(Secret),
            runtime_bin: var("QUARRY_RUNTIME_BIN").map(PathBuf::from),
            runtime_bind,
            runtime_public_url: var("QUARRY_RUNTIME_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string()),
            pull_url: var("QUARRY_RUNTIME_PULL_URL").map(|u| u.trim_end_matches('/').to_string()),
            runtime_image: var("QUARRY_RUNTIME_IMAGE"),
            runtime_tls: mcp_runtime::tls::TlsFiles::from_pair(
                var("QUARRY_RUNTIME_TLS_CERT"),
                var("QUARRY_RUNTIME_TLS_KEY"),
                "QUARRY_RUNTIME_TLS_CERT and QUARRY_RUNTIME_TLS_KEY",
            )
            .map_err(|e| anyhow!(e))?,
            pull_ca_file: var("QUARRY_RUNTIME_PULL_CA_FILE").map(PathBuf::from),
            follow_interval: std::time::Duration::from_millis(var("QUARRY_FOLLOW_INTERVAL_MS").map_or(
                Ok(1000),
                |v| {
                    v.trim()
                        .parse::<u64>()
                        .ok()
                        .filter(|ms| (100..=60_000).contains(ms))
                        .context("QUARRY_FOLLOW_INTERVAL_MS must be 100–60000")
                },
            )?),
            docker_memory_mb: number("QUARRY_DOCKER_MEMORY_MB", 512.0)? as u64,
            docker_cpus: number("QUARRY_DOCKER_CPUS", 1.0)?,
            allow_unauthenticated_mcp: match var("QUARRY_ALLOW_UNAUTHENTICATED_MCP").as_deref() {
                None | Some("false" | "0") => false,
                Some("true" | "1") => true,
                Some(_) => anyhow::bail!("QUARRY_ALLOW_UNAUTHENTICATED_MCP must be true or false"),
            },
            runtime_traces: RUNTIME_TRACE_VARS.iter().filter_map(|&k| var(k).map(|v| (k, v))).collect(),
        })
    }

    /// The base URL of the runtimes as AI clients should use it:
    /// `QUARRY_RUNTIME_PUBLIC_URL`, else the runtime's bind address (loopback
    /// when it binds every address), `https` when runtimes serve TLS.
    pub fn runtime_url(&self) -> String {
        if let Some(url) = &self.runtime_public_url {
            return url.clone();
        }
        let ip = self.runtime_bind.ip();
        let host = if ip.is_unspecified() {
            "127.0.0.1".to_string()
        } else if ip.is_ipv6() {
            format!("[{ip}]")
        } else {
            ip.to_string()
        };
        let scheme = if self.runtime_tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{host}:{}", self.runtime_bind.port())
    }

    /// The runtime binary: configured, next to the running executable, or on `PATH`.
    pub fn runtime_binary(&self) -> PathBuf {
        if let Some(b) = &self.runtime_bin {
            return b.clone();
        }
        let sibling = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join("quarry-runtime")));
        sibling.filter(|p| p.exists()).unwrap_or_else(|| PathBuf::from("quarry-runtime"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let none = |_: &str| None;
        let c = DeployConfig::from_source(&none).unwrap();
        assert_eq!(c.target, Target::Local);
        assert_eq!(c.runtime_bind.to_string(), "127.0.0.1:8080");
        let bad = |k: &str| (k == "QUARRY_DEPLOY_TARGET").then(|| "nomad".to_string());
        assert!(DeployConfig::from_source(&bad).unwrap_err().to_string().contains("nomad"));
    }

    #[test]
    fn the_runtime_url_is_the_configured_public_one_or_the_bind_address() {
        let all = |k: &str| (k == "QUARRY_RUNTIME_BIND").then(|| "0.0.0.0:9090".to_string());
        assert_eq!(DeployConfig::from_source(&all).unwrap().runtime_url(), "http://127.0.0.1:9090");
        let v6 = |k: &str| (k == "QUARRY_RUNTIME_BIND").then(|| "[::1]:8080".to_string());
        assert_eq!(DeployConfig::from_source(&v6).unwrap().runtime_url(), "http://[::1]:8080");
        let public = |k: &str| (k == "QUARRY_RUNTIME_PUBLIC_URL").then(|| "https://mcp.example.com/".to_string());
        assert_eq!(DeployConfig::from_source(&public).unwrap().runtime_url(), "https://mcp.example.com");
    }

    #[test]
    fn started_runtimes_inherit_the_trace_settings_but_not_the_service_name_or_the_headers() {
        let env = |k: &str| match k {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => Some("http://127.0.0.1:4318".to_string()),
            "OTEL_TRACES_SAMPLER_ARG" => Some("0.5".to_string()),
            "OTEL_SERVICE_NAME" => Some("quarry-eu".to_string()),
            "OTEL_EXPORTER_OTLP_HEADERS" => Some("x-api-key=secret".to_string()),
            _ => None,
        };
        let c = DeployConfig::from_source(&env).unwrap();
        assert_eq!(
            c.runtime_traces,
            [
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318".to_string()),
                ("OTEL_TRACES_SAMPLER_ARG", "0.5".to_string())
            ]
        );
        assert!(DeployConfig::from_source(&|_: &str| None).unwrap().runtime_traces.is_empty());
    }
}
