//! The store: sea-orm over SQLite (default, WAL) or PostgreSQL, migrated at
//! start. Every query lives here; callers get domain types (`model`,
//! `settings`, `shared_model`) and [`StoreError`]s, and change the store only
//! through a [`Write`].

pub mod admins;
pub mod agent_activity;
pub mod agent_tokens;
pub mod audit;
pub mod authorization;
pub mod connections;
pub mod crud;
pub mod entities;
mod error;
pub mod heartbeats;
pub mod history;
pub mod leases;
pub mod migration;
pub mod migration_agent;
pub mod migration_authorization;
pub mod migration_cleartext;
pub mod migration_deploy;
pub mod migration_history;
pub mod migration_leases;
pub mod migration_mcp_oauth;
pub mod migration_oauth;
pub mod migration_read_only;
pub mod migration_telemetry;
pub mod migration_tool_columns;
pub mod migration_tool_paging;
pub mod migration_two_factor;
pub mod oauth_clients;
pub mod published;
pub mod releases;
pub mod settings;
pub mod telemetry;
pub mod two_factor;
pub mod write;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, TransactionTrait};
use sea_orm_migration::MigratorTrait;

pub use error::StoreError;
pub use write::{Write, write};

/// A connection pool to the store.
pub type Db = DatabaseConnection;

/// The store, or an open transaction on it: what read functions take.
pub trait Conn: ConnectionTrait + Sync {}
impl<T: ConnectionTrait + Sync> Conn for T {}

/// The PostgreSQL advisory lock key held while migrating ("quarry" in ASCII).
const MIGRATION_LOCK: i64 = 0x7175_6172_7279;

/// Opens the store at `url`, creating the SQLite file if needed, and migrates it
/// (on PostgreSQL under an advisory lock, so control planes may start together).
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let mut options = ConnectOptions::new(url.to_string());
    options.max_connections(10).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
    let db = Database::connect(options).await.with_context(|| format!("cannot open the store at {}", redact(url)))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a write commits; foreign keys make cascades real.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;").await?;
        restrict_sqlite_files(url)?;
    }
    if db.get_database_backend() == DbBackend::Postgres {
        // Control planes starting together on one store take turns: the first
        // migrates, the others wait for its lock and then find nothing to do.
        let tx = db.begin().await?;
        tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await?;
        migration::Migrator::up(&tx, None).await.context("store migration failed")?;
        tx.commit().await?;
    } else {
        migration::Migrator::up(&db, None).await.context("store migration failed")?;
    }
    Ok(db)
}

/// Makes the SQLite store and its WAL files readable by this user only
/// (0600): they hold password hashes and encrypted secrets.
fn restrict_sqlite_files(url: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path.contains(":memory:") {
            return Ok(());
        }
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{path}{suffix}");
            if std::path::Path::new(&file).exists() {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("cannot restrict {file} to its owner"))?;
            }
        }
    }
    Ok(())
}

/// The URL with any password replaced, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_credentials_from_store_urls() {
        assert_eq!(super::redact("postgres://u:pw@h/db"), "postgres://***@h/db");
        assert_eq!(super::redact("sqlite://./data/q.db"), "sqlite://./data/q.db");
    }
}
