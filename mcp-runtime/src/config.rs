//! Runtime configuration: flags and `QUARRY_RUNTIME_*` environment variables,
//! read through an injectable [`EnvSource`] so tests never touch the process
//! environment.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where configuration values come from.
pub trait EnvSource {
    /// The value of `key`, if set.
    fn get(&self, key: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

/// A configuration value that was present but unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value failed to parse.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The flag or variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// Neither a manifest file nor a control plane was given.
    #[error("give --manifest FILE (or QUARRY_RUNTIME_MANIFEST) or --control-plane URL")]
    NoSource,
}

/// A secret string that never prints.
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the manifest comes from.
#[derive(Debug, Clone)]
pub enum ManifestSource {
    /// A local file, re-read on SIGHUP.
    File(PathBuf),
    /// Pull mode: fetch releases from the control plane (the deploy issue wires it).
    ControlPlane {
        /// Base URL of the control plane.
        url: String,
        /// `QUARRY_RUNTIME_TOKEN`, sent as a bearer token.
        token: Secret,
    },
}

/// Everything the runtime needs to start.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// `QUARRY_RUNTIME_BIND`, default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `--manifest` / `QUARRY_RUNTIME_MANIFEST` or `--control-plane`.
    pub source: ManifestSource,
    /// `QUARRY_RUNTIME_KEY`: base64 key(s) opening the manifest's secrets and hashing tokens.
    pub runtime_key: Option<Secret>,
    /// `QUARRY_RUNTIME_ALLOWED_HOSTS`: host names accepted in `Host` on every
    /// route (comma list; default `localhost`; IP literals always pass; `*`
    /// disables the check).
    pub allowed_hosts: Vec<String>,
    /// `QUARRY_RUNTIME_ALLOWED_ORIGINS`: browser origins accepted (comma list; empty = any).
    pub allowed_origins: Vec<String>,
    /// `QUARRY_RUNTIME_SESSION_IDLE_SECONDS`: idle MCP sessions close after this (default 300).
    pub session_idle: Duration,
    /// `QUARRY_RUNTIME_MAX_SESSIONS`: live MCP sessions at most; a new one
    /// closes the least recently used (1–1000000, default 10000).
    pub max_sessions: usize,
    /// `QUARRY_RUNTIME_SESSIONS`: `on` (default) gives clients of protocol
    /// revisions before 2026-07-28 a session (`Mcp-Session-Id`) held in this
    /// process; `off` serves every request on its own, so any replica behind a
    /// load balancer answers any request, without affinity. Without sessions a
    /// client hears of a new release at its next `tools/list` rather than by a
    /// `list_changed` notification. 2026-07-28 requests never have sessions.
    pub sessions: bool,
    /// `QUARRY_RUNTIME_HEADER_READ_TIMEOUT_SECONDS`, `QUARRY_RUNTIME_IDLE_TIMEOUT_SECONDS`,
    /// `QUARRY_RUNTIME_MAX_CONNECTIONS`: connection bounds (see [`crate::serving::Limits`]).
    pub limits: crate::serving::Limits,
    /// `QUARRY_RUNTIME_TLS_CERT` + `QUARRY_RUNTIME_TLS_KEY`: serve HTTPS with
    /// these PEM files (re-read when they change); unset: plain HTTP.
    pub tls: Option<crate::tls::TlsFiles>,
    /// `QUARRY_RUNTIME_PULL_CA_FILE`: extra PEM root(s) trusted when pulling
    /// over HTTPS; with a loopback address the host name is not checked.
    pub pull_ca_file: Option<PathBuf>,
    /// `QUARRY_RUNTIME_INSTANCE`: this instance's name in heartbeats (pull mode;
    /// default `HOSTNAME`, e.g. the pod name, else a random id).
    pub instance_id: String,
    /// `QUARRY_RUNTIME_DELIVERY_SECONDS`: seconds between deliveries of metrics
    /// and the request log to the control plane (pull mode; 1–300, default 10).
    pub delivery_interval: Duration,
    /// `QUARRY_RUNTIME_WORKERS`: threads serving requests (1–1024; default the
    /// CPUs this process may use, cgroup quota included).
    pub workers: usize,
    /// `QUARRY_RUNTIME_SHUTDOWN_GRACE`: seconds calls in flight may take to
    /// finish after SIGTERM before they are abandoned (0–600, default 5).
    pub shutdown_grace: Duration,
    /// `QUARRY_RUNTIME_READY_INTERVAL_SECONDS`: how long a `/readyz` answer is
    /// reused, so each connection is probed at most once per interval (1–300; default 5).
    pub ready_interval: Duration,
    /// `QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1`: also serve the MCP conformance
    /// suite's fixture tools, resources and prompts (tests only).
    pub conformance_fixtures: bool,
}

impl RuntimeConfig {
    /// Builds the config from command-line `args` (after the program name) and `env`.
    pub fn load(args: &[String], env: &dyn EnvSource) -> Result<RuntimeConfig, ConfigError> {
        let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
        let bind_text = env.get("QUARRY_RUNTIME_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text
            .parse()
            .map_err(|e| ConfigError::Invalid { name: "QUARRY_RUNTIME_BIND", reason: format!("{e}") })?;
        let source = match (flag("--manifest").or_else(|| env.get("QUARRY_RUNTIME_MANIFEST")), flag("--control-plane"))
        {
            (Some(path), _) => ManifestSource::File(PathBuf::from(path)),
            (None, Some(url)) => ManifestSource::ControlPlane {
                url,
                token: Secret(secret(env, "QUARRY_RUNTIME_TOKEN")?.unwrap_or_default()),
            },
            (None, None) => return Err(ConfigError::NoSource),
        };
        let list = |key: &str| -> Option<Vec<String>> {
            env.get(key).map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        };
        let idle = match env.get("QUARRY_RUNTIME_SESSION_IDLE_SECONDS") {
            None => 300,
            Some(v) => v.parse::<u64>().ok().filter(|s| (1..=86_400).contains(s)).ok_or(ConfigError::Invalid {
                name: "QUARRY_RUNTIME_SESSION_IDLE_SECONDS",
                reason: "must be 1–86400".into(),
            })?,
        };
        let workers = match env.get("QUARRY_RUNTIME_WORKERS") {
            None => std::thread::available_parallelism().map_or(1, usize::from),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or(ConfigError::Invalid { name: "QUARRY_RUNTIME_WORKERS", reason: "must be 1–1024".into() })?,
        };
        let shutdown_grace = match env.get("QUARRY_RUNTIME_SHUTDOWN_GRACE") {
            None => crate::drain::DEFAULT_GRACE,
            Some(v) => {
                v.parse::<u64>().ok().filter(|s| *s <= 600).map(Duration::from_secs).ok_or(ConfigError::Invalid {
                    name: "QUARRY_RUNTIME_SHUTDOWN_GRACE",
                    reason: "must be 0–600 (seconds)".into(),
                })?
            }
        };
        let ready_interval = match env.get("QUARRY_RUNTIME_READY_INTERVAL_SECONDS") {
            None => crate::ready::DEFAULT_INTERVAL,
            Some(v) => Duration::from_secs(v.parse::<u64>().ok().filter(|s| (1..=300).contains(s)).ok_or(
                ConfigError::Invalid {
                    name: "QUARRY_RUNTIME_READY_INTERVAL_SECONDS", reason: "must be 1–300".into()
                },
            )?),
        };
        let delivery = match env.get("QUARRY_RUNTIME_DELIVERY_SECONDS") {
            None => crate::delivery::DEFAULT_INTERVAL,
            Some(v) => v.parse::<u64>().ok().filter(|s| (1..=300).contains(s)).map(Duration::from_secs).ok_or(
                ConfigError::Invalid { name: "QUARRY_RUNTIME_DELIVERY_SECONDS", reason: "must be 1–300".into() },
            )?,
        };
        let max_sessions = match env.get("QUARRY_RUNTIME_MAX_SESSIONS") {
            None => 10_000,
            Some(v) => v.parse::<usize>().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or(ConfigError::Invalid {
                name: "QUARRY_RUNTIME_MAX_SESSIONS",
                reason: "must be 1–1000000".into(),
            })?,
        };
        let limits = crate::serving::Limits::from_source("QUARRY_RUNTIME_", |k| env.get(k))
            .map_err(|reason| ConfigError::Invalid { name: "connection limits", reason })?;
        Ok(RuntimeConfig {
            bind,
            shutdown_grace,
            ready_interval,
            delivery_interval: delivery,
            max_sessions,
            sessions: match env.get("QUARRY_RUNTIME_SESSIONS").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
                None | Some("on") => true,
                Some("off") => false,
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "QUARRY_RUNTIME_SESSIONS",
                        reason: "must be on or off".into(),
                    });
                }
            },
            limits,
            workers,
            source,
            runtime_key: secret(env, "QUARRY_RUNTIME_KEY")?.map(Secret),
            tls: crate::tls::TlsFiles::from_pair(
                env.get("QUARRY_RUNTIME_TLS_CERT"),
                env.get("QUARRY_RUNTIME_TLS_KEY"),
                "QUARRY_RUNTIME_TLS_CERT and QUARRY_RUNTIME_TLS_KEY",
            )
            .map_err(|reason| ConfigError::Invalid { name: "QUARRY_RUNTIME_TLS_CERT", reason })?,
            pull_ca_file: env.get("QUARRY_RUNTIME_PULL_CA_FILE").map(PathBuf::from),
            instance_id: env
                .get("QUARRY_RUNTIME_INSTANCE")
                .or_else(|| env.get("HOSTNAME"))
                .unwrap_or_else(|| format!("runtime-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])),
            allowed_hosts: list("QUARRY_RUNTIME_ALLOWED_HOSTS").unwrap_or_else(|| vec!["localhost".into()]),
            allowed_origins: list("QUARRY_RUNTIME_ALLOWED_ORIGINS").unwrap_or_default(),
            session_idle: Duration::from_secs(idle),
            conformance_fixtures: env.get("QUARRY_RUNTIME_CONFORMANCE_FIXTURES").is_some_and(|v| v == "1"),
        })
    }
}

/// A secret from `NAME`, or read from the file named by `NAME_FILE` (so
/// containers need not carry secrets in their environment).
fn secret(env: &dyn EnvSource, name: &'static str) -> Result<Option<String>, ConfigError> {
    if let Some(v) = env.get(name) {
        return Ok(Some(v));
    }
    let Some(path) = env.get(&format!("{name}_FILE")) else { return Ok(None) };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| ConfigError::Invalid { name, reason: format!("cannot read {name}_FILE {path}: {e}") })?;
    Ok(Some(text.trim().to_string()).filter(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_apply_and_the_manifest_flag_wins_over_the_variable() {
        let args = vec!["--manifest".to_string(), "a.json".to_string()];
        let c = RuntimeConfig::load(&args, &env(&[("QUARRY_RUNTIME_MANIFEST", "b.json")])).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert!(matches!(c.source, ManifestSource::File(p) if p.ends_with("a.json")));
        assert_eq!(c.session_idle, Duration::from_secs(300));
        assert!(c.sessions, "sessions are on by default");
        let off = RuntimeConfig::load(&args, &env(&[("QUARRY_RUNTIME_SESSIONS", "OFF")])).unwrap();
        assert!(!off.sessions);
        let bad = RuntimeConfig::load(&args, &env(&[("QUARRY_RUNTIME_SESSIONS", "sticky")]));
        assert!(bad.unwrap_err().to_string().contains("QUARRY_RUNTIME_SESSIONS"));
        assert_eq!(c.shutdown_grace, Duration::from_secs(5));
        assert_eq!(c.workers, std::thread::available_parallelism().map_or(1, usize::from));
        let one = RuntimeConfig::load(&args, &env(&[("QUARRY_RUNTIME_WORKERS", "1")])).unwrap();
        assert_eq!(one.workers, 1);
    }

    #[test]
    fn bad_values_and_a_missing_source_are_reported() {
        assert!(matches!(RuntimeConfig::load(&[], &env(&[])), Err(ConfigError::NoSource)));
        let e = RuntimeConfig::load(&[], &env(&[("QUARRY_RUNTIME_MANIFEST", "m"), ("QUARRY_RUNTIME_BIND", "x")]));
        assert!(e.unwrap_err().to_string().contains("QUARRY_RUNTIME_BIND"));
        let e = RuntimeConfig::load(
            &[],
            &env(&[("QUARRY_RUNTIME_MANIFEST", "m"), ("QUARRY_RUNTIME_SHUTDOWN_GRACE", "forever")]),
        );
        assert!(e.unwrap_err().to_string().contains("QUARRY_RUNTIME_SHUTDOWN_GRACE"));
        for workers in ["0", "many"] {
            let e = RuntimeConfig::load(
                &[],
                &env(&[("QUARRY_RUNTIME_MANIFEST", "m"), ("QUARRY_RUNTIME_WORKERS", workers)]),
            );
            assert!(e.unwrap_err().to_string().contains("QUARRY_RUNTIME_WORKERS"), "{workers}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let c =
            RuntimeConfig::load(&[], &env(&[("QUARRY_RUNTIME_MANIFEST", "m"), ("QUARRY_RUNTIME_KEY", "k3y")])).unwrap();
        assert!(!format!("{c:?}").contains("k3y"));
    }
}
