//! MCP resources: SQL-backed or static.

use sea_orm::entity::prelude::*;

/// A row of `resources`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub connection_id: Option<String>,
    pub name: String,
    /// Normalised name; unique.
    pub name_key: String,
    pub description: String,
    pub uri_template: String,
    pub sql_query: Option<String>,
    pub static_content: Option<String>,
    /// `Vec<ParamDef>` as JSON.
    pub parameters: Json,
    pub mime_type: String,
    pub tags: Json,
    pub is_enabled: bool,
    /// Required OAuth scopes (`Vec<String>`; NULL = none; added by `migration_mcp_oauth`).
    pub scopes: Option<Json>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
