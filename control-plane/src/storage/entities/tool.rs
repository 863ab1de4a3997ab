//! SQL tools published over MCP.

use sea_orm::entity::prelude::*;

/// A row of `tools`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tools")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub connection_id: String,
    pub name: String,
    /// Normalised name; unique.
    pub name_key: String,
    pub description: String,
    pub sql_query: String,
    /// `Vec<ParamDef>` as JSON.
    pub parameters: Json,
    pub tags: Json,
    pub return_type: String,
    pub transform_template: Option<String>,
    pub annotations: Json,
    pub cache_ttl: i32,
    pub is_enabled: bool,
    /// Whether cut results carry a page cursor (added by `migration_tool_paging`).
    pub pageable: bool,
    /// `Vec<ColumnDesc>` as JSON, derived from the SQL (added by `migration_tool_columns`).
    pub result_columns: Option<Json>,
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
