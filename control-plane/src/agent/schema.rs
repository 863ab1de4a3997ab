//! JSON Schemas of agent tool inputs and outputs, taken from the same utoipa
//! derives that document the REST API: a tool's `inputSchema` and
//! `outputSchema` are the REST request and response schemas of the Rust
//! types both share, so the two descriptions cannot drift. The schema of `T`
//! is inlined at the root and every type it refers to goes under `$defs`
//! (JSON Schema 2020-12, which OpenAPI 3.1's schemas are).

use std::sync::Arc;

use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

const COMPONENTS: &str = "#/components/schemas/";

/// The JSON Schema of `T`, with the types it refers to under `$defs`.
pub fn of<T: ToSchema>() -> Arc<JsonObject> {
    let mut root = match serde_json::to_value(T::schema()) {
        Ok(Value::Object(o)) => o,
        _ => Map::new(),
    };
    let mut refs = Vec::new();
    T::schemas(&mut refs);
    let mut defs = Map::new();
    for (name, schema) in refs {
        let mut v = serde_json::to_value(schema).unwrap_or_default();
        // As in the OpenAPI document (`api::OpenServerSettings`): the settings
        // refuse unknown fields on input, but `ServerConfig` extends them.
        if name == "ServerSettings"
            && let Some(o) = v.as_object_mut()
        {
            o.remove("additionalProperties");
        }
        defs.insert(name, v);
    }
    let mut root_value = Value::Object(std::mem::take(&mut root));
    rewrite_refs(&mut root_value);
    let mut defs = Value::Object(defs);
    rewrite_refs(&mut defs);
    let Value::Object(mut root) = root_value else { unreachable!("built as an object") };
    // MCP wants an object schema at the root of inputs and outputs.
    root.entry("type").or_insert_with(|| json!("object"));
    root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    if defs.as_object().is_some_and(|d| !d.is_empty()) {
        root.insert("$defs".into(), defs);
    }
    Arc::new(root)
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
    }
}
