//! The document's types: format version 1. They copy the model's fields on
//! purpose instead of reusing them: the file format is a contract of its own
//! (people keep these files in git), so a new model field must be added here
//! deliberately — the exhaustive conversions below stop compiling until it is.
//! Tools and resources name their connection by name: ids belong to one store.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::{PromptArgument, SslMode, ToolAnnotations};
use shared_model::{DbType, ParamDef, is_secret_key};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::connection::{ConnectionInput, StoredConnection};
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;
use crate::settings::ServerSettings;

/// The newest format this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;

/// Quarry's configuration as one document: connections (without secrets),
/// tools, resources, prompts and the server settings. Tokens and secrets are
/// never part of it. Entities are matched by name on import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Quarry configuration document")]
pub struct PortableDocument {
    /// The version of this format (currently 1). Documents from a newer Quarry are refused.
    pub format_version: u32,
    /// Server settings, global variables included (not the MCP tokens). Absent: left as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSettings>,
    /// Database connections, without passwords or secret extra parameters.
    #[serde(default)]
    pub connections: Vec<PortableConnection>,
    /// SQL tools.
    #[serde(default)]
    pub tools: Vec<PortableTool>,
    /// Resources.
    #[serde(default)]
    pub resources: Vec<PortableResource>,
    /// Prompts.
    #[serde(default)]
    pub prompts: Vec<PortablePrompt>,
}

/// A database connection. Export never writes its password or secret extra parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortableConnection {
    /// Unique, MCP-safe name (letters, digits, `_`, `-`; 1–64); tools and resources refer to it.
    pub name: String,
    /// `postgresql`, `mysql` (also MariaDB) or `sqlite`.
    pub db_type: String,
    /// Server host name or address (not used for SQLite).
    #[serde(default)]
    pub host: String,
    /// Server port; absent: the engine's usual port (not used for SQLite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Database name, or the file path for SQLite.
    pub database: String,
    /// Login name.
    #[serde(default)]
    pub username: String,
    /// Read on import only, never exported. `quarry apply` resolves `${VAR}` from its environment; the HTTP
    /// import takes only a literal. Absent: a new connection gets none, an existing one keeps its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// TLS policy: `disable`, `prefer` (default), `require`, `verify-ca`, `verify-full`.
    #[serde(default)]
    pub ssl_mode: SslMode,
    /// Answer a PostgreSQL server asking for the password in cleartext or as MD5 without TLS (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_cleartext_password: bool,
    /// Extra driver parameters. Secret ones (keys naming a password, secret, token or key) are never exported;
    /// on import they may be given like `password`, and stored ones absent here are kept.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extra_params: Map<String, Value>,
    /// Connections kept open when idle (0–100).
    #[serde(default)]
    pub pool_min_size: i32,
    /// Most connections open at once (1–100).
    #[serde(default = "pool_max")]
    pub pool_max_size: i32,
    /// Most queries running at once (1–200).
    #[serde(default = "max_concurrent")]
    pub max_concurrent_queries: i32,
    /// Longest a call waits for a slot (1–300 s).
    #[serde(default = "queue_timeout")]
    pub queue_timeout_seconds: i32,
    /// Whether calls queue for a slot.
    #[serde(default = "yes")]
    pub queue_enabled: bool,
    /// Inactive connections and their tools are not deployed.
    #[serde(default = "yes")]
    pub is_active: bool,
    /// PostgreSQL: volatile functions read-only queries may call on top of the built-in allowlist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_functions: Vec<String>,
    /// PostgreSQL: the role read-only calls run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_role: Option<String>,
}

/// A SQL tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortableTool {
    /// The name of the connection the SQL runs on (in this document or already in the store).
    pub connection: String,
    /// Unique, MCP-safe name.
    pub name: String,
    /// What the tool does, for the model (1–5000 characters).
    pub description: String,
    /// One SQL statement; `:name` placeholders take the parameters' values.
    pub sql_query: String,
    /// One definition per placeholder.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParamDef>,
    /// Free labels (≤ 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Shape of the result: `rows` (default), `row` or `scalar`.
    #[serde(default = "rows")]
    pub return_type: String,
    /// A minijinja template applied to the rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform_template: Option<String>,
    /// MCP hints: read_only, destructive, idempotent, open_world.
    #[serde(default)]
    pub annotations: ToolAnnotations,
    /// Seconds a result is cached per argument set (0–86400; 0 = off).
    #[serde(default)]
    pub cache_ttl: u32,
    /// Disabled tools are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// Whether a cut result can be continued with a cursor (`return_type` `rows` only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pageable: bool,
    /// OAuth scopes required in auth mode `oauth` (≤ 10; empty = the server's default scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// A resource: SQL rows or static content behind a URI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortableResource {
    /// The name of the connection a SQL resource runs on (absent for static content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// Unique, MCP-safe name.
    pub name: String,
    /// What the resource holds (1–5000 characters).
    pub description: String,
    /// A URI such as `reports://daily`, or a template such as `users://{user_id}/orders`.
    pub uri_template: String,
    /// One SQL statement whose `:name` placeholders are the template's `{name}`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_query: Option<String>,
    /// Fixed text returned as is (instead of SQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_content: Option<String>,
    /// One definition per URI template variable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<ParamDef>,
    /// MIME type of the content (default `application/json`).
    #[serde(default = "json_mime")]
    pub mime_type: String,
    /// Free labels (≤ 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Disabled resources are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// OAuth scopes required in auth mode `oauth` (≤ 10; empty = the server's default scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// A prompt template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortablePrompt {
    /// Unique, MCP-safe name.
    pub name: String,
    /// Human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the prompt is for (1–5000 characters).
    pub description: String,
    /// The text; each `{arg}` is replaced by that argument's value.
    pub template: String,
    /// Declared arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<PromptArgument>,
    /// Free labels (≤ 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Disabled prompts are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// OAuth scopes required in auth mode `oauth` (≤ 10; empty = the server's default scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

fn pool_max() -> i32 {
    10
}
fn max_concurrent() -> i32 {
    5
}
fn queue_timeout() -> i32 {
    30
}
fn yes() -> bool {
    true
}
fn rows() -> String {
    "rows".into()
}
fn json_mime() -> String {
    "application/json".into()
}

impl PortableDocument {
    /// The JSON Schema of the document (what `docs/config-document.schema.json` holds).
    pub fn json_schema() -> Value {
        serde_json::to_value(schemars::schema_for!(PortableDocument)).expect("schemas serialize")
    }
}

impl PortableConnection {
    /// The exported form of a stored connection: no password, no secret extra parameters.
    pub fn export(c: &StoredConnection) -> Self {
        let StoredConnection {
            id: _,
            name,
            db_type,
            host,
            port,
            database,
            username,
            password: _,
            ssl_mode,
            allow_cleartext_password,
            extra_params,
            pool_min_size,
            pool_max_size,
            max_concurrent_queries,
            queue_timeout_seconds,
            queue_enabled,
            is_active,
            allowed_functions,
            read_only_role,
            version: _,
            created_at: _,
            updated_at: _,
        } = c.clone();
        PortableConnection {
            name,
            db_type: db_type.as_str().into(),
            host,
            port: if db_type == DbType::Sqlite { None } else { u16::try_from(port).ok() },
            database,
            username,
            password: None,
            ssl_mode,
            allow_cleartext_password,
            extra_params: extra_params.into_iter().filter(|(k, _)| !is_secret_key(k)).collect(),
            pool_min_size,
            pool_max_size,
            max_concurrent_queries,
            queue_timeout_seconds,
            queue_enabled,
            is_active,
            allowed_functions,
            read_only_role,
        }
    }

    /// The model's input for these fields.
    pub fn into_input(self) -> ConnectionInput {
        let PortableConnection {
            name,
            db_type,
            host,
            port,
            database,
            username,
            password,
            ssl_mode,
            allow_cleartext_password,
            extra_params,
            pool_min_size,
            pool_max_size,
            max_concurrent_queries,
            queue_timeout_seconds,
            queue_enabled,
            is_active,
            allowed_functions,
            read_only_role,
        } = self;
        ConnectionInput {
            name,
            db_type,
            host,
            port,
            database,
            username,
            password,
            ssl_mode,
            allow_cleartext_password,
            extra_params,
            pool_min_size,
            pool_max_size,
            max_concurrent_queries,
            queue_timeout_seconds,
            queue_enabled,
            is_active,
            allowed_functions,
            read_only_role,
        }
    }
}

impl PortableTool {
    /// The exported form of a tool whose connection is called `connection`.
    pub fn export(f: ToolFields, connection: String) -> Self {
        let ToolFields {
            connection_id: _,
            name,
            description,
            sql_query,
            parameters,
            tags,
            return_type,
            transform_template,
            annotations,
            cache_ttl,
            is_enabled,
            pageable,
            scopes,
            // Derived from the database, so not part of the configuration:
            // the importing store's next deploy describes the SQL again.
            result_columns: _,
        } = f;
        PortableTool {
            connection,
            name,
            description,
            sql_query,
            parameters,
            tags,
            return_type,
            transform_template,
            annotations,
            cache_ttl,
            is_enabled,
            pageable,
            scopes,
        }
    }

    /// The model's fields, on the connection with `connection_id`.
    pub fn into_fields(self, connection_id: Uuid) -> ToolFields {
        let PortableTool {
            connection: _,
            name,
            description,
            sql_query,
            parameters,
            tags,
            return_type,
            transform_template,
            annotations,
            cache_ttl,
            is_enabled,
            pageable,
            scopes,
        } = self;
        ToolFields {
            connection_id,
            name,
            description,
            sql_query,
            parameters,
            tags,
            return_type,
            transform_template,
            annotations,
            cache_ttl,
            is_enabled,
            pageable,
            scopes,
            result_columns: None,
        }
    }
}

impl PortableResource {
    /// The exported form of a resource whose connection (if any) is called `connection`.
    pub fn export(f: ResourceFields, connection: Option<String>) -> Self {
        let ResourceFields {
            connection_id: _,
            name,
            description,
            uri_template,
            sql_query,
            static_content,
            parameters,
            mime_type,
            tags,
            is_enabled,
            scopes,
        } = f;
        PortableResource {
            connection,
            name,
            description,
            uri_template,
            sql_query,
            static_content,
            parameters,
            mime_type,
            tags,
            is_enabled,
            scopes,
        }
    }

    /// The model's fields, on the connection with `connection_id` (if any).
    pub fn into_fields(self, connection_id: Option<Uuid>) -> ResourceFields {
        let PortableResource {
            connection: _,
            name,
            description,
            uri_template,
            sql_query,
            static_content,
            parameters,
            mime_type,
            tags,
            is_enabled,
            scopes,
        } = self;
        ResourceFields {
            connection_id,
            name,
            description,
            uri_template,
            sql_query,
            static_content,
            parameters,
            mime_type,
            tags,
            is_enabled,
            scopes,
        }
    }
}

impl From<PromptFields> for PortablePrompt {
    fn from(f: PromptFields) -> Self {
        let PromptFields { name, title, description, template, arguments, tags, is_enabled, scopes } = f;
        PortablePrompt { name, title, description, template, arguments, tags, is_enabled, scopes }
    }
}

impl From<PortablePrompt> for PromptFields {
    fn from(p: PortablePrompt) -> Self {
        let PortablePrompt { name, title, description, template, arguments, tags, is_enabled, scopes } = p;
        PromptFields { name, title, description, template, arguments, tags, is_enabled, scopes }
    }
}

#[cfg(test)]
mod tests {
    use super::PortableDocument;

    #[test]
    fn the_published_schema_is_the_one_this_build_reads() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/config-document.schema.json");
        let published: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("the schema is committed")).unwrap();
        assert!(
            published == PortableDocument::json_schema(),
            "docs/config-document.schema.json is stale: regenerate it with `quarry export --schema`"
        );
    }
}
