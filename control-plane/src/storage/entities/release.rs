//! Immutable, numbered releases: the manifest a runtime serves.

use sea_orm::entity::prelude::*;

/// A row of `releases`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "releases")]
pub struct Model {
    /// Release number, from 1, increasing.
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i64,
    /// `sha256:…` of the manifest as served.
    pub content_hash: String,
    /// Hash of the store content it was built from (secrets fingerprinted),
    /// to tell whether the store has changed since.
    pub source_hash: String,
    /// The manifest JSON with secrets sealed for the runtime.
    pub manifest: String,
    /// The manifest JSON with secrets replaced by fingerprints (for diffs).
    pub source: String,
    /// What changed since the previous release.
    pub changes: Json,
    /// Set when this release re-publishes an older one.
    pub rolled_back_from: Option<i64>,
    /// When it was built.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
