//! Arguments of agent tools that have no REST body of their own: what the REST
//! API takes in the path (ids, numbers) next to what it takes as a body or
//! query. Each converts into the REST type it stands for; the tools whose
//! arguments are exactly a REST body or query take that type itself.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::page::{FilterQuery, LinkedFilterQuery, PageQuery};

/// No arguments.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// One entity, by id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ById {
    /// The entity's id (a UUID, as the list tools return it).
    pub id: Uuid,
}

/// One connection, by id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnConnection {
    /// The connection's id.
    pub connection_id: Uuid,
}

/// One table of a connection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableOf {
    /// The connection's id.
    pub connection_id: Uuid,
    /// The table: `name` or `schema.name`, as `list_tables` returns it.
    pub table: String,
}

/// A page of a list filtered by connection, tags and text (tools, resources).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkedList {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Only those running on this connection (a connection id).
    pub connection_id: Option<String>,
    /// Comma-separated tags; only those carrying all of them.
    pub tags: Option<String>,
    /// Only those whose name or description contains this text, ignoring case.
    pub search: Option<String>,
}

impl LinkedList {
    /// The REST list's page and filter.
    pub fn split(self) -> (PageQuery, LinkedFilterQuery) {
        let page = PageQuery { skip: self.skip, limit: self.limit };
        (page, LinkedFilterQuery { connection_id: self.connection_id, tags: self.tags, search: self.search })
    }
}

/// A page of a list filtered by tags and text (prompts).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilteredList {
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
    /// Comma-separated tags; only those carrying all of them.
    pub tags: Option<String>,
    /// Only those whose name or description contains this text, ignoring case.
    pub search: Option<String>,
}

impl FilteredList {
    /// The REST list's page and filter.
    pub fn split(self) -> (PageQuery, LinkedFilterQuery) {
        let page = PageQuery { skip: self.skip, limit: self.limit };
        (page, FilterQuery { tags: self.tags, search: self.search }.into())
    }
}

/// Changes to a connection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConnection {
    /// The connection's id.
    pub id: Uuid,
    /// The fields to change; absent fields keep their value, `version` guards against lost updates.
    pub patch: crate::model::connection::ConnectionPatch,
}

macro_rules! update_args {
    ($name:ident, $patch:ty, $what:literal) => {
        #[doc = concat!("Changes to a ", $what, ".")]
        #[derive(Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            #[doc = concat!("The ", $what, "'s id.")]
            pub id: Uuid,
            /// The fields to change (JSON merge: absent fields keep their value); send the `version` you read
            /// to be refused if someone changed it since.
            #[schema(value_type = $patch)]
            pub patch: Map<String, Value>,
        }
    };
}
update_args!(UpdateTool, crate::api::tools::ToolPatch, "tool");
update_args!(UpdateResource, crate::api::resources::ResourcePatch, "resource");
update_args!(UpdatePrompt, crate::api::prompts::PromptPatch, "prompt");

/// Changes to the server settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    /// Any subset of the settings (the fields of `get_server_settings` except `tokens`, `mcp_url`, `runtime_bind`).
    #[schema(value_type = Object)]
    pub patch: Map<String, Value>,
}

/// One release, by number.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseNumber {
    /// The release number (1, 2, …), as `list_releases` returns it.
    pub number: i64,
}

/// Two releases to compare.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseDiffArgs {
    /// The release shown.
    pub number: i64,
    /// `previous` (default), `active` or a release number to compare with.
    pub against: Option<String>,
}

/// The history of one entity.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityHistory {
    /// `connection`, `tool`, `resource`, `prompt`, `server_config`, `token` or `agent_token`.
    pub entity_type: String,
    /// The entity's id (`server` for the server settings).
    pub entity_id: String,
    /// Items to skip (default 0).
    pub skip: Option<u64>,
    /// Items to return, 1–100 (default 50).
    pub limit: Option<u64>,
}

/// One history entry, by id.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryId {
    /// The entry's id, as `list_history` returns it.
    pub history_id: i64,
}

/// A configuration document to import.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportArgs {
    /// The document, as `export_configuration` returns it (format_version 1).
    #[schema(value_type = crate::portable::PortableDocument)]
    pub document: Value,
    /// Only plan: say what would change and change nothing (default false). Plan first.
    #[serde(default)]
    pub dry_run: bool,
    /// Also delete connections, tools, resources and prompts the document does not have (default false).
    #[serde(default)]
    pub prune: bool,
}

/// A list answer where the REST API returns a bare array.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

/// What a delete did.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    /// The id of what was deleted.
    pub id: String,
    /// Always true: a failed delete is an error.
    pub deleted: bool,
}
