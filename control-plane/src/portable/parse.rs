//! Reading a document from JSON or YAML text, reporting every problem with its
//! path (`tools[3].parameters[0].type`) instead of stopping at the first one:
//! the version is checked first (a newer format is refused before anything
//! else is read), then each entity is read on its own, so one bad tool does not
//! hide another. Unknown fields are found from the JSON Schema's property
//! names, so all of an entity's unknown fields are listed, not just the first.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared_model::Problems;

use super::document::{
    FORMAT_VERSION, PortableConnection, PortableDocument, PortablePrompt, PortableResource, PortableTool,
};
use crate::settings::ServerSettings;

/// A text format of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// YAML (1.2; JSON is also accepted).
    Yaml,
}

impl Format {
    /// `json` or `yaml`/`yml`.
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// Reads a document from `text`; every problem, or the document.
pub fn from_text(text: &str, format: Format) -> Result<PortableDocument, Problems> {
    let parsed = read_text(text, format)?;
    parsed.problems.into_result()?;
    Ok(parsed.doc)
}

/// Reads what can be read of a document in `text` (see [`read`]).
pub fn read_text(text: &str, format: Format) -> Result<Parsed, Problems> {
    let value: Value = match format {
        Format::Json => serde_json::from_str(text).map_err(|e| Problems::one("document", format!("not JSON: {e}")))?,
        Format::Yaml => {
            serde_norway::from_str(text).map_err(|e| Problems::one("document", format!("not YAML: {e}")))?
        }
    };
    read(value)
}

/// Writes `doc` as text.
pub fn to_text(doc: &PortableDocument, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(doc).expect("documents serialize") + "\n",
        // Through JSON text, which keeps the fields in the document's order; serde_json's
        // arbitrary-precision numbers arrive as a private one-entry map, turned back into numbers.
        Format::Yaml => {
            let json = serde_json::to_string(doc).expect("documents serialize");
            let yaml: serde_norway::Value = serde_json::from_str(&json).expect("JSON reads as YAML");
            serde_norway::to_string(&numbers(yaml)).expect("documents serialize")
        }
    }
}

fn numbers(v: serde_norway::Value) -> serde_norway::Value {
    use serde_norway::Value as Y;
    const NUMBER: &str = "$serde_json::private::Number";
    match v {
        Y::Mapping(m) if m.len() == 1 && m.contains_key(NUMBER) => {
            let text = m.get(NUMBER).and_then(Y::as_str).unwrap_or_default();
            serde_norway::from_str(text).unwrap_or_else(|_| Y::String(text.to_string()))
        }
        Y::Mapping(m) => Y::Mapping(m.into_iter().map(|(k, v)| (k, numbers(v))).collect()),
        Y::Sequence(items) => Y::Sequence(items.into_iter().map(numbers).collect()),
        other => other,
    }
}

/// A document as far as it could be read: the entities that were readable,
/// the problems of those that were not, and where each readable entity stood
/// in the original lists (so later problems name the right index).
pub struct Parsed {
    /// The readable part.
    pub doc: PortableDocument,
    /// What could not be read.
    pub problems: Problems,
    /// For each list, the original index of each readable entity.
    pub origins: Origins,
}

/// Original list positions of a [`Parsed`] document's entities.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Of `connections`.
    pub connections: Vec<usize>,
    /// Of `tools`.
    pub tools: Vec<usize>,
    /// Of `resources`.
    pub resources: Vec<usize>,
    /// Of `prompts`.
    pub prompts: Vec<usize>,
}

impl Origins {
    /// `list[i]` as the original document numbers it.
    pub fn path(&self, list: &str, i: usize) -> String {
        let positions = match list {
            "connections" => &self.connections,
            "tools" => &self.tools,
            "resources" => &self.resources,
            _ => &self.prompts,
        };
        format!("{list}[{}]", positions.get(i).copied().unwrap_or(i))
    }
}

impl From<PortableDocument> for Parsed {
    fn from(doc: PortableDocument) -> Self {
        let origins = Origins {
            connections: (0..doc.connections.len()).collect(),
            tools: (0..doc.tools.len()).collect(),
            resources: (0..doc.resources.len()).collect(),
            prompts: (0..doc.prompts.len()).collect(),
        };
        Parsed { doc, problems: Problems::default(), origins }
    }
}

/// Reads a document from parsed JSON or YAML; every problem, or the document.
pub fn from_value(value: Value) -> Result<PortableDocument, Problems> {
    let parsed = read(value)?;
    parsed.problems.into_result()?;
    Ok(parsed.doc)
}

/// Reads what can be read of a document. `Err` only when nothing can: not an
/// object, or a missing or newer `format_version`.
pub fn read(value: Value) -> Result<Parsed, Problems> {
    let Value::Object(mut top) = value else {
        return Err(Problems::one("document", "must be an object with format_version, connections, tools, …"));
    };
    let format_version = match top.remove("format_version") {
        None => return Err(Problems::one("format_version", "is required (this Quarry writes 1)")),
        Some(v) => match v.as_u64() {
            Some(n) if n > u64::from(FORMAT_VERSION) => {
                return Err(Problems::one(
                    "format_version",
                    format!("{n} is newer than this Quarry understands ({FORMAT_VERSION}); upgrade Quarry"),
                ));
            }
            Some(n) if n >= 1 => n as u32,
            _ => return Err(Problems::one("format_version", format!("must be a whole number from 1 (got {v})"))),
        },
    };
    let mut p = Problems::default();
    let known = known_fields::<PortableDocument>();
    for key in top.keys().filter(|k| !known.contains(*k)) {
        p.push(key.as_str(), "unknown field; expected format_version, server, connections, tools, resources, prompts");
    }
    let server =
        top.remove("server").filter(|v| !v.is_null()).and_then(|v| entity::<ServerSettings>(v, "server", &mut p));
    let (connections, c) = list::<PortableConnection>(&mut top, "connections", &mut p);
    let (tools, t) = list::<PortableTool>(&mut top, "tools", &mut p);
    let (resources, r) = list::<PortableResource>(&mut top, "resources", &mut p);
    let (prompts, pr) = list::<PortablePrompt>(&mut top, "prompts", &mut p);
    let doc = PortableDocument { format_version, server, connections, tools, resources, prompts };
    Ok(Parsed { doc, problems: p, origins: Origins { connections: c, tools: t, resources: r, prompts: pr } })
}

fn list<T: DeserializeOwned + JsonSchema>(
    top: &mut Map<String, Value>,
    key: &str,
    p: &mut Problems,
) -> (Vec<T>, Vec<usize>) {
    match top.remove(key) {
        None | Some(Value::Null) => Default::default(),
        Some(Value::Array(items)) => {
            let known = known_fields::<T>();
            items
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| entity_with::<T>(v, &format!("{key}[{i}]"), &known, p).map(|e| (e, i)))
                .unzip()
        }
        Some(_) => {
            p.push(key, "must be a list");
            Default::default()
        }
    }
}

fn entity<T: DeserializeOwned + JsonSchema>(v: Value, path: &str, p: &mut Problems) -> Option<T> {
    entity_with(v, path, &known_fields::<T>(), p)
}

/// Reads one entity; `known` are its field names (computed once per list).
fn entity_with<T: DeserializeOwned>(v: Value, path: &str, known: &BTreeSet<String>, p: &mut Problems) -> Option<T> {
    let Value::Object(obj) = &v else {
        p.push(path, "must be an object");
        return None;
    };
    let unknown: Vec<&String> = obj.keys().filter(|k| !known.contains(*k)).collect();
    if !unknown.is_empty() {
        let expected = known.iter().map(String::as_str).collect::<Vec<_>>().join(", ");
        for key in unknown {
            p.push(join(path, key), format!("unknown field; expected one of {expected}"));
        }
        return None;
    }
    serde_path_to_error::deserialize(v)
        .map_err(|e| {
            let inner = e.path().to_string();
            let at = if inner == "." { path.to_string() } else { join(path, &inner) };
            p.push(at, e.into_inner().to_string());
        })
        .ok()
}

/// The field names `T`'s JSON Schema declares.
fn known_fields<T: JsonSchema>() -> BTreeSet<String> {
    let schema = serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialize");
    schema.get("properties").and_then(Value::as_object).map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

fn join(path: &str, inner: &str) -> String {
    if path.is_empty() { inner.to_string() } else { format!("{path}.{inner}") }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn paths(v: Value) -> Vec<String> {
        from_value(v).unwrap_err().0.into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn a_newer_format_is_refused_before_anything_else_is_read() {
        let p = from_value(json!({"format_version": 2, "whatever": []})).unwrap_err();
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0[0].path, "format_version");
        assert!(p.0[0].message.contains("newer"), "{p}");
    }

    #[test]
    fn every_unknown_field_and_bad_value_is_listed_with_its_path() {
        let tool = |extra: Value| {
            let mut t = json!({"connection": "db", "name": "t", "description": "d", "sql_query": "SELECT 1"});
            t.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            t
        };
        let got = paths(json!({
            "format_version": 1,
            "extra": 1,
            "tools": [
                tool(json!({})),
                tool(json!({"colour": "red", "size": 2})),
                tool(json!({"parameters": [{"name": "x", "type": "text"}]})),
            ],
            "prompts": "nope",
        }));
        assert_eq!(got, ["extra", "tools[1].colour", "tools[1].size", "tools[2].parameters[0].type", "prompts"]);
    }

    #[test]
    fn yaml_and_json_read_the_same_document() {
        let json = json!({"format_version": 1, "connections": [{"name": "db", "db_type": "sqlite", "database": "/tmp/x.db"}],
            "server": {"server_name": "S", "global_variables": {"limit": 10, "ratio": 0.5, "on": true}}});
        let doc = from_value(json).unwrap();
        let yaml = to_text(&doc, Format::Yaml);
        assert!(yaml.contains("limit: 10"), "{yaml}");
        assert_eq!(from_text(&yaml, Format::Yaml).unwrap(), doc);
        assert_eq!(from_text(&to_text(&doc, Format::Json), Format::Json).unwrap(), doc);
    }
}
