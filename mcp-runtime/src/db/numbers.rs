//! Numbers no client can corrupt.
//!
//! The drivers write integers and decimals as JSON numbers with the
//! database's exact digits. Most clients (JavaScript's `JSON.parse`, Python's
//! default `json` for decimals) read a JSON number into an IEEE-754 double, so
//! `9007199254740993` becomes `9007199254740992` and
//! `12345678901234.123456` loses its last digits without a word. After the
//! rows are collected, [`apply`] rewrites such values as JSON strings holding
//! the exact digits:
//! - [`ExactNumerics::StringWhenUnsafe`] (default): a number becomes a string
//!   only when parsing it as a double and printing that double back (shortest
//!   form) does not give the same decimal value; small numbers stay numbers.
//! - [`ExactNumerics::String`]: every value of a 64-bit integer or decimal
//!   column is a string (16/32-bit integers stay numbers).
//!
//! Floating-point columns always survive the round trip (their text is a
//! double's shortest form) and JSON columns are the user's own documents:
//! neither is touched.

use serde_json::{Map, Value};
use shared_model::manifest::ExactNumerics;

use super::{Column, DbType};

/// What kind of number a result column holds, from its database type name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    /// 16/32-bit integers (always exact as a double).
    Narrow,
    /// 64-bit integers (signed or unsigned); SQLite's `INTEGER`.
    Wide,
    /// `numeric` / `decimal`.
    Decimal,
    /// `real`, `double`, `float`.
    Float,
    /// `json`/`jsonb`: the document is passed through untouched.
    Json,
    /// Anything else (text, dates, unknown or user-defined types).
    Other,
}

/// The [`NumberKind`] of a column of type `db_type` (as [`Column::db_type`]
/// reports it); arrays (`_int8`) report their element's kind.
pub fn number_kind(db: DbType, db_type: &str) -> NumberKind {
    let t = db_type.to_ascii_lowercase();
    match db {
        DbType::Postgresql => match t.trim_start_matches('_') {
            "int2" | "int4" | "oid" => NumberKind::Narrow,
            "int8" => NumberKind::Wide,
            "numeric" => NumberKind::Decimal,
            "float4" | "float8" => NumberKind::Float,
            "json" | "jsonb" => NumberKind::Json,
            _ => NumberKind::Other,
        },
        DbType::Mysql => match t.trim_end_matches(" unsigned") {
            "tinyint" | "smallint" | "mediumint" | "int" | "year" => NumberKind::Narrow,
            "bigint" | "bit" => NumberKind::Wide,
            "decimal" => NumberKind::Decimal,
            "float" | "double" => NumberKind::Float,
            "json" => NumberKind::Json,
            _ => NumberKind::Other,
        },
        // SQLite's type affinity rules (https://sqlite.org/datatype3.html §3.1).
        DbType::Sqlite if t.contains("int") => NumberKind::Wide,
        DbType::Sqlite if t.contains("real") || t.contains("floa") || t.contains("doub") => NumberKind::Float,
        DbType::Sqlite if t.contains("numeric") || t.contains("decimal") => NumberKind::Decimal,
        DbType::Sqlite => NumberKind::Other,
    }
}

/// Rewrites the numbers of `rows` that `mode` wants as strings, in place.
pub(crate) fn apply(db: DbType, columns: &[Column], rows: &mut [Map<String, Value>], mode: ExactNumerics) {
    let kinds: Vec<NumberKind> = columns.iter().map(|c| number_kind(db, &c.db_type)).collect();
    if kinds.iter().all(|k| matches!(k, NumberKind::Float | NumberKind::Json)) {
        return;
    }
    for row in rows {
        // Rows hold the columns in order (serde_json keeps insertion order).
        for (value, kind) in row.values_mut().zip(&kinds) {
            let always = mode == ExactNumerics::String && matches!(kind, NumberKind::Wide | NumberKind::Decimal);
            if !matches!(kind, NumberKind::Float | NumberKind::Json) {
                rewrite(value, always);
            }
        }
    }
}

fn rewrite(value: &mut Value, always: bool) {
    match value {
        Value::Number(n) if always || !survives_double(n.as_str()) => *value = Value::String(n.as_str().to_string()),
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, always)),
        _ => {}
    }
}

/// Whether a client reading `text` into an IEEE-754 double gets the same
/// decimal value back (the double's shortest form equals `text` up to sign,
/// leading and trailing zeros).
pub fn survives_double(text: &str) -> bool {
    let digits = text.trim_start_matches('-');
    // Fast path: every integer of at most 15 digits is exact in a double.
    if digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let Ok(f) = text.parse::<f64>() else { return false };
    if !f.is_finite() {
        return false;
    }
    if text.contains(['e', 'E']) {
        // Exponent forms do not come from the drivers; keep them when the
        // significant digits fit the 15 every double holds.
        return digits.bytes().take_while(|b| *b != b'e' && *b != b'E').filter(u8::is_ascii_digit).count() <= 15;
    }
    plain_decimal(text) == plain_decimal(&f.to_string())
}

/// `-0012.3400` → `-12.34`; `0.0` → `0`; `100` → `100`.
fn plain_decimal(text: &str) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let zero = int == "0" && frac.is_empty();
    let sign = if negative && !zero { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{int}") } else { format!("{sign}{int}.{frac}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_values_a_double_cannot_hold_fail_the_round_trip() {
        for safe in ["0", "-7", "8.75", "1.50", "0.1", "9007199254740992", "123456789012345", "1e3", "-0.000001"] {
            assert!(survives_double(safe), "{safe}");
        }
        for unsafe_ in ["9007199254740993", "18446744073709551615", "12345678901234.123456", "0.12345678901234567891"] {
            assert!(!survives_double(unsafe_), "{unsafe_}");
        }
    }

    fn columns(types: &[(&str, &str)]) -> Vec<Column> {
        types.iter().map(|(n, t)| Column { name: n.to_string(), db_type: t.to_string() }).collect()
    }

    #[test]
    fn unsafe_numbers_become_strings_and_the_string_mode_covers_wide_columns_only() {
        let cols = columns(&[("big", "int8"), ("small", "int4"), ("f", "float8"), ("doc", "jsonb"), ("ids", "_int8")]);
        let row = json!({"big": 9007199254740993_u64, "small": 7, "f": 0.5, "doc": {"n": 9007199254740993_u64},
                         "ids": [1, 9007199254740993_u64]});
        let mut rows = vec![row.as_object().unwrap().clone()];
        apply(DbType::Postgresql, &cols, &mut rows, ExactNumerics::StringWhenUnsafe);
        assert_eq!(
            Value::Object(rows[0].clone()),
            json!({"big": "9007199254740993", "small": 7, "f": 0.5, "doc": {"n": 9007199254740993_u64},
                   "ids": [1, "9007199254740993"]})
        );
        let mut rows = vec![json!({"big": 5, "small": 7, "f": 0.5, "doc": 1, "ids": [1]}).as_object().unwrap().clone()];
        apply(DbType::Postgresql, &cols, &mut rows, ExactNumerics::String);
        assert_eq!(Value::Object(rows[0].clone()), json!({"big": "5", "small": 7, "f": 0.5, "doc": 1, "ids": ["1"]}));
    }
}
