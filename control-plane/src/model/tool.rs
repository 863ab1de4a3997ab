//! A tool: parameterised SQL an MCP client calls.

use std::collections::HashSet;

use mcp_runtime::db::ColumnDesc;
use serde::{Deserialize, Serialize};
use shared_model::manifest::ToolAnnotations;
use shared_model::manifest::oauth::check_scopes;
use shared_model::params::check_params;
use shared_model::{ParamDef, Problems, check_placeholders};
use utoipa::ToSchema;
use uuid::Uuid;

use super::published::{Linked, Published, check_common, check_len};

/// Return shapes a tool may declare.
pub const RETURN_TYPES: [&str; 3] = ["rows", "row", "scalar"];

/// The editable fields of a tool.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ToolFields {
    /// The connection the SQL runs on.
    pub connection_id: Uuid,
    /// Unique, MCP-safe name (letters, digits, `_`, `-`; 1–64).
    pub name: String,
    /// What the tool does, for the model (1–5000 characters).
    pub description: String,
    /// One SQL statement; `:name` placeholders take the parameters' values.
    pub sql_query: String,
    /// One definition per placeholder: name, type (string, integer, number,
    /// boolean, array), required, default, enum, description, min, max, pattern.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// Free labels for grouping (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Shape of the result: `rows` (default), `row` or `scalar`.
    #[serde(default = "rows")]
    pub return_type: String,
    /// A minijinja template applied to the rows (≤ 100000 bytes).
    #[serde(default)]
    pub transform_template: Option<String>,
    /// MCP hints: read_only (default true; enforced by the engine), destructive, idempotent, open_world.
    #[serde(default)]
    pub annotations: ToolAnnotations,
    /// Seconds a result is cached per argument set (0–86400; 0 = off).
    #[serde(default)]
    pub cache_ttl: u32,
    /// Disabled tools are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// Whether a result cut by the row or byte cap can be continued with the signed `next_cursor` it carries
    /// (passed back as the `cursor` argument; paged by offset). Only with `return_type` `rows`.
    #[serde(default)]
    pub pageable: bool,
    /// OAuth scopes a token must carry to list and call the tool when the server's auth mode is `oauth` (≤ 10;
    /// empty = the server's default scope, `mcp:tools` unless changed). Ignored in the other auth modes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The statement's result columns as the database described them when the
    /// tool was last saved (or deployed): the tool's output schema is derived
    /// from them. Set by the server, never by the client (a value sent is
    /// ignored); absent when the database could not be asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub result_columns: Option<Vec<ColumnDesc>>,
}

/// The field holding a tool's derived result columns.
pub const RESULT_COLUMNS: &str = "result_columns";

fn rows() -> String {
    "rows".into()
}
fn yes() -> bool {
    true
}

/// A stored tool.
pub type Tool = super::Versioned<ToolFields>;

impl Published for ToolFields {
    const WHAT: &'static str = "tool";

    fn name(&self) -> &str {
        &self.name
    }

    fn rename(&mut self, name: String) {
        self.name = name;
    }

    fn connection_id(&self) -> Option<Uuid> {
        Some(self.connection_id)
    }

    /// Columns described for other SQL, another connection or other
    /// parameters no longer describe the tool: an edit that changes those
    /// and does not bring columns of its own drops them (the deploy derives
    /// them again).
    fn drop_stale(&mut self, before: &Self, supplied: &HashSet<String>) {
        let changed = self.sql_query != before.sql_query
            || self.connection_id != before.connection_id
            || self.parameters != before.parameters;
        if changed && !supplied.contains(RESULT_COLUMNS) {
            self.result_columns = None;
        }
    }

    fn validate(&self, linked: Linked) -> Result<(), Problems> {
        let Some(dialect) = linked.dialect()? else {
            return Err(Problems::one("connection_id", "is required"));
        };
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        check_len("sql_query", Some(&self.sql_query), 100_000, &mut p);
        check_params(&self.parameters, "parameters", &mut p);
        check_scopes(&self.scopes, "scopes", &mut p);
        check_placeholders(&self.sql_query, dialect, &self.parameters, ("sql_query", "parameters"), true, &mut p);
        if !RETURN_TYPES.contains(&self.return_type.as_str()) {
            p.push("return_type", format!("must be one of {}", RETURN_TYPES.join(", ")));
        }
        check_len("transform_template", self.transform_template.as_deref(), 100_000, &mut p);
        if self.cache_ttl > 86_400 {
            p.push("cache_ttl", "must be between 0 and 86400 seconds");
        }
        if self.pageable && self.return_type != "rows" {
            p.push("pageable", "only a tool with return_type `rows` can be paged");
        }
        if self.pageable && self.parameters.iter().any(|d| d.name == shared_model::manifest::PAGE_CURSOR) {
            p.push("pageable", "a pageable tool takes `cursor` itself; rename the parameter `cursor`");
        }
        p.into_result()
    }
}
