//! Typed configuration, read from `QUARRY_*` variables through an injectable
//! source so that tests never touch the process environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};

/// Everything the control plane needs to start.
#[derive(Clone, Debug)]
pub struct Config {
    /// HTTP listen address (`QUARRY_BIND`, default `127.0.0.1:3000`).
    pub bind: SocketAddr,
    /// Directory for the SQLite store, generated keys and runtime files (`QUARRY_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// Store URL (`QUARRY_DATABASE_URL`): `sqlite://…` (default, in the data dir) or `postgres://…`.
    pub database_url: String,
    /// Base64 AES-256 keys, comma-separated; the first encrypts (`QUARRY_ENCRYPTION_KEY`; generated if unset).
    pub encryption_key: Option<Secret>,
    /// Session signing secret (`QUARRY_JWT_SECRET`; generated if unset).
    pub jwt_secret: Option<Secret>,
    /// Optional first admin, created at start when no admin exists (`QUARRY_ADMIN_USERNAME` / `QUARRY_ADMIN_PASSWORD`).
    pub bootstrap_admin: Option<(String, Secret)>,
    /// Base URL shown to users (`QUARRY_PUBLIC_URL`, default derived from the bind address).
    pub public_url: String,
    /// Directory of the built UI (`QUARRY_UI_DIR`, default `ui/dist`).
    pub ui_dir: PathBuf,
    /// Deploy target, runtime key and token, runtime address (`QUARRY_DEPLOY_TARGET`, `QUARRY_RUNTIME_*`).
    pub deploy: crate::deploy::DeployConfig,
    /// HTTPS and ACME (`QUARRY_TLS_CERT`, `QUARRY_TLS_KEY`, `QUARRY_ACME_*`, `QUARRY_HTTP_CHALLENGE_BIND`).
    pub tls: crate::tls::TlsConfig,
    /// How long history and audit entries are kept (`QUARRY_HISTORY_RETENTION_DAYS`, default 90;
    /// `QUARRY_HISTORY_MAX_ENTRIES` per entity type, default 10000).
    pub history_retention: crate::model::history::Retention,
    /// How long delivered metrics and request-log records are kept (`QUARRY_METRICS_MINUTE_HOURS`, default 48;
    /// `QUARRY_METRICS_HOUR_DAYS`, default 90; `QUARRY_REQUEST_LOG_DAYS`, default 30).
    pub telemetry: crate::model::telemetry::Retention,
    /// Host names accepted in `Host`: the host of `QUARRY_PUBLIC_URL`, plus `QUARRY_ALLOWED_HOSTS`
    /// (comma list, `*` for any) or by default the host of `QUARRY_RUNTIME_PULL_URL` and
    /// `localhost` on a loopback or wildcard bind. IP literals always pass.
    pub allowed_hosts: mcp_runtime::serving::AllowedHosts,
    /// Proxies whose `X-Forwarded-For` is believed (`QUARRY_TRUSTED_PROXIES`, CIDRs; default none).
    pub trusted_proxies: crate::auth::client_ip::TrustedProxies,
    /// Connection bounds (`QUARRY_HEADER_READ_TIMEOUT_SECONDS`, `QUARRY_IDLE_TIMEOUT_SECONDS`,
    /// `QUARRY_MAX_CONNECTIONS`).
    pub limits: mcp_runtime::serving::Limits,
    /// Agent access (`QUARRY_AGENT_TOKEN_MAX_HOURS`, `QUARRY_AGENT_RATE_PER_MINUTE`).
    pub agent: crate::agent::AgentConfig,
}

/// A string that never prints.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_source(|k| std::env::var(k).ok())
    }

    /// Reads the configuration from `get`, which maps a variable name to its value.
    ///
    /// Every variable may instead name a file with `NAME_FILE` (its contents,
    /// trimmed, are the value), so secrets can be mounted as files rather than
    /// carried in the environment; `NAME` wins when both are set.
    pub fn from_source(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let unreadable = std::cell::RefCell::new(None);
        let var = |k: &str| {
            get(k).filter(|v| !v.trim().is_empty()).or_else(|| {
                let path = get(&format!("{k}_FILE")).filter(|p| !p.trim().is_empty())?;
                match std::fs::read_to_string(path.trim()) {
                    Ok(text) => Some(text.trim().to_string()).filter(|v| !v.is_empty()),
                    Err(e) => {
                        unreadable.borrow_mut().get_or_insert(format!("cannot read {k}_FILE {path}: {e}"));
                        None
                    }
                }
            })
        };
        let config = Self::read(&var);
        if let Some(problem) = unreadable.take() {
            bail!(problem);
        }
        config
    }

    fn read(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let bind: SocketAddr = var("QUARRY_BIND")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("QUARRY_BIND must be an address like 127.0.0.1:3000")?;
        let data_dir = PathBuf::from(var("QUARRY_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("QUARRY_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("quarry.db").display()));
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            bail!("QUARRY_DATABASE_URL must start with sqlite:// or postgres://");
        }
        let bootstrap_admin = match (var("QUARRY_ADMIN_USERNAME"), var("QUARRY_ADMIN_PASSWORD")) {
            (Some(u), Some(p)) => Some((u, Secret(p))),
            (None, None) => None,
            _ => bail!("set both QUARRY_ADMIN_USERNAME and QUARRY_ADMIN_PASSWORD, or neither"),
        };
        let tls = crate::tls::TlsConfig::from_source(var, &data_dir)?;
        let scheme = if tls.files.is_some() { "https" } else { "http" };
        let public_url = var("QUARRY_PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("{scheme}://{bind}"));
        let deploy = crate::deploy::DeployConfig::from_source(var)?;
        let allowed_hosts = match var("QUARRY_ALLOWED_HOSTS") {
            Some(list) => {
                // The public URL names this server by definition, so it is always allowed.
                let list: Vec<String> = list.split(',').map(|h| h.trim().to_string()).collect();
                let mut hosts = mcp_runtime::serving::AllowedHosts::parse(&list, "QUARRY_ALLOWED_HOSTS");
                hosts.add_url_hosts(&[&public_url]);
                hosts
            }
            None => {
                let urls: Vec<&str> = std::iter::once(public_url.as_str()).chain(deploy.pull_url.as_deref()).collect();
                mcp_runtime::serving::AllowedHosts::defaults(bind, &urls, "QUARRY_ALLOWED_HOSTS")
            }
        };
        let trusted_proxies =
            crate::auth::client_ip::TrustedProxies::parse(&var("QUARRY_TRUSTED_PROXIES").unwrap_or_default())
                .map_err(|e| anyhow::anyhow!("QUARRY_TRUSTED_PROXIES: {e}"))?;
        let limits = mcp_runtime::serving::Limits::from_source("QUARRY_", var).map_err(anyhow::Error::msg)?;
        Ok(Self {
            allowed_hosts,
            trusted_proxies,
            limits,
            tls,
            bind,
            data_dir,
            database_url,
            encryption_key: var("QUARRY_ENCRYPTION_KEY").map(Secret),
            jwt_secret: var("QUARRY_JWT_SECRET").map(Secret),
            bootstrap_admin,
            public_url,
            ui_dir: PathBuf::from(var("QUARRY_UI_DIR").unwrap_or_else(|| "ui/dist".into())),
            deploy,
            history_retention: retention(var)?,
            telemetry: telemetry_retention(var)?,
            agent: crate::agent::AgentConfig::from_source(var)?,
        })
    }

    /// Whether session cookies must carry `Secure`: the server speaks TLS
    /// itself, or sits behind a proxy that does (an HTTPS public URL).
    pub fn secure_cookies(&self) -> bool {
        self.tls.files.is_some() || self.public_url.starts_with("https://")
    }
}

/// Sets `into` from the variable `name` when it is set: a whole number in 1–`max`, else an error naming the range.
pub(crate) fn read_bounded(
    var: &impl Fn(&str) -> Option<String>,
    name: &str,
    max: u32,
    into: &mut u32,
) -> anyhow::Result<()> {
    if let Some(v) = var(name) {
        *into = v
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .with_context(|| format!("{name} must be 1–{max}"))?;
    }
    Ok(())
}

fn telemetry_retention(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<crate::model::telemetry::Retention> {
    let mut r = crate::model::telemetry::Retention::default();
    let read = |name: &str, max: u32, into: &mut u32| read_bounded(var, name, max, into);
    read("QUARRY_METRICS_MINUTE_HOURS", 24 * 31, &mut r.minute_hours)?;
    read("QUARRY_METRICS_HOUR_DAYS", 3660, &mut r.hour_days)?;
    read("QUARRY_REQUEST_LOG_DAYS", 3660, &mut r.log_days)?;
    Ok(r)
}

fn retention(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<crate::model::history::Retention> {
    let mut r = crate::model::history::Retention::default();
    if let Some(d) = var("QUARRY_HISTORY_RETENTION_DAYS") {
        r.days = d
            .trim()
            .parse()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .context("QUARRY_HISTORY_RETENTION_DAYS must be 1–36500")?;
    }
    if let Some(n) = var("QUARRY_HISTORY_MAX_ENTRIES") {
        r.max_entries = n
            .trim()
            .parse()
            .ok()
            .filter(|n| *n >= 1)
            .context("QUARRY_HISTORY_MAX_ENTRIES must be a positive integer")?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_source(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_to_sqlite_in_the_data_dir_on_loopback() {
        let c = from(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert!(c.database_url.starts_with("sqlite://./data/quarry.db"));
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        assert!(!c.secure_cookies());
    }

    #[test]
    fn serving_tls_makes_the_public_url_https_and_cookies_secure() {
        let c = from(&[("QUARRY_TLS_CERT", "/x/cert.pem"), ("QUARRY_TLS_KEY", "/x/key.pem")]).unwrap();
        assert_eq!(c.public_url, "https://127.0.0.1:3000");
        assert!(c.secure_cookies());
    }

    #[test]
    fn a_variable_can_be_read_from_the_file_its_file_variable_names() {
        let path = std::env::temp_dir().join(format!("quarry-config-key-{}", std::process::id()));
        std::fs::write(&path, "c2VjcmV0\n").unwrap();
        let key = path.display().to_string();
        let c = from(&[("QUARRY_ENCRYPTION_KEY_FILE", &key), ("QUARRY_RUNTIME_TOKEN_FILE", &key)]).unwrap();
        assert_eq!(c.encryption_key.unwrap().0, "c2VjcmV0");
        assert_eq!(c.deploy.runtime_token.unwrap().0, "c2VjcmV0");
        let direct = from(&[("QUARRY_JWT_SECRET", "inline"), ("QUARRY_JWT_SECRET_FILE", &key)]).unwrap();
        assert_eq!(direct.jwt_secret.unwrap().0, "inline", "the variable itself wins");
        let missing = from(&[("QUARRY_JWT_SECRET_FILE", "/nonexistent/quarry-secret")]).unwrap_err();
        assert!(missing.to_string().contains("QUARRY_JWT_SECRET_FILE"), "{missing}");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn allowed_hosts_default_to_the_public_and_pull_urls_and_can_be_listed() {
        let c = from(&[
            ("QUARRY_BIND", "0.0.0.0:3000"),
            ("QUARRY_PUBLIC_URL", "https://quarry.example.com"),
            ("QUARRY_RUNTIME_PULL_URL", "http://quarry:3000"),
        ])
        .unwrap();
        for host in ["quarry.example.com", "quarry:3000", "localhost:3000", "10.0.0.7:3000"] {
            assert!(c.allowed_hosts.allows(host), "{host}");
        }
        assert!(!c.allowed_hosts.allows("evil.example"));
        let listed = from(&[("QUARRY_ALLOWED_HOSTS", "a.example, b.example:8443")]).unwrap();
        assert!(listed.allowed_hosts.allows("a.example") && !listed.allowed_hosts.allows("localhost"));
        let public =
            from(&[("QUARRY_ALLOWED_HOSTS", "a.example"), ("QUARRY_PUBLIC_URL", "https://q.example")]).unwrap();
        assert!(public.allowed_hosts.allows("q.example"));
        assert!(from(&[("QUARRY_TRUSTED_PROXIES", "10.0.0.0/99")]).is_err());
        assert!(from(&[("QUARRY_MAX_CONNECTIONS", "0")]).is_err());
    }

    #[test]
    fn rejects_half_a_bootstrap_admin_and_bad_urls() {
        assert!(from(&[("QUARRY_ADMIN_USERNAME", "a")]).is_err());
        assert!(from(&[("QUARRY_DATABASE_URL", "mysql://x")]).is_err());
        assert!(from(&[("QUARRY_BIND", "nope")]).is_err());
    }
}
