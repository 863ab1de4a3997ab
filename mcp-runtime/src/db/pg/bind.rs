//! Binds JSON arguments as PostgreSQL parameters in the *text* format.
//!
//! The server infers each `$n`'s type from the query and parses our text as
//! that type, exactly as it parses a literal typed by hand, but without the
//! value ever being part of the SQL. That lets an integer argument bind to an
//! `int4` column, a string to a `date` or `uuid` column, and an array to
//! `= ANY($1)` whatever the element type, with no client-side type table.

use serde_json::Value;

use crate::db::compile::Bind;

/// One argument's text (`None` is NULL).
pub(crate) fn text(b: &Bind) -> Option<String> {
    text_of(&b.value)
}

/// The text form PostgreSQL parses: scalars as written in JSON (numbers keep
/// their exact digits), arrays as array literals with every element quoted.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let mut out = String::from("{");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match text_of(item) {
                    None => out.push_str("NULL"),
                    Some(t) => {
                        out.push('"');
                        for c in t.chars() {
                            if c == '"' || c == '\\' {
                                out.push('\\');
                            }
                            out.push(c);
                        }
                        out.push('"');
                    }
                }
            }
            out.push('}');
            Some(out)
        }
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_become_fully_quoted_literals() {
        let v = json!(["a\"b", "c\\d", null, 1, "{x,y}"]);
        assert_eq!(text_of(&v).unwrap(), r#"{"a\"b","c\\d",NULL,"1","{x,y}"}"#);
    }

    #[test]
    fn numbers_keep_their_exact_digits() {
        let v: Value = serde_json::from_str("12345678901234567890.000000001").unwrap();
        assert_eq!(text_of(&v).unwrap(), "12345678901234567890.000000001");
    }
}
