//! Releases as stored: immutable, numbered manifests, what each changed, and
//! which one runtimes should serve.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_model::manifest::Manifest;
use utoipa::ToSchema;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// `server`, `auth`, `connection`, `tool`, `resource` or `prompt`.
    pub kind: String,
    /// The entity's name (empty for `server` and `auth`).
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub action: String,
}

/// A stored release.
#[derive(Debug, Clone)]
pub struct StoredRelease {
    /// Release number, from 1, increasing.
    pub number: i64,
    /// `sha256:…` of the manifest as served.
    pub content_hash: String,
    /// Hash of the store content it was built from (secrets fingerprinted).
    pub source_hash: String,
    /// The manifest JSON with secrets sealed for the runtime.
    pub manifest: String,
    /// The manifest with secrets replaced by fingerprints (for diffs).
    pub source: Manifest,
    /// What changed since the previous release.
    pub changes: Vec<Change>,
    /// Set when this release re-publishes an older one.
    pub rolled_back_from: Option<i64>,
    /// When it was built.
    pub created_at: DateTime<Utc>,
}

/// What should be running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeployState {
    /// The release runtimes should serve, if any was deployed.
    pub active_release: Option<i64>,
    /// Set by a stop, cleared by the next deploy.
    pub stopped: bool,
}

/// One entity that differs between two releases, with its content on each
/// side (secrets masked). `before` is absent for `added`, `after` for `removed`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DiffEntry {
    /// `server`, `auth`, `connection`, `tool`, `resource` or `prompt`.
    pub kind: String,
    /// The entity's name (empty for `server` and `auth`).
    pub name: String,
    /// `added`, `removed` or `changed`.
    pub action: String,
    /// The entity in the release compared against.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The entity in the release shown.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}
