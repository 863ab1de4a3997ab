//! A tool's result as MCP clients see it: the `structuredContent` object each
//! `return_type` produces ([`structured`]) and the JSON Schema that describes
//! it ([`output_schema`], published as the tool's `outputSchema`). They sit
//! side by side so that one cannot change without the other.
//!
//! The schema is derived from the statement's result columns as the database
//! describes them ([`ColumnDesc`]), the engine's JSON mapping (see [`crate::db`])
//! and the server's `exact_numerics` setting: a column whose numbers
//! [`crate::db::numbers`] may turn into strings admits strings, a column of
//! 16/32-bit integers stays `integer`. It only promises what every value
//! keeps, so where the mapping cannot know (JSON documents, PostgreSQL types
//! it does not recognise, SQLite's per-row storage classes) it stays wide.
//! Every `format` holds for every value (PostgreSQL's `infinity` dates and
//! timestamps are named beside theirs), so clients that assert formats may.

use serde_json::{Map, Value, json};
use shared_model::manifest::{ExactNumerics, ReturnType};

use crate::db::numbers::{NumberKind, number_kind};
use crate::db::{ColumnDesc, DbType};

/// The dialect every schema Quarry publishes is written in (SEP-1613/2106).
pub const JSON_SCHEMA_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// The key under which a cut page of a pageable tool carries its cursor.
pub const NEXT_CURSOR: &str = "next_cursor";

/// `structuredContent` for `return_type` (always an object, as MCP requires),
/// and the key whose value an untransformed text block repeats:
/// `rows` → `{columns, rows, row_count, truncated}`; `row` → `{"row": first
/// row or null}`; `scalar` → `{"value": first column of the first row, or null}`.
pub fn structured(
    return_type: ReturnType,
    columns: Vec<String>,
    rows: Vec<Value>,
    truncated: bool,
) -> (&'static str, Map<String, Value>) {
    let mut structured = Map::new();
    let key = match return_type {
        ReturnType::Rows => {
            structured.insert("columns".into(), columns.into());
            structured.insert("row_count".into(), rows.len().into());
            structured.insert("truncated".into(), truncated.into());
            structured.insert("rows".into(), Value::Array(rows));
            "rows"
        }
        ReturnType::Row => {
            structured.insert("row".into(), rows.into_iter().next().unwrap_or(Value::Null));
            "row"
        }
        ReturnType::Scalar => {
            // Rows are keyed by name; the column list keeps the query's order.
            let value = match (rows.into_iter().next(), columns.first()) {
                (Some(Value::Object(mut row)), Some(first)) => row.remove(first).unwrap_or(Value::Null),
                _ => Value::Null,
            };
            structured.insert("value".into(), value);
            "value"
        }
    };
    (key, structured)
}

/// The JSON Schema (draft 2020-12, naming its dialect) of the
/// `structuredContent` a tool returning `columns` from a `db` database
/// produces for `return_type`; `pageable` adds the optional `next_cursor`.
pub fn output_schema(
    db: DbType,
    columns: &[ColumnDesc],
    return_type: ReturnType,
    exact: ExactNumerics,
    pageable: bool,
) -> Map<String, Value> {
    let mut properties = Map::new();
    let required: &[&str] = match return_type {
        ReturnType::Rows => {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            properties.insert("columns".into(), json!({"type": "array", "items": {"type": "string"}, "const": names}));
            properties.insert("row_count".into(), json!({"type": "integer", "minimum": 0}));
            properties.insert("truncated".into(), json!({"type": "boolean"}));
            properties.insert("rows".into(), json!({"type": "array", "items": row_object(db, columns, exact)}));
            if pageable {
                let cursor = json!({"type": "string", "description": "Pass back as `cursor` for the next rows."});
                properties.insert(NEXT_CURSOR.into(), cursor);
            }
            &["columns", "row_count", "truncated", "rows"]
        }
        ReturnType::Row => {
            let mut row = row_object(db, columns, exact);
            row.insert("type".into(), json!(["object", "null"]));
            properties.insert("row".into(), Value::Object(row));
            &["row"]
        }
        ReturnType::Scalar => {
            let value = columns.first().map_or(json!({"type": "null"}), |c| or_null(column_schema(db, c, exact)));
            properties.insert("value".into(), value);
            &["value"]
        }
    };
    let mut schema = Map::new();
    schema.insert("$schema".into(), json!(JSON_SCHEMA_2020_12));
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), json!(required));
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

/// One row: every column, nothing else.
fn row_object(db: DbType, columns: &[ColumnDesc], exact: ExactNumerics) -> Map<String, Value> {
    let properties: Map<String, Value> =
        columns.iter().map(|c| (c.name.clone(), column_schema(db, c, exact))).collect();
    let mut row = Map::new();
    row.insert("type".into(), json!("object"));
    row.insert("properties".into(), Value::Object(properties));
    row.insert("required".into(), json!(columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>()));
    row.insert("additionalProperties".into(), json!(false));
    row
}

/// The values of one column: its type's JSON, plus `null` unless the
/// database vouches that the column is never NULL.
pub fn column_schema(db: DbType, c: &ColumnDesc, exact: ExactNumerics) -> Value {
    let name = c.sql_type.to_ascii_lowercase();
    // PostgreSQL names an array type after its element with a leading `_`;
    // its elements may be NULL, and arrays nest.
    let schema = match name.strip_prefix('_').filter(|_| db == DbType::Postgresql) {
        Some(element) => json!({"type": "array", "items": widen(value_schema(db, element, exact), &["array", "null"])}),
        None => value_schema(db, &name, exact),
    };
    if c.nullable == Some(false) { schema } else { or_null(schema) }
}

/// `schema` also admitting `null`.
fn or_null(schema: Value) -> Value {
    widen(schema, &["null"])
}

/// `schema` also admitting the JSON types `extra` (a schema without `type`
/// admits everything already).
fn widen(mut schema: Value, extra: &[&str]) -> Value {
    let Some(ty) = schema.get_mut("type") else { return schema };
    let mut types: Vec<Value> = match ty.take() {
        Value::Array(list) => list,
        one => vec![one],
    };
    for e in extra {
        if !types.iter().any(|t| t == e) {
            types.push(json!(e));
        }
    }
    *ty = Value::Array(types);
    schema
}

/// The JSON of one non-NULL value of the type named `name` (lowercase).
fn value_schema(db: DbType, name: &str, exact: ExactNumerics) -> Value {
    if name.is_empty() {
        // The server named no type (see `ColumnDesc::sql_type`).
        return json!({});
    }
    let strings = exact == ExactNumerics::String;
    // `number_kind` is what `numbers::apply` goes by: the same call decides
    // which numbers may arrive as strings.
    match (db, number_kind(db, name)) {
        (_, NumberKind::Json) => json!({}),
        (DbType::Sqlite, kind) => sqlite_value(name, kind, strings),
        (_, NumberKind::Narrow) => json!({"type": "integer"}),
        (_, NumberKind::Wide) if strings => json!({"type": "string", "pattern": "^-?[0-9]+$"}),
        (_, NumberKind::Wide) => json!({"type": ["integer", "string"], "pattern": "^-?[0-9]+$"}),
        (_, NumberKind::Decimal) if strings => json!({"type": "string", "format": "decimal"}),
        (_, NumberKind::Decimal) => json!({"type": ["number", "string"], "format": "decimal"}),
        // NaN and ±Infinity arrive as strings.
        (DbType::Postgresql, NumberKind::Float) => json!({"type": ["number", "string"]}),
        (_, NumberKind::Float) => json!({"type": "number"}),
        (DbType::Postgresql, NumberKind::Other) => pg_value(name),
        (DbType::Mysql, NumberKind::Other) => mysql_value(name),
    }
}

/// Built-in PostgreSQL types the engine sends as text (or base64).
const PG_TEXT: &[&str] = &[
    "text",
    "varchar",
    "bpchar",
    "name",
    "char",
    "citext",
    "unknown",
    "time",
    "timetz",
    "timestamp",
    "interval",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "bit",
    "varbit",
    "xml",
    "money",
    "tsvector",
    "tsquery",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "pg_lsn",
    "jsonpath",
    "regclass",
    "regtype",
    "regproc",
    "record",
    "void",
];

fn pg_value(name: &str) -> Value {
    match name {
        "bool" => json!({"type": "boolean"}),
        "date" => pg_infinite("date"),
        "timestamptz" => pg_infinite("date-time"),
        "uuid" => json!({"type": "string", "format": "uuid"}),
        "bytea" => json!({"type": "string", "contentEncoding": "base64"}),
        _ if PG_TEXT.contains(&name) => json!({"type": "string"}),
        // A domain decodes as its base type, an enum or composite as text:
        // the name alone does not say which.
        _ => json!({}),
    }
}

/// A date or timestamp string of `format`, or PostgreSQL's `infinity` / `-infinity`.
fn pg_infinite(format: &str) -> Value {
    json!({"type": "string", "anyOf": [{"format": format}, {"enum": ["infinity", "-infinity"]}]})
}

fn mysql_value(name: &str) -> Value {
    match name {
        "null" => json!({"type": "null"}),
        "set" => json!({"type": "array", "items": {"type": "string"}}),
        "date" => json!({"type": "string", "format": "date"}),
        "blob" | "binary" | "varbinary" | "geometry" => json!({"type": "string", "contentEncoding": "base64"}),
        _ => json!({"type": "string"}),
    }
}

/// SQLite stores any value in any column (the declared type is an affinity,
/// https://sqlite.org/datatype3.html): only text affinity guarantees text.
fn sqlite_value(name: &str, kind: NumberKind, strings: bool) -> Value {
    match kind {
        NumberKind::Wide | NumberKind::Decimal if strings => json!({"type": "string"}),
        _ if ["char", "clob", "text"].iter().any(|t| name.contains(t)) => json!({"type": "string"}),
        _ if name == "boolean" => json!({"type": ["boolean", "number", "string"]}),
        _ => json!({"type": ["number", "string"]}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, sql_type: &str, nullable: Option<bool>) -> ColumnDesc {
        ColumnDesc { name: name.into(), sql_type: sql_type.into(), nullable }
    }

    #[test]
    fn wide_numbers_admit_strings_by_the_setting_and_narrow_ones_stay_integers() {
        let cols = [col("big", "int8", Some(false)), col("small", "int4", None), col("amount", "numeric", None)];
        let s = output_schema(DbType::Postgresql, &cols, ReturnType::Row, ExactNumerics::StringWhenUnsafe, false);
        let row = &s["properties"]["row"];
        assert_eq!(row["type"], json!(["object", "null"]));
        assert_eq!(row["properties"]["big"], json!({"type": ["integer", "string"], "pattern": "^-?[0-9]+$"}));
        assert_eq!(row["properties"]["small"], json!({"type": ["integer", "null"]}));
        assert_eq!(row["properties"]["amount"]["type"], json!(["number", "string", "null"]));
        let s = output_schema(DbType::Postgresql, &cols, ReturnType::Scalar, ExactNumerics::String, false);
        assert_eq!(s["properties"]["value"], json!({"type": ["string", "null"], "pattern": "^-?[0-9]+$"}));
        assert_eq!(s["required"], json!(["value"]));
    }

    #[test]
    fn rows_list_the_columns_and_a_pageable_tool_its_cursor() {
        let cols = [col("tags", "_text", None), col("doc", "jsonb", Some(false))];
        let s = output_schema(DbType::Postgresql, &cols, ReturnType::Rows, ExactNumerics::default(), true);
        assert_eq!(s["$schema"], json!(JSON_SCHEMA_2020_12));
        assert_eq!(s["properties"]["columns"]["const"], json!(["tags", "doc"]));
        let item = &s["properties"]["rows"]["items"];
        assert_eq!(item["properties"]["tags"]["items"], json!({"type": ["string", "array", "null"]}));
        assert_eq!(item["properties"]["doc"], json!({}));
        assert_eq!(item["required"], json!(["tags", "doc"]));
        assert_eq!(s["properties"][NEXT_CURSOR]["type"], json!("string"));
        let no_columns = output_schema(DbType::Sqlite, &[], ReturnType::Scalar, ExactNumerics::default(), false);
        assert_eq!(no_columns["properties"]["value"], json!({"type": "null"}));
    }
}
