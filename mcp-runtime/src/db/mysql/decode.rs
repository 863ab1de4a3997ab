//! MySQL/MariaDB values (binary protocol) to JSON, and JSON arguments to
//! driver values.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use mysql_async::consts::{ColumnFlags, ColumnType as T};
use mysql_async::{Column, Value as My};
use serde_json::{Number, Value};

/// The `binary` character set: the bytes are not text.
const BINARY_CHARSET: u16 = 63;

/// A JSON argument as a driver value. Integers bind as integers, other
/// numbers as doubles, booleans as 1/0, strings as text.
pub(crate) fn to_mysql(v: &Value) -> My {
    match v {
        Value::Null => My::NULL,
        Value::Bool(b) => My::Int(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => My::Int(i),
            (_, Some(u)) => My::UInt(u),
            _ => My::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => My::Bytes(s.clone().into_bytes()),
        // Arrays are expanded by the compiler; nested ones bind as JSON text.
        other => My::Bytes(other.to_string().into_bytes()),
    }
}

/// The type name shown for a result column, e.g. `BIGINT UNSIGNED`, `SET`.
pub(crate) fn type_name(c: &Column) -> String {
    let flags = c.flags();
    let binary = c.character_set() == BINARY_CHARSET;
    let base = match c.column_type() {
        T::MYSQL_TYPE_TINY => "TINYINT",
        T::MYSQL_TYPE_SHORT => "SMALLINT",
        T::MYSQL_TYPE_INT24 => "MEDIUMINT",
        T::MYSQL_TYPE_LONG => "INT",
        T::MYSQL_TYPE_LONGLONG => "BIGINT",
        T::MYSQL_TYPE_DECIMAL | T::MYSQL_TYPE_NEWDECIMAL => "DECIMAL",
        T::MYSQL_TYPE_FLOAT => "FLOAT",
        T::MYSQL_TYPE_DOUBLE => "DOUBLE",
        T::MYSQL_TYPE_BIT => "BIT",
        T::MYSQL_TYPE_YEAR => "YEAR",
        T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => "DATE",
        T::MYSQL_TYPE_TIME | T::MYSQL_TYPE_TIME2 => "TIME",
        T::MYSQL_TYPE_DATETIME | T::MYSQL_TYPE_DATETIME2 => "DATETIME",
        T::MYSQL_TYPE_TIMESTAMP | T::MYSQL_TYPE_TIMESTAMP2 => "TIMESTAMP",
        T::MYSQL_TYPE_JSON => "JSON",
        T::MYSQL_TYPE_GEOMETRY => "GEOMETRY",
        T::MYSQL_TYPE_NULL => "NULL",
        _ if flags.contains(ColumnFlags::SET_FLAG) => "SET",
        _ if flags.contains(ColumnFlags::ENUM_FLAG) => "ENUM",
        T::MYSQL_TYPE_ENUM => "ENUM",
        T::MYSQL_TYPE_SET => "SET",
        T::MYSQL_TYPE_STRING if binary => "BINARY",
        T::MYSQL_TYPE_STRING => "CHAR",
        T::MYSQL_TYPE_VAR_STRING | T::MYSQL_TYPE_VARCHAR if binary => "VARBINARY",
        T::MYSQL_TYPE_VAR_STRING | T::MYSQL_TYPE_VARCHAR => "VARCHAR",
        _ if binary => "BLOB",
        _ => "TEXT",
    };
    let numeric = matches!(
        c.column_type(),
        T::MYSQL_TYPE_TINY
            | T::MYSQL_TYPE_SHORT
            | T::MYSQL_TYPE_INT24
            | T::MYSQL_TYPE_LONG
            | T::MYSQL_TYPE_LONGLONG
            | T::MYSQL_TYPE_DECIMAL
            | T::MYSQL_TYPE_NEWDECIMAL
            | T::MYSQL_TYPE_FLOAT
            | T::MYSQL_TYPE_DOUBLE
    );
    if numeric && flags.contains(ColumnFlags::UNSIGNED_FLAG) { format!("{base} UNSIGNED") } else { base.to_string() }
}

/// One value of column `c` as JSON.
pub(crate) fn to_json(c: &Column, v: My) -> Value {
    let ty = c.column_type();
    match v {
        My::NULL => Value::Null,
        My::Int(i) => i.into(),
        My::UInt(u) => u.into(),
        My::Float(f) => number_text(f.to_string()),
        My::Double(d) => number_text(d.to_string()),
        My::Date(y, mo, d, h, mi, s, us) => Value::String(match ty {
            T::MYSQL_TYPE_DATE | T::MYSQL_TYPE_NEWDATE => format!("{y:04}-{mo:02}-{d:02}"),
            _ if us > 0 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}"),
            _ => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
        }),
        My::Time(neg, days, h, mi, s, us) => {
            let sign = if neg { "-" } else { "" };
            let hours = days * 24 + u32::from(h);
            let frac = if us > 0 { format!(".{us:06}") } else { String::new() };
            Value::String(format!("{sign}{hours:02}:{mi:02}:{s:02}{frac}"))
        }
        My::Bytes(b) => bytes_to_json(c, b),
    }
}

fn bytes_to_json(c: &Column, b: Vec<u8>) -> Value {
    let flags = c.flags();
    match c.column_type() {
        T::MYSQL_TYPE_DECIMAL | T::MYSQL_TYPE_NEWDECIMAL => number_text(String::from_utf8_lossy(&b).into_owned()),
        T::MYSQL_TYPE_BIT => Value::from(b.iter().fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))),
        T::MYSQL_TYPE_JSON => serde_json::from_slice(&b).unwrap_or_else(|_| Value::String(B64.encode(&b))),
        _ if flags.contains(ColumnFlags::SET_FLAG) => {
            let s = String::from_utf8_lossy(&b);
            Value::Array(s.split(',').filter(|p| !p.is_empty()).map(|p| Value::String(p.to_string())).collect())
        }
        T::MYSQL_TYPE_GEOMETRY => Value::String(B64.encode(&b)),
        _ if c.character_set() == BINARY_CHARSET => Value::String(B64.encode(&b)),
        _ => match String::from_utf8(b) {
            Ok(s) => Value::String(s),
            Err(e) => Value::String(B64.encode(e.as_bytes())),
        },
    }
}

fn number_text(text: String) -> Value {
    text.parse::<Number>().map(Value::Number).unwrap_or(Value::String(text))
}
