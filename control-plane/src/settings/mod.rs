//! Server settings: what every release carries besides the entities (name,
//! instructions, auth, default limits, global variables) and how the deployers run the runtime
//! (allowed hosts and origins, log level); and the MCP bearer tokens
//! ([`tokens`]). Stored as one row, created with defaults (`storage::settings`).

pub mod oauth;
pub mod tokens;

pub use oauth::OAuthConfig;
pub use tokens::StoredToken;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::Problems;
use shared_model::manifest::{ExactNumerics, ResultLimits};
use shared_model::vars::{VarValue, check_vars};
use utoipa::ToSchema;

/// How MCP clients authenticate to the runtime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// Anyone who can reach the runtime may call it. Refused when the runtime
    /// is reachable from the network unless `allow_unauthenticated_network_access` is set.
    None,
    /// `Authorization: Bearer <token>` with one of the server's tokens (the
    /// default; the first deploy without a token mints one and shows it once).
    #[default]
    Bearer,
    /// OAuth 2.1 access tokens (MCP authorization): the runtime is a resource server that accepts tokens from the
    /// authorization servers in `oauth` (Quarry's own by default), for the public MCP URL, with each entity's scopes.
    Oauth,
}

/// Runtime log verbosity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// The default.
    #[default]
    Info,
    /// Verbose for the runtime's own code; libraries stay at `info`, so
    /// drivers and the MCP layer never log statements or result payloads.
    Debug,
}

impl LogLevel {
    /// The `QUARRY_LOG` filter the runtime is started with.
    pub fn filter(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "info,mcp_runtime=debug,shared_model=debug",
        }
    }
}

/// Editable server settings (`PATCH /server/config` merges over these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Name reported to MCP clients in `initialize` (1–255 characters; default `Quarry`).
    #[serde(default = "default_name")]
    pub server_name: String,
    /// Instructions sent in `initialize`, telling the model how to use the server (≤ 10000 bytes).
    #[serde(default)]
    pub instructions: Option<String>,
    /// Base URL clients reach the runtime at, e.g. `https://mcp.example.com`
    /// (default: `http://` + the runtime's bind address); `/mcp` is appended.
    #[serde(default)]
    pub public_url: Option<String>,
    /// `bearer` (default; a deploy without any token mints one and returns it once), `oauth` (MCP authorization
    /// with access tokens; see `oauth`; needs an https `public_url` unless it is loopback) or `none`.
    #[serde(default)]
    pub auth_mode: AuthMode,
    /// How the runtime checks OAuth access tokens in auth mode `oauth`: trusted issuers, default scope, leeway,
    /// introspection. Kept, unused, in the other modes.
    #[serde(default)]
    pub oauth: OAuthConfig,
    /// Acknowledges that `auth_mode: none` serves MCP without authentication on
    /// an address other than loopback (a non-loopback `QUARRY_RUNTIME_BIND`, or
    /// the `kubernetes` target). Without it, `none` is refused there.
    #[serde(default)]
    pub allow_unauthenticated_network_access: bool,
    /// Browser origins allowed to call `/mcp` (≤ 20; empty = any). Applied when the runtime starts.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// `Host` header values the runtime accepts (≤ 20; empty = loopback names; `*` = any).
    /// Applied when the runtime starts.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Default row, byte and time bounds of every tool and SQL resource.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub default_limits: ResultLimits,
    /// Runtime log level (`error`, `warn`, `info`, `debug`). Applied when the runtime starts.
    #[serde(default)]
    pub log_level: LogLevel,
    /// Whether database error details reach MCP clients (off: a generic message and an error id).
    #[serde(default)]
    pub expose_db_errors: bool,
    /// How 64-bit integers and decimals reach MCP clients: `string_when_unsafe` (default: a JSON string only when a
    /// client reading numbers as doubles would lose digits) or `string` (always a string). Previews use it at once;
    /// deployed tools with the next deploy.
    #[serde(default)]
    pub exact_numerics: ExactNumerics,
    /// Whether runtimes keep a request log (one record per MCP call, sensitive arguments redacted; default on).
    /// Applied with the next deploy.
    #[serde(default = "default_true")]
    pub request_log: bool,
    /// Global variables every transform template sees as `vars` (≤ 100; names `^[a-zA-Z_][a-zA-Z0-9_]{0,63}$`;
    /// values are strings, integers, numbers or booleans). A PATCH replaces the whole set. Previews use them at
    /// once; deployed tools with the next deploy.
    #[serde(default)]
    #[schema(value_type = HashMap<String, VarValue>)]
    #[schemars(with = "std::collections::BTreeMap<String, VarValue>")]
    pub global_variables: Map<String, Value>,
}

fn default_true() -> bool {
    true
}

fn default_name() -> String {
    "Quarry".into()
}

impl Default for ServerSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).unwrap_or_else(|_| unreachable!("all fields have defaults"))
    }
}

fn is_http_url(u: &str) -> bool {
    (u.starts_with("http://") || u.starts_with("https://")) && u.len() <= 2048 && !u.contains(char::is_whitespace)
}

impl ServerSettings {
    /// Checks every field; `Err` lists each problem with its field.
    pub fn validate(&self) -> Result<(), Problems> {
        let mut p = Problems::default();
        if !(1..=255).contains(&self.server_name.trim().chars().count()) {
            p.push("server_name", "must be 1–255 characters");
        }
        if self.instructions.as_ref().is_some_and(|i| i.len() > 10_000) {
            p.push("instructions", "must be at most 10000 bytes");
        }
        if let Some(u) = &self.public_url
            && !is_http_url(u)
        {
            p.push("public_url", "must be an http:// or https:// URL such as https://mcp.example.com");
        }
        for (field, list) in [("allowed_origins", &self.allowed_origins), ("allowed_hosts", &self.allowed_hosts)] {
            if list.len() > 20 {
                p.push(field, "at most 20 entries");
            }
            for (i, v) in list.iter().enumerate() {
                let ok = if field == "allowed_origins" { is_http_url(v) } else { valid_host(v) };
                if !ok || v.len() > 255 || v.contains(',') {
                    p.push(format!("{field}[{i}]"), format!("{v:?} is not a valid entry"));
                }
            }
        }
        let l = &self.default_limits;
        if !(1..=100_000).contains(&l.max_rows) {
            p.push("default_limits.max_rows", "must be 1–100000");
        }
        if !(1024..=16 << 20).contains(&l.max_bytes) {
            p.push("default_limits.max_bytes", "must be 1024–16777216");
        }
        if !(1..=3600).contains(&l.timeout_seconds) {
            p.push("default_limits.timeout_seconds", "must be 1–3600");
        }
        check_vars(&self.global_variables, "global_variables", &mut p);
        self.oauth.check(self.auth_mode == AuthMode::Oauth, &mut p);
        p.into_result()
    }

    /// The base URL clients use (no trailing slash): `public_url`, else
    /// `runtime_url` (where the deploy configuration says runtimes are reached).
    pub fn effective_public_url(&self, runtime_url: &str) -> String {
        self.public_url.as_deref().unwrap_or(runtime_url).trim_end_matches('/').to_string()
    }

    /// The MCP URL clients connect to ([`Self::effective_public_url`] + `/mcp`); in auth mode `oauth` also the
    /// resource (audience) of their tokens.
    pub fn mcp_url(&self, runtime_url: &str) -> String {
        format!("{}/mcp", self.effective_public_url(runtime_url))
    }

    /// Refuses `auth_mode: none` when the runtime is reachable from the
    /// network (`exposed`) and the admin has not acknowledged it.
    pub fn check_exposure(&self, exposed: bool) -> Result<(), Problems> {
        if self.auth_mode == AuthMode::None && exposed && !self.allow_unauthenticated_network_access {
            return Err(Problems::one(
                "auth_mode",
                "`none` would let anyone on the network call the runtime (it does not listen on loopback only); \
                 keep `bearer`, or set allow_unauthenticated_network_access: true to accept that",
            ));
        }
        Ok(())
    }

    /// In auth mode `oauth`, the MCP URL (`public_url`, else `runtime_url`, plus `/mcp`) is the OAuth resource
    /// clients ask tokens for: it must be https, or http on a loopback host.
    pub fn check_oauth_resource(&self, runtime_url: &str) -> Result<(), Problems> {
        let mcp_url = self.mcp_url(runtime_url);
        if self.auth_mode == AuthMode::Oauth && !oauth::reachable_resource(&mcp_url) {
            return Err(Problems::one(
                "public_url",
                format!(
                    "auth mode oauth needs an https:// public URL (http:// only on a loopback host): MCP clients \
                     ask for tokens for {mcp_url}; set public_url to the https address clients reach, e.g. \
                     https://mcp.example.com"
                ),
            ));
        }
        Ok(())
    }
}

fn valid_host(h: &str) -> bool {
    h == "*" || (!h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_each_reported() {
        ServerSettings::default().validate().unwrap();
        let mut s = ServerSettings { server_name: String::new(), ..Default::default() };
        s.public_url = Some("ftp://x".into());
        s.allowed_hosts = vec!["bad host".into()];
        s.default_limits.max_rows = 0;
        s.global_variables = serde_json::json!({"ok": 1, "bad name": 2, "nested": [1]}).as_object().unwrap().clone();
        let Err(p) = s.validate() else { panic!("expected problems") };
        let paths: Vec<_> = p.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "server_name",
                "public_url",
                "allowed_hosts[0]",
                "default_limits.max_rows",
                "global_variables.bad name",
                "global_variables.nested"
            ]
        );
    }

    #[test]
    fn auth_defaults_to_bearer_and_none_on_the_network_needs_an_acknowledgement() {
        assert_eq!(ServerSettings::default().auth_mode, AuthMode::Bearer);
        let open = ServerSettings { auth_mode: AuthMode::None, ..Default::default() };
        open.check_exposure(false).unwrap();
        let Err(p) = open.check_exposure(true) else { panic!("none on the network must be refused") };
        assert!(p.0[0].message.contains("allow_unauthenticated_network_access"), "{p}");
        ServerSettings { allow_unauthenticated_network_access: true, ..open }.check_exposure(true).unwrap();
    }

    #[test]
    fn the_public_url_defaults_to_the_runtime_address() {
        let s = ServerSettings::default();
        assert_eq!(s.effective_public_url("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        let s = ServerSettings { public_url: Some("https://mcp.example.com/".into()), ..Default::default() };
        assert_eq!(s.effective_public_url("http://127.0.0.1:8080"), "https://mcp.example.com");
    }
}
