//! The change history: one row per change of a connection, tool, resource,
//! prompt, the server settings or a token, with its full snapshot.

use sea_orm::entity::prelude::*;

/// A row of `change_history`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "change_history")]
pub struct Model {
    /// Increasing id: newer entries have larger ids.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `connection`, `tool`, `resource`, `prompt`, `server_config` or `token`.
    pub entity_type: String,
    /// The entity's id (`server` for the settings).
    pub entity_id: String,
    /// Its name at the time.
    pub entity_name: String,
    /// `create`, `update`, `delete` or `rollback`.
    pub action: String,
    /// The entity's version after the change, when it has versions.
    pub version: Option<i32>,
    /// Who: `admin:<id>`, `system`.
    pub actor: String,
    /// The client address of the actor, when known.
    pub actor_address: Option<String>,
    /// The client's `User-Agent`, when known.
    pub actor_user_agent: Option<String>,
    /// The entity after the change (for a delete, its last state); secrets sealed.
    pub snapshot: Option<Json>,
    /// `{field: {old, new}}` against the previous version; secrets masked.
    pub changes: Json,
    /// For a rollback: the entry whose snapshot was restored.
    pub rolled_back_to: Option<i64>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
