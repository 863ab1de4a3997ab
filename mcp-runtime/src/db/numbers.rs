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
    if kinds.iter().all(|k| matches!(k, NumberKind::Narrow | NumberKind::Float | NumberKind::Json)) {
        return;
    }
    for row in rows {
        // Rows hold the columns in order (serde_json keeps insertion order).
        for (value, kind) in row.values_mut().zip(&kinds) {
            let always = mode == ExactNumerics::String && matches!(kind, NumberKind::Wide | NumberKind::Decimal);
            // 16/32-bit integers are exact in a double; floats and JSON are left alone.
            if !matches!(kind, NumberKind::Narrow | NumberKind::Float | NumberKind::Json) {
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
    let digits = text.strip_prefix('-').unwrap_or(text);
    // Fast path, no allocation: a plain decimal with at most 15 significant
    // digits (DBL_DIG) maps to a double whose shortest form is that same
    // value. Leading zeros of the integer part and trailing zeros of the
    // fraction do not count; zeros right after the point do, which keeps
    // tiny magnitudes (that could underflow) on the exact path below.
    if let Some(n) = plain_digits(digits)
        && n <= 15
    {
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

/// How many digits of the plain decimal `digits` (no sign) count: those of
/// the integer part without its leading zeros and those of the fraction
/// without its trailing zeros. `None` for anything but `123`, `1.5`, `.5`
/// or `1.` shapes (exponents, signs, other characters).
fn plain_digits(digits: &str) -> Option<usize> {
    // One pass over the bytes: this runs for every wide number of a result.
    let (mut count, mut pending_zeros, mut fraction, mut leading, mut any) = (0, 0, false, true, false);
    for &b in digits.as_bytes() {
        match b {
            b'.' if !fraction => fraction = true,
            b'0'..=b'9' => {
                any = true;
                if !fraction {
                    leading &= b == b'0';
                    count += usize::from(!leading);
                } else if b == b'0' {
                    pending_zeros += 1;
                } else {
                    count += pending_zeros + 1;
                    pending_zeros = 0;
                }
            }
            _ => return None,
        }
    }
    any.then_some(count)
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

    /// The exact check, without the fast path: what `survives_double` must agree with.
    fn round_trips(text: &str) -> bool {
        let f: f64 = text.parse().unwrap();
        f.is_finite() && plain_decimal(text) == plain_decimal(&f.to_string())
    }

    #[test]
    fn the_fast_path_agrees_with_the_round_trip() {
        // 200,000 plain decimals of up to 15 significant digits, zeros padded on both sides, from a fixed-seed LCG.
        let mut next = crate::db::test_sequence(0x2026_1206);
        for _ in 0..200_000 {
            let int_len = next(16) as usize;
            let frac_len = next(16 - int_len as u64) as usize;
            let digit = |next: &mut dyn FnMut(u64) -> u64| char::from(b'0' + next(10) as u8);
            let mut text = String::new();
            if next(4) == 0 {
                text.push('-');
            }
            text.extend((0..next(3)).map(|_| '0'));
            text.extend((0..int_len).map(|_| digit(&mut next)));
            if frac_len > 0 || next(2) == 0 {
                text.push('.');
                text.extend((0..frac_len).map(|_| digit(&mut next)));
                text.extend((0..next(3)).map(|_| '0'));
            }
            if text.trim_start_matches('-').is_empty() || text.trim_start_matches('-') == "." {
                continue;
            }
            assert!(plain_digits(text.trim_start_matches('-')).is_some_and(|n| n <= 15), "{text}");
            assert_eq!(survives_double(&text), round_trips(&text), "{text}");
            assert!(survives_double(&text), "{text}: 15 significant digits always survive");
        }
    }

    #[test]
    fn long_or_tiny_decimals_take_the_exact_path() {
        let tiny = format!("0.{}1", "0".repeat(400));
        assert!(!survives_double(&tiny), "1e-401 underflows to 0");
        let huge = format!("1{}", "0".repeat(400));
        assert!(!survives_double(&huge), "1e400 overflows");
        assert!(
            survives_double("123000000000000000000"),
            "1.23e20 is exact enough: its shortest form is the same value"
        );
        assert!(!survives_double("1234567890123456.1"), "doubles near 1.2e15 step by 0.25");
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
