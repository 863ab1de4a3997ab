//! A resource: the rows of a SQL query, or static content, behind a URI.

use serde::{Deserialize, Serialize};
use shared_model::manifest::oauth::check_scopes;
use shared_model::params::check_params;
use shared_model::{ParamDef, Problems, check_placeholders, uri_template_params};
use utoipa::ToSchema;
use uuid::Uuid;

use super::published::{Linked, Published, check_common, check_len};

/// The editable fields of a resource.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    /// The connection a SQL resource runs on (absent for static content).
    #[serde(default)]
    pub connection_id: Option<Uuid>,
    /// Unique, MCP-safe name.
    pub name: String,
    /// What the resource holds (1–5000 characters).
    pub description: String,
    /// A URI such as `reports://daily`, or a template such as `users://{user_id}/orders`.
    pub uri_template: String,
    /// One SQL statement whose `:name` placeholders are the template's `{name}`s.
    #[serde(default)]
    pub sql_query: Option<String>,
    /// Fixed text returned as is (instead of SQL; ≤ 1000000 bytes).
    #[serde(default)]
    pub static_content: Option<String>,
    /// One definition per URI template variable.
    #[serde(default)]
    pub parameters: Vec<ParamDef>,
    /// MIME type of the content (default `application/json`).
    #[serde(default = "json_mime")]
    pub mime_type: String,
    /// Free labels (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Disabled resources are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// OAuth scopes a token must carry to list and read the resource when the server's auth mode is `oauth` (≤ 10;
    /// empty = the server's default scope, `mcp:tools` unless changed). Ignored in the other auth modes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn json_mime() -> String {
    "application/json".into()
}
fn yes() -> bool {
    true
}

/// A stored resource.
pub type Resource = super::Versioned<ResourceFields>;

fn valid_mime(m: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    m.len() <= 255 && m.split_once('/').is_some_and(|(t, sub)| token(t) && token(sub.split(';').next().unwrap_or("")))
}

impl Published for ResourceFields {
    const WHAT: &'static str = "resource";

    fn name(&self) -> &str {
        &self.name
    }

    fn rename(&mut self, name: String) {
        self.name = name;
    }

    fn connection_id(&self) -> Option<Uuid> {
        self.connection_id
    }

    fn validate(&self, linked: Linked) -> Result<(), Problems> {
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        if !self.uri_template.contains("://")
            || self.uri_template.len() > 1024
            || self.uri_template.contains(char::is_whitespace)
        {
            p.push("uri_template", "must look like scheme://path, without spaces, at most 1024 characters");
        }
        let uri_params =
            uri_template_params(&self.uri_template).map_err(|e| p.push("uri_template", e)).unwrap_or_default();
        if !valid_mime(&self.mime_type) {
            p.push("mime_type", "must be a MIME type such as application/json or text/plain");
        }
        check_params(&self.parameters, "parameters", &mut p);
        check_scopes(&self.scopes, "scopes", &mut p);
        match (&self.sql_query, &self.static_content) {
            (Some(sql), None) => {
                check_len("sql_query", Some(sql), 100_000, &mut p);
                match self.connection_id {
                    Some(_) => {
                        let Some(dialect) = linked.dialect()? else {
                            return Err(Problems::one("connection_id", "is required"));
                        };
                        check_placeholders(sql, dialect, &self.parameters, ("sql_query", "parameters"), true, &mut p);
                    }
                    None => p.push("connection_id", "is required for a SQL resource"),
                }
                for name in &uri_params {
                    if !self.parameters.iter().any(|d| &d.name == name) {
                        p.push("uri_template", format!("{{{name}}} has no parameter declared"));
                    }
                }
                for (i, d) in self.parameters.iter().enumerate() {
                    if !uri_params.contains(&d.name) {
                        p.push(format!("parameters[{i}]"), format!("{:?} is not a variable of uri_template", d.name));
                    }
                }
            }
            (None, Some(content)) => {
                check_len("static_content", Some(content), 1_000_000, &mut p);
                if self.connection_id.is_some() {
                    p.push("connection_id", "must be empty for static content");
                }
                if !uri_params.is_empty() || !self.parameters.is_empty() {
                    p.push("uri_template", "static content cannot take parameters; use a fixed URI");
                }
            }
            _ => p.push("sql_query", "give either sql_query (with connection_id) or static_content, not both"),
        }
        p.into_result()
    }
}
