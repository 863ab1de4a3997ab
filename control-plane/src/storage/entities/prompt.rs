//! MCP prompt templates.

use sea_orm::entity::prelude::*;

/// A row of `prompts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "prompts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// Normalised name; unique.
    pub name_key: String,
    pub title: Option<String>,
    pub description: String,
    pub template: String,
    pub arguments: Json,
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
