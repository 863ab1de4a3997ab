//! The store: sea-orm over SQLite (default, WAL) or PostgreSQL, migrated at
//! start. Every query lives here; callers get domain types (`model`,
//! `settings`, `shared_model`) and [`StoreError`]s, and change the store only
//! through a [`Write`].

pub mod admins;
pub mod audit;
pub mod connections;
pub mod crud;
pub mod entities;
mod error;
pub mod heartbeats;
pub mod history;
pub mod migration;
pub mod migration_deploy;
pub mod migration_history;
pub mod migration_telemetry;
pub mod migration_two_factor;
pub mod published;
pub mod releases;
pub mod settings;
pub mod telemetry;
pub mod two_factor;
pub mod write;

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

pub use error::StoreError;
pub use write::{Write, write};

/// A connection pool to the store.
pub type Db = DatabaseConnection;

/// The store, or an open transaction on it: what read functions take.
pub trait Conn: ConnectionTrait + Sync {}
impl<T: ConnectionTrait + Sync> Conn for T {}

/// Opens the store at `url`, creating the SQLite file if needed, and migrates it.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let mut options = ConnectOptions::new(url.to_string());
    options.max_connections(10).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
    let db = Database::connect(options).await.with_context(|| format!("cannot open the store at {}", redact(url)))?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers proceed while a write commits; foreign keys make cascades real.
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;").await?;
    }
    migration::Migrator::up(&db, None).await.context("store migration failed")?;
    Ok(db)
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
