//! Tools, resources and prompts: what clients see and call.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::params::ParamDef;

/// A SQL tool exposed as an MCP tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// MCP tool name (an entity name, unique after normalisation).
    pub name: String,
    /// Human-readable title shown by clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the tool does, shown to the model; one is generated when empty.
    #[serde(default)]
    pub description: String,
    /// One SQL statement with `:name` placeholders for the parameters.
    pub sql: String,
    /// Id of the connection the SQL runs on.
    pub connection: String,
    /// Declared parameters, one per placeholder.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// Behaviour hints passed to clients as MCP tool annotations.
    #[serde(default)]
    pub annotations: ToolAnnotations,
    /// Seconds a result is served from cache for the same arguments (0 = off, ≤ 86400).
    #[serde(default)]
    pub cache_ttl_seconds: u32,
    /// What the result is: every row (`rows`, the default), the first row
    /// (`row`) or the first column of the first row (`scalar`). It shapes
    /// `structuredContent` and the text block; a transform still sees every row.
    // Left out when `rows`, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "ReturnType::is_rows")]
    pub return_type: ReturnType,
    /// A minijinja template turning the result into the text the model reads;
    /// it sees `rows`, `columns`, `row_count`, `truncated`, `params` (the
    /// call's arguments) and `vars` (the server's global variables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform_template: Option<String>,
    /// Result and time bounds.
    #[serde(default)]
    pub limits: ResultLimits,
    /// Whether a result cut by `max_rows`/`max_bytes` can be continued: the
    /// result then carries a signed `next_cursor`, and the tool accepts it
    /// back as the `cursor` argument to return the following rows (paged by
    /// offset). Only for `return_type: rows`.
    // Left out when false, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pageable: bool,
    /// The JSON Schema (draft 2020-12, an object schema) of the tool's
    /// `structuredContent`, advertised to clients as `outputSchema`. The
    /// control plane derives it from the statement's result columns as the
    /// database describes them, the `return_type` and `server.exact_numerics`;
    /// absent when they could not be described (the tool then has none).
    // Left out when absent, so a manifest written before the field existed
    // loads and keeps its content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Map<String, Value>>,
    /// OAuth scopes a caller's token must all carry to see and use this tool
    /// when the server's auth mode is `oauth` (at most 10); empty means the
    /// server's `default_scope`. Ignored in the other auth modes.
    // Left out when empty, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// The argument a pageable tool takes its page cursor in.
pub const PAGE_CURSOR: &str = "cursor";

/// The shape of a tool's result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReturnType {
    /// Every row: `structuredContent` is `{"columns", "rows", "row_count", "truncated"}`
    /// and the text is the JSON list of rows.
    #[default]
    Rows,
    /// The first row: `structuredContent` is `{"row": {...}}`, or `{"row": null}`
    /// when the query returned no row; the text is the JSON of that row (or `null`).
    Row,
    /// The first column of the first row: `structuredContent` is `{"value": ...}`,
    /// `{"value": null}` when there is no row; the text is the JSON of that value.
    Scalar,
}

impl ReturnType {
    /// The three shapes, as written in manifests and the API.
    pub const ALL: [ReturnType; 3] = [ReturnType::Rows, ReturnType::Row, ReturnType::Scalar];

    /// The name used in manifests and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnType::Rows => "rows",
            ReturnType::Row => "row",
            ReturnType::Scalar => "scalar",
        }
    }

    /// Whether this is the default, `rows`.
    pub fn is_rows(&self) -> bool {
        *self == ReturnType::Rows
    }
}

impl std::str::FromStr for ReturnType {
    type Err = String;

    fn from_str(s: &str) -> Result<ReturnType, String> {
        ReturnType::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a return type (rows, row or scalar)"))
    }
}

/// MCP tool annotations: hints for clients, not enforcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolAnnotations {
    /// The tool does not modify its environment (the engine enforces read-only SQL).
    #[serde(default = "yes")]
    pub read_only: bool,
    /// The tool may perform destructive updates.
    #[serde(default)]
    pub destructive: bool,
    /// Repeating a call with the same arguments has no further effect.
    #[serde(default = "yes")]
    pub idempotent: bool,
    /// The tool talks to an open world of external entities.
    #[serde(default)]
    pub open_world: bool,
}

fn yes() -> bool {
    true
}

impl Default for ToolAnnotations {
    fn default() -> Self {
        ToolAnnotations { read_only: true, destructive: false, idempotent: true, open_world: false }
    }
}

/// Bounds on one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultLimits {
    /// Most rows returned; more are cut with a truncation notice (1–100000).
    #[serde(default = "default_max_rows")]
    pub max_rows: u32,
    /// Most bytes of JSON rows returned; more are cut with a notice (1 KiB–16 MiB).
    #[serde(default = "default_max_bytes")]
    pub max_bytes: u32,
    /// Statement timeout in seconds (1–3600).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
}

fn default_max_rows() -> u32 {
    1000
}
fn default_max_bytes() -> u32 {
    1024 * 1024
}
fn default_timeout() -> u32 {
    30
}

impl Default for ResultLimits {
    fn default() -> Self {
        ResultLimits {
            max_rows: default_max_rows(),
            max_bytes: default_max_bytes(),
            timeout_seconds: default_timeout(),
        }
    }
}

/// A resource (fixed `uri`) or resource template (`uri_template` with `{param}`s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Resource name (an entity name, unique after normalisation).
    pub name: String,
    /// Human-readable title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the resource holds.
    #[serde(default)]
    pub description: String,
    /// A fixed URI; exactly one of `uri` and `uri_template` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// An RFC 6570 level-1 template such as `orders://{customer_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri_template: Option<String>,
    /// MIME type of the content (SQL results default to `application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Where the content comes from.
    pub source: ResourceSource,
    /// Parameters bound from the URI template's variables (SQL sources only).
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// Result and time bounds for SQL sources.
    #[serde(default)]
    pub limits: ResultLimits,
    /// OAuth scopes a caller's token must all carry to see and use this resource
    /// when the server's auth mode is `oauth` (at most 10); empty means the
    /// server's `default_scope`. Ignored in the other auth modes.
    // Left out when empty, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// The content of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResourceSource {
    /// Rows of a SQL query, returned as JSON.
    Sql {
        /// One SQL statement; `:name` placeholders take the URI's parameters.
        sql: String,
        /// Id of the connection the SQL runs on.
        connection: String,
    },
    /// Fixed text.
    Text {
        /// The text returned.
        text: String,
    },
    /// Fixed binary content.
    Blob {
        /// The bytes, base64-encoded.
        base64: String,
    },
}

/// A prompt template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    /// Prompt name (an entity name, unique after normalisation).
    pub name: String,
    /// Human-readable title (≤ 255 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the prompt is for.
    #[serde(default)]
    pub description: String,
    /// The text, where `{arg}` is replaced by the argument's value; other
    /// braces are left as they are (1–100000 characters).
    pub template: String,
    /// Declared arguments (at most 50).
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// OAuth scopes a caller's token must all carry to see and use this prompt
    /// when the server's auth mode is `oauth` (at most 10); empty means the
    /// server's `default_scope`. Ignored in the other auth modes.
    // Left out when empty, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// One argument of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PromptArgument {
    /// The name used as `{name}` in the template.
    pub name: String,
    /// Shown to the user or model.
    #[serde(default)]
    pub description: String,
    /// Whether `prompts/get` must supply it.
    #[serde(default = "yes")]
    pub required: bool,
    /// Value used when an optional argument is missing (else empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Suggested values, offered by `completion/complete`.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<String>,
}
