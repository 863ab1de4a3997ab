//! A prompt: a template whose `{arg}`s the client fills.

use serde::{Deserialize, Serialize};
use shared_model::manifest::PromptArgument;
use shared_model::manifest::oauth::check_scopes;
use shared_model::{Problems, validate_name};
use utoipa::ToSchema;
use uuid::Uuid;

use super::published::{Linked, Published, check_common, check_len};

/// The editable fields of a prompt.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct PromptFields {
    /// Unique, MCP-safe name.
    pub name: String,
    /// Human-readable title (≤ 255 characters).
    #[serde(default)]
    pub title: Option<String>,
    /// What the prompt is for (1–5000 characters).
    pub description: String,
    /// The text; each `{arg}` is replaced by that argument's value (1–100000 bytes).
    pub template: String,
    /// Declared arguments: name, description, required, default, enum (≤ 50).
    #[serde(default)]
    pub arguments: Vec<PromptArgument>,
    /// Free labels (≤ 50).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Disabled prompts are not deployed.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// OAuth scopes a token must carry to list and get the prompt when the server's auth mode is `oauth` (≤ 10;
    /// empty = the server's default scope, `mcp:tools` unless changed). Ignored in the other auth modes.
    #[serde(default)]
    pub scopes: Vec<String>,
}

fn yes() -> bool {
    true
}

/// A stored prompt.
pub type Prompt = super::Versioned<PromptFields>;

impl Published for PromptFields {
    const WHAT: &'static str = "prompt";

    fn name(&self) -> &str {
        &self.name
    }

    fn rename(&mut self, name: String) {
        self.name = name;
    }

    fn connection_id(&self) -> Option<Uuid> {
        None
    }

    fn validate(&self, _: Linked) -> Result<(), Problems> {
        let mut p = Problems::default();
        check_common(&self.name, &self.description, &self.tags, &mut p);
        if self.template.trim().is_empty() {
            p.push("template", "must not be empty");
        }
        check_len("template", Some(&self.template), 100_000, &mut p);
        check_scopes(&self.scopes, "scopes", &mut p);
        if self.title.as_ref().is_some_and(|t| t.chars().count() > 255) {
            p.push("title", "must be at most 255 characters");
        }
        if self.arguments.len() > 50 {
            p.push("arguments", "at most 50 arguments are allowed");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.arguments.iter().enumerate() {
            let here = format!("arguments[{i}]");
            if let Err(e) = validate_name(&a.name) {
                p.push(format!("{here}.name"), e);
            }
            if !seen.insert(a.name.as_str()) {
                p.push(format!("{here}.name"), format!("argument {:?} is declared twice", a.name));
            }
            if !self.template.contains(&format!("{{{}}}", a.name)) {
                p.push(format!("{here}.name"), format!("the template never uses {{{}}}", a.name));
            }
            if a.description.chars().count() > 1000 {
                p.push(format!("{here}.description"), "must be at most 1000 characters");
            }
            if let Some(d) = &a.default
                && !a.enum_values.is_empty()
                && !a.enum_values.contains(d)
            {
                p.push(format!("{here}.default"), "must be one of the enum values");
            }
        }
        p.into_result()
    }
}
