//! Releases: the store's content built into manifest v1 ([`build`]), compared
//! with the previous release ([`diff`]), stored immutable and numbered, and
//! published to the runtimes that pull ([`hub`]). The deployers (`deploy/`)
//! use this module; it knows nothing of them.

pub mod access;
pub mod build;
pub mod diff;
pub mod hub;

pub use build::{Built, Keys};
pub use hub::{Hub, Publication};
use shared_model::manifest::Manifest;

use crate::model::release::StoredRelease;
use crate::storage::releases::{self, NewRelease};
use crate::storage::{Conn, StoreError, Write};

/// Builds what the store holds now as release `number`, without storing it.
/// Every problem (server settings included) is reported at once.
pub async fn build_current(db: &impl Conn, keys: Keys<'_>, number: u64) -> Result<Built, StoreError> {
    let stored = crate::storage::settings::load_all(db).await?;
    stored.settings.validate().map_err(|p| p.prefixed("server"))?;
    build::build(db, number, &stored, keys).await
}

/// Builds the store's content as the next release, stores it and makes it
/// the active one, reading and writing in the one transaction of `w`.
pub async fn create(w: &mut Write<'_>, keys: Keys<'_>) -> Result<StoredRelease, StoreError> {
    let previous = releases::latest(w.tx()).await?;
    let number = previous.as_ref().map_or(1, |p| p.number + 1);
    let built = build_current(w.tx(), keys, number as u64).await?;
    let changes = diff::changes(previous.as_ref().map(|p| &p.source), &built.source);
    let new =
        NewRelease { manifest: &built.manifest, source: &built.source, changes: &changes, rolled_back_from: None };
    releases::publish(w, number, new).await
}

/// Stores the content of release `number` again as the next release and
/// makes it active (a rollback). Releases stay immutable: the old one is
/// copied, renumbered and re-hashed, never reactivated in place.
pub async fn recreate(w: &mut Write<'_>, number: i64) -> Result<StoredRelease, StoreError> {
    let old = releases::get(w.tx(), number).await?;
    let previous = releases::latest(w.tx()).await?;
    let next = previous.as_ref().map_or(1, |p| p.number + 1);
    let mut manifest = Manifest::from_json(&old.manifest).map_err(StoreError::internal)?;
    manifest.release = next as u64;
    if !manifest.server.version.is_empty() {
        manifest.server.version = format!("1.0.{next}");
    }
    manifest.content_hash.clear();
    manifest.seal_hash();
    let changes = diff::changes(previous.as_ref().map(|p| &p.source), &old.source);
    let new =
        NewRelease { manifest: &manifest, source: &old.source, changes: &changes, rolled_back_from: Some(number) };
    releases::publish(w, next, new).await
}

/// What pulling runtimes get for `release`.
pub fn publication(release: &StoredRelease) -> Publication {
    Publication { number: release.number as u64, hash: release.content_hash.clone(), body: release.manifest.clone() }
}
