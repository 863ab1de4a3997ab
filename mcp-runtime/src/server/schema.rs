//! MCP tool descriptors from manifest tools: the `inputSchema` derived from
//! the declared parameters, the `outputSchema` the release carries (see
//! [`crate::shape`]), the annotations as hints, and a description that is
//! never empty.

use serde_json::{Map, Value, json};
use shared_model::manifest::Tool;
use shared_model::{ParamDef, ParamType};

pub use crate::shape::JSON_SCHEMA_2020_12;

/// The JSON Schema (draft 2020-12 subset) of a parameter list, naming its
/// dialect; claim-bound parameters (`from_claim`) are left out.
pub fn input_schema(params: &[ParamDef]) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    // A claim-bound parameter is the caller's identity, not the model's input.
    for p in params.iter().filter(|p| p.from_claim.is_none()) {
        properties.insert(p.name.clone(), Value::Object(param_schema(p)));
        if p.required && p.default.is_none() {
            required.push(Value::String(p.name.clone()));
        }
    }
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(JSON_SCHEMA_2020_12));
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

fn param_schema(p: &ParamDef) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("type".into(), json!(p.param_type.json_schema_type()));
    if !p.description.is_empty() {
        s.insert("description".into(), json!(p.description));
    }
    if let Some(d) = &p.default {
        s.insert("default".into(), d.clone());
    }
    let (lo, hi) = match p.param_type {
        ParamType::Integer | ParamType::Number => ("minimum", "maximum"),
        ParamType::String => ("minLength", "maxLength"),
        ParamType::Array => ("minItems", "maxItems"),
        ParamType::Boolean => ("", ""),
    };
    let bound = |v: f64| if p.param_type == ParamType::Number { json!(v) } else { json!(v as i64) };
    if let (Some(v), false) = (p.min, lo.is_empty()) {
        s.insert(lo.into(), bound(v));
    }
    if let (Some(v), false) = (p.max, hi.is_empty()) {
        s.insert(hi.into(), bound(v));
    }
    if let Some(pattern) = &p.pattern {
        s.insert("pattern".into(), json!(pattern));
    }
    if p.param_type == ParamType::Array {
        let mut items = Map::new();
        items.insert("type".into(), json!(p.element_type().json_schema_type()));
        if !p.enum_values.is_empty() {
            items.insert("enum".into(), Value::Array(p.enum_values.clone()));
        }
        s.insert("items".into(), Value::Object(items));
    } else if !p.enum_values.is_empty() {
        s.insert("enum".into(), Value::Array(p.enum_values.clone()));
    }
    s
}

/// The description shown to models; generated from the SQL's purpose when empty.
pub fn description(t: &Tool) -> String {
    if !t.description.trim().is_empty() {
        return t.description.clone();
    }
    let args: Vec<&str> = t.parameters.iter().filter(|p| p.from_claim.is_none()).map(|p| p.name.as_str()).collect();
    if args.is_empty() {
        format!("Runs the read-only SQL query {:?} and returns its rows as JSON.", t.name)
    } else {
        format!("Runs the read-only SQL query {:?} with {} and returns its rows as JSON.", t.name, args.join(", "))
    }
}

/// The `tools/list` entry for a manifest tool.
pub fn mcp_tool(t: &Tool) -> rmcp::model::Tool {
    let a = &t.annotations;
    let mut hints = rmcp::model::ToolAnnotations::new()
        .read_only(a.read_only)
        .destructive(a.destructive)
        .idempotent(a.idempotent)
        .open_world(a.open_world);
    hints.title = t.title.clone();
    let mut input = input_schema(&t.parameters);
    if t.pageable
        && let Some(Value::Object(properties)) = input.get_mut("properties")
    {
        let cursor = serde_json::json!({"type": "string",
            "description": "To continue a cut result: the `next_cursor` it returned (with the same other arguments)."});
        properties.insert(shared_model::manifest::PAGE_CURSOR.into(), cursor);
    }
    let mut tool = rmcp::model::Tool::new(t.name.clone(), description(t), input).annotate(hints);
    if let Some(title) = &t.title {
        tool = tool.with_title(title.clone());
    }
    if let Some(output) = &t.output_schema {
        tool = tool.with_raw_output_schema(std::sync::Arc::new(output.clone()));
    }
    tool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_carries_types_bounds_enums_defaults_and_required() {
        let params: Vec<ParamDef> = serde_json::from_value(json!([
            {"name": "id", "type": "integer", "min": 1, "max": 9, "description": "Id"},
            {"name": "status", "type": "string", "required": false, "enum": ["a", "b"], "pattern": "^[ab]$"},
            {"name": "limit", "type": "integer", "default": 20},
            {"name": "tags", "type": "array", "item_type": "string", "max": 3}
        ]))
        .unwrap();
        let s = Value::Object(input_schema(&params));
        assert_eq!(s["required"], json!(["id", "tags"]));
        assert_eq!(s["properties"]["id"], json!({"type": "integer", "minimum": 1, "maximum": 9, "description": "Id"}));
        assert_eq!(s["properties"]["status"]["enum"], json!(["a", "b"]));
        assert_eq!(s["properties"]["status"]["pattern"], json!("^[ab]$"));
        assert_eq!(s["properties"]["limit"]["default"], json!(20));
        assert_eq!(s["properties"]["tags"]["items"], json!({"type": "string"}));
        assert_eq!(s["properties"]["tags"]["maxItems"], json!(3));
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["$schema"], json!(JSON_SCHEMA_2020_12));
    }
}
