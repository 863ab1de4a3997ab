//! What a store operation can fail with, in the store's own terms; the API
//! maps these to HTTP once, in `error.rs`.

use sea_orm::DbErr;
use shared_model::Problems;

/// A failed store operation. A failed write changes nothing: its transaction
/// is rolled back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named row does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A name (or another unique value) is taken.
    #[error("{0}")]
    Conflict(String),
    /// The edit was based on a version that is no longer current.
    #[error("{0}")]
    VersionConflict(String),
    /// The values break the rules; each problem names its field.
    #[error("{0}")]
    Invalid(Problems),
    /// The database failed, or a stored value could not be read back.
    #[error("store failure")]
    Internal(#[source] anyhow::Error),
}

impl StoreError {
    /// Wraps an unexpected failure.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        StoreError::Internal(e.into())
    }
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        StoreError::internal(e)
    }
}

impl From<Problems> for StoreError {
    fn from(p: Problems) -> Self {
        StoreError::Invalid(p)
    }
}
