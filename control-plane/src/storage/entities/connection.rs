//! Database connections that tools and resources run against.

use sea_orm::entity::prelude::*;

/// A row of `connections`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// Normalised name; unique.
    pub name_key: String,
    pub db_type: String,
    pub host: String,
    pub port: i32,
    pub database: String,
    pub username: String,
    /// Encrypted password (`v1:…`), if any.
    pub password: Option<String>,
    pub ssl_mode: String,
    /// Whether a PostgreSQL cleartext/MD5 password request without TLS is answered.
    pub allow_cleartext_password: bool,
    /// Extra driver parameters; secret values are stored encrypted.
    pub extra_params: Json,
    pub pool_min_size: i32,
    pub pool_max_size: i32,
    pub max_concurrent_queries: i32,
    pub queue_timeout_seconds: i32,
    pub queue_enabled: bool,
    pub is_active: bool,
    /// JSON array of `name` / `schema.name` (PostgreSQL read-only allowlist extension).
    pub allowed_functions: Json,
    /// PostgreSQL role read-only calls switch to, if any.
    pub read_only_role: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
