//! The database engines Quarry can serve.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::placeholders::Dialect;

/// A supported database engine; `mysql` also covers MariaDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DbType {
    /// PostgreSQL (and wire-compatible servers).
    Postgresql,
    /// MySQL or MariaDB.
    Mysql,
    /// A SQLite database file; `database` holds its path.
    Sqlite,
}

impl DbType {
    /// Every supported engine, in the order shown to users.
    pub const ALL: [DbType; 3] = [DbType::Postgresql, DbType::Mysql, DbType::Sqlite];

    /// The name used in the API and the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            DbType::Postgresql => "postgresql",
            DbType::Mysql => "mysql",
            DbType::Sqlite => "sqlite",
        }
    }

    /// Parses an API name; `mariadb` and `postgres` are accepted as aliases.
    /// The error names the supported types.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "postgresql" | "postgres" => Ok(DbType::Postgresql),
            "mysql" | "mariadb" => Ok(DbType::Mysql),
            "sqlite" => Ok(DbType::Sqlite),
            _ => {
                let supported: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                Err(format!("unsupported db_type {name:?}; supported: {}", supported.join(", ")))
            }
        }
    }

    /// The SQL dialect used to scan this engine's queries.
    pub fn dialect(self) -> Dialect {
        match self {
            DbType::Postgresql => Dialect::Postgres,
            DbType::Mysql => Dialect::MySql,
            DbType::Sqlite => Dialect::Sqlite,
        }
    }

    /// The engine's usual TCP port (`None` for file-based SQLite).
    pub fn default_port(self) -> Option<u16> {
        match self {
            DbType::Postgresql => Some(5432),
            DbType::Mysql => Some(3306),
            DbType::Sqlite => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases_and_lists_supported_ones_on_error() {
        assert_eq!(DbType::parse("MariaDB"), Ok(DbType::Mysql));
        assert_eq!(DbType::parse("postgres"), Ok(DbType::Postgresql));
        let err = DbType::parse("oracle").unwrap_err();
        assert!(err.contains("postgresql, mysql, sqlite"), "{err}");
    }
}
