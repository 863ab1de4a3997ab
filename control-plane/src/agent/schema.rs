//! JSON Schemas of agent tool inputs and outputs, taken from the same utoipa
//! derives that document the REST API: a tool's `inputSchema` and
//! `outputSchema` are the REST request and response schemas of the Rust
//! types both share, so the two descriptions cannot drift. The schema of `T`
//! is inlined at the root and every type it refers to goes under `$defs`
//! (JSON Schema 2020-12, which OpenAPI 3.1's schemas are).

use std::sync::{Arc, LazyLock};

use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

const COMPONENTS: &str = "#/components/schemas/";

/// Every named schema of the REST API's OpenAPI document, as JSON: where the
/// references of generic types (whose `schemas()` utoipa leaves empty for
/// their parameters) are found.
static DOCUMENTED: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let doc = serde_json::to_value(crate::api::openapi_document()).unwrap_or_default();
    doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default()
});

/// The JSON Schema of `T`, with the types it refers to under `$defs`.
pub fn of<T: ToSchema>() -> Arc<JsonObject> {
    let mut root = serde_json::to_value(T::schema()).unwrap_or_default();
    let mut own = Vec::new();
    T::schemas(&mut own);
    let mut pool: Map<String, Value> = DOCUMENTED.clone();
    for (name, schema) in own {
        pool.insert(name, serde_json::to_value(schema).unwrap_or_default());
    }
    // The transitive closure of what the root refers to.
    let mut defs = Map::new();
    let mut pending = refs(&root);
    while let Some(name) = pending.pop() {
        if defs.contains_key(&name) {
            continue;
        }
        let Some(mut schema) = pool.get(&name).cloned() else { continue };
        // As in the OpenAPI document (`api::OpenServerSettings`): the settings
        // refuse unknown fields on input, but `ServerConfig` extends them.
        if name == "ServerSettings"
            && let Some(o) = schema.as_object_mut()
        {
            o.remove("additionalProperties");
        }
        pending.extend(refs(&schema));
        rewrite_refs(&mut schema);
        defs.insert(name, schema);
    }
    rewrite_refs(&mut root);
    let mut root = match root {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    // MCP wants an object schema at the root of inputs and outputs.
    root.entry("type").or_insert_with(|| json!("object"));
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    if !defs.is_empty() {
        root.insert("$defs".into(), Value::Object(defs));
    }
    Arc::new(root)
}

/// The names of the component schemas `v` refers to.
fn refs(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                if let Some(name) = o.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix(COMPONENTS)) {
                    out.push(name.to_string());
                }
                stack.extend(o.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// Points `#/components/schemas/X` references at `#/$defs/X`.
fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(name) = r.strip_prefix(COMPONENTS)
            {
                *r = format!("#/$defs/{name}");
            }
            o.values_mut().for_each(rewrite_refs);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_schema_refers_only_to_its_own_defs() {
        let s = super::of::<crate::api::releases::ReleaseDiff>();
        let text = serde_json::to_string(&*s).unwrap();
        assert!(!text.contains("#/components/"), "{text}");
        assert_eq!(s["type"], "object");
        assert!(s["$defs"].get("DiffEntry").is_some(), "{text}");
        // A generic answer finds its parameter's schema too.
        let items = super::of::<crate::agent::inputs::Items<mcp_runtime::db::TableInfo>>();
        assert!(items["$defs"].get("TableInfo").is_some(), "{}", serde_json::to_string(&*items).unwrap());
    }
}
