//! The agent tool registry: every tool `/agent/mcp` serves (the entries are
//! in `catalog`), by name. Each entry names its scope (a required argument:
//! an entry without one does not compile), its MCP hints, its input and output types — whose JSON Schemas
//! are the REST API's own (see [`super::schema`]) — and a handler that calls
//! the very function the REST handler calls, with the agent as the actor of
//! its writes. Failures are the REST API's errors: the tool error's text is
//! the `detail` the REST API would answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::scope::Scope;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::model::Actor;

/// What a call runs with.
pub struct Cx {
    /// The application.
    pub s: AppState,
    /// The agent, as the author of writes.
    pub actor: Actor,
}

type Handler = Arc<dyn Fn(Cx, Map<String, Value>) -> BoxFuture<'static, ApiResult<Value>> + Send + Sync>;

/// MCP behaviour hints of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints {
    /// Changes nothing.
    pub read_only: bool,
    /// May delete or overwrite what exists.
    pub destructive: bool,
    /// Calling it again with the same arguments changes nothing more.
    pub idempotent: bool,
}

/// Reads only.
pub const READ: Hints = Hints { read_only: true, destructive: false, idempotent: true };
/// Adds something new each call.
pub const ADD: Hints = Hints { read_only: false, destructive: false, idempotent: false };
/// Changes what exists; the same change twice is one change.
pub const CHANGE: Hints = Hints { read_only: false, destructive: true, idempotent: true };
/// Removes what exists.
pub const REMOVE: Hints = Hints { read_only: false, destructive: true, idempotent: true };
/// Publishes or replaces what runtimes serve.
pub const PUBLISH: Hints = Hints { read_only: false, destructive: true, idempotent: false };

/// One agent tool.
pub struct AgentTool {
    /// Its name in `tools/list`.
    pub name: &'static str,
    /// What it does, for a model to act on.
    pub description: &'static str,
    /// The scope a credential needs to list and call it.
    pub scope: Scope,
    /// MCP hints.
    pub hints: Hints,
    /// JSON Schema of its arguments.
    pub input_schema: Arc<JsonObject>,
    /// JSON Schema of its `structuredContent`.
    pub output_schema: Arc<JsonObject>,
    handler: Handler,
}

impl AgentTool {
    /// Runs the tool with `args` (checked against its input type first).
    pub fn call(&self, cx: Cx, args: Map<String, Value>) -> BoxFuture<'static, ApiResult<Value>> {
        if let Some(unknown) = args.keys().find(|k| !self.accepts(k)) {
            let known: Vec<&str> = self.properties().collect();
            let message = format!("unknown argument {unknown:?}; this tool takes {}", known.join(", "));
            return Box::pin(std::future::ready(Err(ApiError::invalid(unknown.as_str(), message))));
        }
        (self.handler)(cx, args)
    }

    fn properties(&self) -> impl Iterator<Item = &str> {
        self.input_schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|p| p.keys())
            .map(String::as_str)
    }

    fn accepts(&self, name: &str) -> bool {
        self.properties().any(|p| p == name)
    }

    /// The `tools/list` entry.
    pub fn mcp(&self) -> McpTool {
        let hints = ToolAnnotations::new()
            .read_only(self.hints.read_only)
            .destructive(self.hints.destructive)
            .idempotent(self.hints.idempotent)
            .open_world(false);
        let mut tool = McpTool::new(self.name, self.description, self.input_schema.clone()).annotate(hints);
        tool.output_schema = Some(self.output_schema.clone());
        let mut meta = JsonObject::new();
        meta.insert("quarry/scope".into(), Value::String(self.scope.as_str().into()));
        tool.meta = Some(rmcp::model::MetaObject(meta));
        tool
    }
}

/// Reads `args` as `I`; a mismatch names the argument and what it should be.
fn parse<I: DeserializeOwned>(args: Map<String, Value>) -> ApiResult<I> {
    serde_path_to_error::deserialize(Value::Object(args)).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { "arguments".to_string() } else { path };
        ApiError::invalid(path, e.into_inner().to_string())
    })
}

/// An entry: `scope` is not optional.
pub(super) fn tool<I, O, F, Fut>(
    name: &'static str,
    scope: Scope,
    hints: Hints,
    description: &'static str,
    run: F,
) -> AgentTool
where
    I: DeserializeOwned + ToSchema + Send + 'static,
    O: Serialize + ToSchema + 'static,
    F: Fn(Cx, I) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ApiResult<O>> + Send + 'static,
{
    let run = Arc::new(run);
    let handler: Handler = Arc::new(move |cx, args| {
        let run = run.clone();
        Box::pin(async move {
            let input = parse::<I>(args)?;
            let out = run(cx, input).await?;
            serde_json::to_value(out).map_err(ApiError::internal)
        })
    });
    AgentTool {
        name,
        description,
        scope,
        hints,
        input_schema: super::schema::of::<I>(),
        output_schema: super::schema::of::<O>(),
        handler,
    }
}

/// Every agent tool, by name.
pub struct Registry {
    tools: BTreeMap<&'static str, AgentTool>,
}

impl Registry {
    /// The tool named `name`.
    pub fn get(&self, name: &str) -> Option<&AgentTool> {
        self.tools.get(name)
    }

    /// Every tool, by name.
    pub fn all(&self) -> impl Iterator<Item = &AgentTool> {
        self.tools.values()
    }

    /// Builds the registry (once per process; schemas are computed here).
    pub fn build() -> Registry {
        let mut tools = BTreeMap::new();
        for t in super::catalog::entries() {
            assert!(tools.insert(t.name, t).is_none(), "agent tool names are unique");
        }
        Registry { tools }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_covers_every_admin_capability_with_object_schemas() {
        let r = Registry::build();
        assert!(r.all().count() >= 44, "{} tools", r.all().count());
        for t in r.all() {
            assert_eq!(t.input_schema["type"], "object", "{}", t.name);
            assert_eq!(t.output_schema["type"], "object", "{}", t.name);
            assert!(t.description.len() > 40, "{} needs a description a model can act on", t.name);
            assert!(!(t.hints.read_only && t.hints.destructive), "{}", t.name);
            let text =
                serde_json::to_string(&*t.input_schema).unwrap() + &serde_json::to_string(&*t.output_schema).unwrap();
            assert!(!text.contains("#/components/"), "{}: {text}", t.name);
            for schema in [&t.input_schema, &t.output_schema] {
                let text = serde_json::to_string(&**schema).unwrap();
                for r in text.split("\"$ref\":\"#/$defs/").skip(1) {
                    let name = r.split('"').next().unwrap();
                    assert!(schema["$defs"].get(name).is_some(), "{}: {name} is referred to but not defined", t.name);
                }
            }
        }
        // Every scope guards at least one tool.
        for s in Scope::ALL {
            assert!(r.all().any(|t| t.scope == s), "no tool needs {s}");
        }
    }
}
