//! SQLite values to JSON (by storage class, refined by the declared type)
//! and JSON arguments to bound values.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Number, Value};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow, SqliteValueRef};
use sqlx::{Decode, Row, Sqlite, TypeInfo, ValueRef};

use crate::db::Column;

type Q<'q> = Query<'q, Sqlite, SqliteArguments>;

/// Binds one argument: integers as INTEGER, other numbers as REAL, booleans
/// as 0/1, strings as TEXT, NULL as NULL.
pub(crate) fn bind<'q>(q: Q<'q>, v: &Value) -> Q<'q> {
    match v {
        Value::Null => q.bind(None::<i64>),
        Value::Bool(b) => q.bind(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => q.bind(i),
            // Beyond i64 SQLite has no exact integer; bind the digits as text.
            None if n.is_u64() => q.bind(n.to_string()),
            None => q.bind(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => q.bind(s.clone()),
        other => q.bind(other.to_string()),
    }
}

/// One row as a JSON object keyed by the (de-duplicated) column names.
pub(crate) fn row_json(row: &SqliteRow, columns: &[Column]) -> Map<String, Value> {
    let mut out = Map::with_capacity(columns.len());
    for (i, col) in columns.iter().enumerate() {
        let value = row.try_get_raw(i).map(|v| value_json(v, &col.db_type)).unwrap_or(Value::Null);
        out.insert(col.name.clone(), value);
    }
    out
}

fn value_json(v: SqliteValueRef<'_>, declared: &str) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let storage = v.type_info().name().to_string();
    match storage.as_str() {
        "INTEGER" | "BOOLEAN" => match <i64 as Decode<Sqlite>>::decode(v) {
            Ok(i) if declared.eq_ignore_ascii_case("BOOLEAN") => Value::Bool(i != 0),
            Ok(i) => i.into(),
            Err(_) => Value::Null,
        },
        "REAL" => match <f64 as Decode<Sqlite>>::decode(v) {
            Ok(f) => f.to_string().parse::<Number>().map(Value::Number).unwrap_or(Value::String(f.to_string())),
            Err(_) => Value::Null,
        },
        "BLOB" => <&[u8] as Decode<Sqlite>>::decode(v).map(|b| Value::String(B64.encode(b))).unwrap_or(Value::Null),
        // SQLite has no JSON type: JSON is text, and stays a string.
        _ => Value::String(<&str as Decode<Sqlite>>::decode(v).unwrap_or_default().to_string()),
    }
}
