//! What the engine needs to reach a database, and a fingerprint that tells
//! the pool cache when a connection's settings changed.

use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};

pub use shared_model::DbType;
pub use shared_model::manifest::SslMode;

/// How to reach one database. The password is plaintext: the caller (control
/// plane or runtime) decrypts it just before handing the spec over.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionSpec {
    /// The engine; `mysql` also covers MariaDB.
    pub db_type: DbType,
    /// Host name or IP address (ignored for SQLite).
    pub host: String,
    /// TCP port; `0` means the engine's default (5432, 3306).
    pub port: u16,
    /// Database name; for SQLite, the path of the database file.
    pub database: String,
    /// User to log in as (ignored for SQLite).
    pub username: String,
    /// Plaintext password, if any. Never printed by `Debug`.
    pub password: Option<String>,
    /// TLS policy (ignored for SQLite). For MySQL, `prefer` connects without TLS
    /// because the driver cannot fall back; use `require` or stricter for TLS.
    pub ssl_mode: SslMode,
    /// Driver extras. Recognised: `ssl_ca` (PEM bundle of trusted CAs for
    /// verify-ca/verify-full; otherwise the Mozilla roots are used),
    /// `application_name` (PostgreSQL), `charset` (MySQL: `utf8mb4`, `utf8mb3`
    /// or `utf8`), `sql_mode` (MySQL: the session's `sql_mode`, set at connect).
    pub extra_params: BTreeMap<String, String>,
    /// Connections the pool keeps open when idle (MySQL honours it; PostgreSQL
    /// and SQLite open connections on demand).
    pub pool_min: u32,
    /// Most connections the pool opens at once (at least 1).
    pub pool_max: u32,
    /// Functions read-only queries may call beyond the built-in policy
    /// (PostgreSQL: volatile functions as `name` or `schema.name`;
    /// MySQL/MariaDB: stored functions as `name` or `db.name`).
    pub allowed_functions: Vec<String>,
    /// A role read-only calls switch to with `SET LOCAL ROLE` (PostgreSQL),
    /// so they run with that role's privileges instead of the login's.
    pub read_only_role: Option<String>,
    /// Whether the password may be sent when the server asks for it in
    /// cleartext or as MD5 over a connection without TLS (off: such a login is
    /// refused before the password leaves, so a repointed host cannot collect it).
    /// MySQL never sends it in cleartext (`mysql_clear_password` stays disabled).
    pub allow_cleartext_password: bool,
}

impl ConnectionSpec {
    /// A spec with no password, no extras, `prefer` TLS and a pool of 1–5.
    pub fn new(db_type: DbType, host: &str, port: u16, database: &str, username: &str) -> Self {
        ConnectionSpec {
            db_type,
            host: host.to_string(),
            port,
            database: database.to_string(),
            username: username.to_string(),
            password: None,
            ssl_mode: SslMode::Prefer,
            extra_params: BTreeMap::new(),
            pool_min: 0,
            pool_max: 5,
            allowed_functions: Vec::new(),
            allow_cleartext_password: false,
            read_only_role: None,
        }
    }

    /// A spec for a SQLite database file.
    pub fn sqlite(path: &str) -> Self {
        Self::new(DbType::Sqlite, "", 0, path, "")
    }

    /// The port to dial: the given one, or the engine's default.
    pub fn effective_port(&self) -> u16 {
        if self.port != 0 { self.port } else { self.db_type.default_port().unwrap_or(0) }
    }

    /// A hash of every field, password included; the pool cache rebuilds a
    /// connection's pool when it changes.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (self.db_type, &self.host, self.port, &self.database, &self.username, &self.password).hash(&mut h);
        (self.ssl_mode as u8, &self.extra_params, self.pool_min, self.pool_max).hash(&mut h);
        (&self.allowed_functions, &self.read_only_role, self.allow_cleartext_password).hash(&mut h);
        h.finish()
    }

    /// `host:port/database` (or the file path), for messages. Never includes the password.
    pub fn target(&self) -> String {
        match self.db_type {
            DbType::Sqlite => self.database.clone(),
            _ => format!("{}:{}/{}", self.host, self.effective_port(), self.database),
        }
    }

    /// The pool bound, never below 1.
    pub(crate) fn max_size(&self) -> usize {
        self.pool_max.clamp(1, 1000) as usize
    }
}

impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionSpec")
            .field("db_type", &self.db_type)
            .field("target", &self.target())
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ssl_mode", &self.ssl_mode)
            .field("extra_params", &self.extra_params.keys().collect::<Vec<_>>())
            .field("pool", &(self.pool_min, self.pool_max))
            .field("allowed_functions", &self.allowed_functions)
            .field("read_only_role", &self.read_only_role)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let mut spec = ConnectionSpec::new(DbType::Postgresql, "db", 0, "app", "u");
        spec.password = Some("hunter2".into());
        let shown = format!("{spec:?}");
        assert!(!shown.contains("hunter2") && shown.contains("db:5432/app"), "{shown}");
    }

    #[test]
    fn the_fingerprint_changes_with_any_setting() {
        let a = ConnectionSpec::new(DbType::Mysql, "db", 3306, "app", "u");
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.password = Some("new".into());
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
