//! The plan of an import as it is shown and returned: one item per entity of
//! the document (and, when pruning, per entity it no longer has), each with
//! its action and the reason, and the counts. How the plan is made is in
//! `matching`.

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::connection::StoredConnection;
use crate::model::prompt::Prompt;
use crate::model::resource::Resource;
use crate::model::tool::Tool;
use crate::settings::ServerSettings;
use crate::storage::settings::SettingsSecrets;

pub use super::secrets::EnvLookup;

/// What kind of entity a plan item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// The server settings.
    Server,
    /// A connection.
    Connection,
    /// A tool.
    Tool,
    /// A resource.
    Resource,
    /// A prompt.
    Prompt,
}

impl EntityKind {
    /// Its wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Server => "server",
            EntityKind::Connection => "connection",
            EntityKind::Tool => "tool",
            EntityKind::Resource => "resource",
            EntityKind::Prompt => "prompt",
        }
    }
}

/// What the import does with one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    /// It is new.
    Create,
    /// It exists and some fields change.
    Update,
    /// It exists as the document has it.
    Unchanged,
    /// It cannot be imported as is; nothing is applied while a conflict remains.
    Conflict,
    /// It is in the store but not in the document (only when pruning).
    Delete,
}

impl PlanAction {
    /// Its wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::Unchanged => "unchanged",
            PlanAction::Conflict => "conflict",
            PlanAction::Delete => "delete",
        }
    }
}

/// One entity's line of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanItem {
    /// What kind of entity.
    pub kind: EntityKind,
    /// Its name.
    pub name: String,
    /// What happens to it.
    pub action: PlanAction,
    /// Why, for people: the fields that change, what happens to passwords, the conflict.
    pub reason: String,
}

/// How many entities get each action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct PlanSummary {
    /// Entities to create.
    pub create: usize,
    /// Entities to update.
    pub update: usize,
    /// Entities already as the document has them.
    pub unchanged: usize,
    /// Entities in conflict (nothing is applied while there is one).
    pub conflict: usize,
    /// Entities to delete (only when pruning).
    pub delete: usize,
}

/// The plan of an import, and whether it was applied.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportPlan {
    /// True when the store was changed (an apply), false for a dry run.
    pub applied: bool,
    /// One item per entity: the settings, connections, tools, resources, prompts.
    pub items: Vec<PlanItem>,
    /// Counts per action.
    pub summary: PlanSummary,
}

impl ImportPlan {
    /// The items in conflict.
    pub fn conflicts(&self) -> impl Iterator<Item = &PlanItem> {
        self.items.iter().filter(|i| i.action == PlanAction::Conflict)
    }
}

/// The store as the plan sees it.
pub struct Current {
    /// Every connection, sorted by name.
    pub connections: Vec<StoredConnection>,
    /// Every tool, sorted by name.
    pub tools: Vec<Tool>,
    /// Every resource, sorted by name.
    pub resources: Vec<Resource>,
    /// Every prompt, sorted by name.
    pub prompts: Vec<Prompt>,
    /// The server settings (defaults when never saved).
    pub settings: ServerSettings,
    /// How many MCP tokens exist (they are never part of a document).
    pub token_count: usize,
    /// The settings' secrets, encrypted (compared with the ones a document brings, never exported).
    pub secrets: SettingsSecrets,
}

/// How to import.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Delete what the document does not have.
    pub prune: bool,
    /// Where `${VAR}` secrets come from; `None` refuses them (the HTTP import).
    pub env: Option<EnvLookup<'a>>,
}
