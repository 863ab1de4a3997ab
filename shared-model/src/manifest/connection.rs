//! Database connections with their pool and queue settings.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SealedSecret;
use crate::DbType;

/// A database the runtime connects to; tools and resources refer to it by `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Stable id (an entity name); used in references and metric labels.
    pub id: String,
    /// The database engine.
    pub db_type: DbType,
    /// Host name or address; for SQLite, ignored.
    #[serde(default)]
    pub host: String,
    /// TCP port; `0` means the engine's default (5432, 3306).
    #[serde(default)]
    pub port: u16,
    /// Database name; for SQLite, the database file path.
    pub database: String,
    /// User name to log in as.
    #[serde(default)]
    pub username: String,
    /// The password, sealed for the runtime with `QUARRY_RUNTIME_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SealedSecret>,
    /// TLS policy towards the database.
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// Send the password when the server asks for it in cleartext or as MD5
    /// over a connection without TLS (default off: such a login is refused).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_cleartext_password: bool,
    /// Extra driver parameters (for example `application_name`, `charset`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_params: BTreeMap<String, String>,
    /// Connection pool bounds.
    #[serde(default)]
    pub pool: PoolSettings,
    /// Admission queue in front of the pool.
    #[serde(default)]
    pub queue: QueueSettings,
    /// PostgreSQL: volatile functions read-only tools may call on top of the
    /// built-in allowlist (`name` or `schema.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_functions: Vec<String>,
    /// PostgreSQL: a role read-only calls switch to with `SET LOCAL ROLE`, so
    /// they run with its privileges rather than the login's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_role: Option<String>,
}

/// TLS policy for the database connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Use TLS when the server offers it.
    #[default]
    Prefer,
    /// Require TLS without verifying the certificate.
    Require,
    /// Require TLS and verify the certificate chain.
    VerifyCa,
    /// Require TLS, verify the chain and the host name.
    VerifyFull,
}

/// Pool bounds for one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    /// Connections kept open when idle (0–100).
    #[serde(default)]
    pub min: u32,
    /// Most connections open at once (1–100).
    #[serde(default = "default_pool_max")]
    pub max: u32,
}

fn default_pool_max() -> u32 {
    10
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings { min: 0, max: default_pool_max() }
    }
}

/// The per-connection admission queue: a bounded FIFO in front of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSettings {
    /// Whether calls go through the queue; off, they wait on the pool only.
    #[serde(default = "default_true")]
    pub queue_enabled: bool,
    /// Most queries running at once on this connection (1–200).
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_queries: u32,
    /// Longest a call waits for a slot before failing with "busy, retry" (1–300 s).
    #[serde(default = "default_queue_timeout")]
    pub queue_timeout_seconds: u32,
    /// Most calls waiting at once; beyond it calls fail at once (0–10000).
    #[serde(default = "default_max_waiters")]
    pub max_waiters: u32,
}

fn default_true() -> bool {
    true
}
fn default_max_concurrent() -> u32 {
    5
}
fn default_queue_timeout() -> u32 {
    30
}
fn default_max_waiters() -> u32 {
    1000
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            queue_enabled: true,
            max_concurrent_queries: default_max_concurrent(),
            queue_timeout_seconds: default_queue_timeout(),
            max_waiters: default_max_waiters(),
        }
    }
}
