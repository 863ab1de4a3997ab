//! A connection: a database tools and resources run against. Its password
//! and secret extra parameters are encrypted at rest (AES-256-GCM, the
//! store's keyring) and never returned.

use chrono::{DateTime, Utc};
use mcp_runtime::db::ConnectionSpec;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::SslMode;
use shared_model::{DbType, Keyring, Problems, SecretError, is_secret_key, validate_name};
use utoipa::ToSchema;
use uuid::Uuid;

/// What secrets look like in responses.
pub const MASK: &str = "••••••";

/// The editable fields of a connection (the password is handled apart).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// Unique, MCP-safe name (letters, digits, `_`, `-`; 1–64).
    pub name: String,
    /// `postgresql`, `mysql` (also MariaDB) or `sqlite`.
    pub db_type: String,
    /// Server host name or address (not used for SQLite).
    #[serde(default)]
    pub host: String,
    /// Server port; defaults to the engine's usual port (not used for SQLite).
    pub port: Option<u16>,
    /// Database name, or the file path for SQLite.
    pub database: String,
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// Password; stored encrypted, never returned.
    pub password: Option<String>,
    /// TLS policy: `disable`, `prefer` (default), `require`, `verify-ca`, `verify-full`.
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// Answer a PostgreSQL server that asks for the password in cleartext or as MD5 over a
    /// connection without TLS (default false: the login is refused and the password never sent).
    #[serde(default)]
    pub allow_cleartext_password: bool,
    /// Extra driver parameters (e.g. `ssl_ca`); keys naming a password, secret, token or key are encrypted.
    #[serde(default)]
    pub extra_params: Map<String, Value>,
    /// Connections kept open when idle (0–100, default 0).
    #[serde(default)]
    pub pool_min_size: i32,
    /// Most connections open at once (1–100, default 10).
    #[serde(default = "default_pool_max")]
    pub pool_max_size: i32,
    /// Most queries running at once (1–200, default 5).
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent_queries: i32,
    /// Longest a call waits for a slot (1–300 s, default 30).
    #[serde(default = "default_queue_timeout")]
    pub queue_timeout_seconds: i32,
    /// Whether calls queue for a slot (default true).
    #[serde(default = "yes")]
    pub queue_enabled: bool,
    /// Inactive connections and their tools are not deployed (default true).
    #[serde(default = "yes")]
    pub is_active: bool,
    /// PostgreSQL: volatile functions read-only queries may call on top of
    /// the built-in allowlist (`name` or `schema.name`; at most 100).
    #[serde(default)]
    pub allowed_functions: Vec<String>,
    /// PostgreSQL: the role read-only calls run as (`SET LOCAL ROLE`); the
    /// login must be a member of it. Empty or absent: the login's own privileges.
    #[serde(default)]
    pub read_only_role: Option<String>,
}

fn default_pool_max() -> i32 {
    10
}
fn default_max_concurrent() -> i32 {
    5
}
fn default_queue_timeout() -> i32 {
    30
}
fn yes() -> bool {
    true
}

/// A partial update; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    pub name: Option<String>,
    pub db_type: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub username: Option<String>,
    /// A new password; `null` removes it; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub password: Option<Option<String>>,
    pub ssl_mode: Option<SslMode>,
    pub allow_cleartext_password: Option<bool>,
    /// Replaces the extra parameters; a secret sent back as the mask keeps its stored value.
    pub extra_params: Option<Map<String, Value>>,
    pub pool_min_size: Option<i32>,
    pub pool_max_size: Option<i32>,
    pub max_concurrent_queries: Option<i32>,
    pub queue_timeout_seconds: Option<i32>,
    pub queue_enabled: Option<bool>,
    pub is_active: Option<bool>,
    /// Replaces the allowed volatile functions.
    pub allowed_functions: Option<Vec<String>>,
    /// A new read-only role; `null` removes it; absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub read_only_role: Option<Option<String>>,
    /// The version this edit is based on; a stale one is refused with 409.
    pub version: Option<i32>,
    /// With a new `host` or `port` and no new `password`: keep the stored password for the new
    /// address. Without it such an edit is refused (422), so a stored password cannot be
    /// recovered by pointing the connection at a server that collects it.
    #[serde(default)]
    pub keep_password: bool,
}

/// Distinguishes an explicit `null` from an absent field.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A connection as returned by the API.
#[derive(Serialize, ToSchema)]
pub struct Connection {
    pub id: Uuid,
    pub name: String,
    pub db_type: String,
    pub host: String,
    pub port: i32,
    pub database: String,
    pub username: String,
    /// Whether a password is stored.
    pub has_password: bool,
    /// `••••••` when a password is stored.
    pub password_masked: Option<String>,
    pub ssl_mode: SslMode,
    /// Whether a PostgreSQL cleartext/MD5 password request without TLS is answered.
    pub allow_cleartext_password: bool,
    /// Extra parameters with secret values masked.
    pub extra_params: Map<String, Value>,
    pub pool_min_size: i32,
    pub pool_max_size: i32,
    pub max_concurrent_queries: i32,
    pub queue_timeout_seconds: i32,
    pub queue_enabled: bool,
    pub is_active: bool,
    /// Volatile functions read-only queries may call (PostgreSQL).
    pub allowed_functions: Vec<String>,
    /// The role read-only calls run as (PostgreSQL), if any.
    pub read_only_role: Option<String>,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

/// A connection as stored: secrets are ciphertexts of the store's keyring.
#[derive(Debug, Clone)]
pub struct StoredConnection {
    pub id: Uuid,
    pub name: String,
    pub db_type: DbType,
    pub host: String,
    /// 0 for SQLite.
    pub port: i32,
    pub database: String,
    pub username: String,
    /// The encrypted password.
    pub password: Option<String>,
    pub ssl_mode: SslMode,
    /// Whether a cleartext/MD5 password request without TLS is answered.
    pub allow_cleartext_password: bool,
    /// Secret values ([`is_secret_key`]) are encrypted.
    pub extra_params: Map<String, Value>,
    pub pool_min_size: i32,
    pub pool_max_size: i32,
    pub max_concurrent_queries: i32,
    pub queue_timeout_seconds: i32,
    pub queue_enabled: bool,
    pub is_active: bool,
    pub allowed_functions: Vec<String>,
    pub read_only_role: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StoredConnection> for Connection {
    fn from(m: StoredConnection) -> Self {
        let mut extra = m.extra_params;
        for (k, v) in extra.iter_mut() {
            if is_secret_key(k) {
                *v = Value::String(MASK.into());
            }
        }
        Connection {
            id: m.id,
            name: m.name,
            db_type: m.db_type.as_str().into(),
            host: m.host,
            port: m.port,
            database: m.database,
            username: m.username,
            has_password: m.password.is_some(),
            password_masked: m.password.map(|_| MASK.into()),
            ssl_mode: m.ssl_mode,
            allow_cleartext_password: m.allow_cleartext_password,
            extra_params: extra,
            pool_min_size: m.pool_min_size,
            pool_max_size: m.pool_max_size,
            max_concurrent_queries: m.max_concurrent_queries,
            queue_timeout_seconds: m.queue_timeout_seconds,
            queue_enabled: m.queue_enabled,
            is_active: m.is_active,
            allowed_functions: m.allowed_functions,
            read_only_role: m.read_only_role,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn range(p: &mut Problems, field: &str, v: i32, lo: i32, hi: i32) {
    if !(lo..=hi).contains(&v) {
        p.push(field, format!("must be between {lo} and {hi} (got {v})"));
    }
}

impl ConnectionInput {
    /// Every problem with the input; returns the parsed engine when valid.
    pub fn validate(&self) -> Result<DbType, Problems> {
        let mut p = Problems::default();
        if let Err(e) = validate_name(&self.name) {
            p.push("name", e);
        }
        let db_type = DbType::parse(&self.db_type).map_err(|e| p.push("db_type", e)).ok();
        let file_based = db_type == Some(DbType::Sqlite);
        if !file_based && self.host.trim().is_empty() {
            p.push("host", "is required for a server database");
        }
        if self.host.len() > 255 || self.host.chars().any(char::is_whitespace) {
            p.push("host", "must be a host name or address without spaces (at most 255 characters)");
        }
        if !file_based && self.port == Some(0) {
            p.push("port", "must be between 1 and 65535");
        }
        if self.database.trim().is_empty() || self.database.len() > 1024 {
            p.push("database", "must be 1–1024 characters (the file path for SQLite)");
        }
        if self.username.len() > 255 {
            p.push("username", "must be at most 255 characters");
        }
        if self.password.as_ref().is_some_and(|pw| pw.len() > 1024) {
            p.push("password", "must be at most 1024 characters");
        }
        range(&mut p, "pool_min_size", self.pool_min_size, 0, 100);
        range(&mut p, "pool_max_size", self.pool_max_size, 1, 100);
        if self.pool_min_size > self.pool_max_size {
            p.push("pool_min_size", "must not exceed pool_max_size");
        }
        range(&mut p, "max_concurrent_queries", self.max_concurrent_queries, 1, 200);
        range(&mut p, "queue_timeout_seconds", self.queue_timeout_seconds, 1, 300);
        if self.allowed_functions.len() > 100 {
            p.push("allowed_functions", "must list at most 100 functions");
        }
        for (i, f) in self.allowed_functions.iter().enumerate() {
            if !is_function_name(f) {
                p.push(
                    format!("allowed_functions[{i}]"),
                    "must be `name` or `schema.name` (letters, digits, `_`, `$`)",
                );
            }
        }
        if let Some(role) = &self.read_only_role {
            if role.len() > 63 || role.trim() != role || role.chars().any(char::is_control) {
                p.push("read_only_role", "must be a role name of at most 63 characters without surrounding spaces");
            }
            if db_type.is_some_and(|t| t != DbType::Postgresql) && !role.is_empty() {
                p.push("read_only_role", "is supported for PostgreSQL only");
            }
        }
        if serde_json::to_vec(&self.extra_params).map_or(0, |v| v.len()) > 64 * 1024 {
            p.push("extra_params", "must be at most 64 KiB of JSON");
        }
        p.into_result()?;
        Ok(db_type.expect("validated above"))
    }

    /// The stored form of valid input: `password` is the ciphertext to keep,
    /// `old` the stored connection being replaced (its secrets survive a mask).
    pub fn seal(
        self,
        db_type: DbType,
        password: Option<String>,
        old: Option<&StoredConnection>,
        keyring: &Keyring,
    ) -> StoredConnection {
        let now = Utc::now();
        let empty = Map::new();
        let extra_params = seal_extra(self.extra_params, old.map_or(&empty, |o| &o.extra_params), keyring);
        StoredConnection {
            id: old.map_or_else(Uuid::new_v4, |o| o.id),
            port: match db_type {
                DbType::Sqlite => 0,
                t => self.port.or(t.default_port()).map_or(0, i32::from),
            },
            name: self.name,
            db_type,
            host: self.host.trim().into(),
            database: self.database,
            username: self.username,
            password,
            ssl_mode: self.ssl_mode,
            allow_cleartext_password: self.allow_cleartext_password,
            extra_params,
            pool_min_size: self.pool_min_size,
            pool_max_size: self.pool_max_size,
            max_concurrent_queries: self.max_concurrent_queries,
            queue_timeout_seconds: self.queue_timeout_seconds,
            queue_enabled: self.queue_enabled,
            is_active: self.is_active,
            allowed_functions: self.allowed_functions,
            read_only_role: self.read_only_role.filter(|r| !r.is_empty()),
            version: old.map_or(1, |o| o.version + 1),
            created_at: old.map_or(now, |o| o.created_at),
            updated_at: now,
        }
    }
}

impl ConnectionPatch {
    /// Refuses moving a connection with a stored password to another host or
    /// port unless the password is re-entered (or removed) or `keep_password` is set.
    pub fn check_repoint(&self, m: &StoredConnection) -> Result<(), Problems> {
        let moved =
            self.host.as_ref().is_some_and(|h| h.trim() != m.host) || self.port.is_some_and(|p| i32::from(p) != m.port);
        if moved && m.password.is_some() && self.password.is_none() && !self.keep_password {
            return Err(Problems::one(
                "password",
                "the host or port changes: re-enter the password, or send keep_password: true to use the stored \
                 password at the new address",
            ));
        }
        Ok(())
    }

    /// The input this patch makes of `m`, and the password ciphertext to store.
    pub fn over(self, m: &StoredConnection, keyring: &Keyring) -> (ConnectionInput, Option<String>) {
        let password = match &self.password {
            None => m.password.clone(),
            Some(None) => None,
            Some(Some(p)) => Some(keyring.encrypt(p)),
        };
        let input = ConnectionInput {
            name: self.name.unwrap_or_else(|| m.name.clone()),
            db_type: self.db_type.unwrap_or_else(|| m.db_type.as_str().to_string()),
            host: self.host.unwrap_or_else(|| m.host.clone()),
            port: self.port.or(u16::try_from(m.port).ok()),
            database: self.database.unwrap_or_else(|| m.database.clone()),
            username: self.username.unwrap_or_else(|| m.username.clone()),
            password: self.password.flatten(),
            ssl_mode: self.ssl_mode.unwrap_or(m.ssl_mode),
            allow_cleartext_password: self.allow_cleartext_password.unwrap_or(m.allow_cleartext_password),
            extra_params: self.extra_params.unwrap_or_else(|| m.extra_params.clone()),
            pool_min_size: self.pool_min_size.unwrap_or(m.pool_min_size),
            pool_max_size: self.pool_max_size.unwrap_or(m.pool_max_size),
            max_concurrent_queries: self.max_concurrent_queries.unwrap_or(m.max_concurrent_queries),
            queue_timeout_seconds: self.queue_timeout_seconds.unwrap_or(m.queue_timeout_seconds),
            queue_enabled: self.queue_enabled.unwrap_or(m.queue_enabled),
            is_active: self.is_active.unwrap_or(m.is_active),
            allowed_functions: self.allowed_functions.unwrap_or_else(|| m.allowed_functions.clone()),
            read_only_role: self.read_only_role.unwrap_or_else(|| m.read_only_role.clone()),
        };
        (input, password)
    }
}

/// `name` or `schema.name` as PostgreSQL folds unquoted identifiers
/// (lower-case letters, digits, `_`, `$`; not starting with a digit or `$`).
fn is_function_name(s: &str) -> bool {
    let part = |p: &str| {
        p.len() <= 63
            && p.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
    };
    match s.split_once('.') {
        Some((schema, name)) => part(schema) && part(name),
        None => part(s),
    }
}

/// Encrypts secret extra parameters; a masked value keeps the stored ciphertext.
fn seal_extra(extra: Map<String, Value>, old: &Map<String, Value>, keyring: &Keyring) -> Map<String, Value> {
    extra
        .into_iter()
        .map(|(k, v)| {
            if !is_secret_key(&k) {
                return (k, v);
            }
            let sealed = match &v {
                Value::String(s) if s == MASK => old.get(&k).cloned().unwrap_or(Value::Null),
                Value::String(s) => Value::String(keyring.encrypt(s)),
                Value::Null => Value::Null,
                other => Value::String(keyring.encrypt(&other.to_string())),
            };
            (k, sealed)
        })
        .collect()
}

impl StoredConnection {
    /// The engine's view of this connection, with its secrets decrypted.
    pub fn engine_spec(&self, keyring: &Keyring) -> Result<ConnectionSpec, SecretError> {
        let mut spec = ConnectionSpec::new(
            self.db_type,
            &self.host,
            u16::try_from(self.port).unwrap_or(0),
            &self.database,
            &self.username,
        );
        spec.password = self.password.as_deref().map(|v| keyring.decrypt(v)).transpose()?;
        spec.ssl_mode = self.ssl_mode;
        spec.allow_cleartext_password = self.allow_cleartext_password;
        for (k, v) in &self.extra_params {
            let text = match v {
                Value::Null => continue,
                Value::String(s) if is_secret_key(k) => keyring.decrypt(s)?,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            spec.extra_params.insert(k.clone(), text);
        }
        spec.pool_min = u32::try_from(self.pool_min_size).unwrap_or(0);
        spec.pool_max = u32::try_from(self.pool_max_size).unwrap_or(1).max(1);
        spec.allowed_functions = self.allowed_functions.clone();
        spec.read_only_role = self.read_only_role.clone();
        Ok(spec)
    }
}
