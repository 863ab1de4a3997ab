//! Binds JSON arguments as PostgreSQL parameters in the *text* format.
//!
//! The server infers each `$n`'s type from the query and parses our text as
//! that type, exactly as it parses a literal typed by hand, but without the
//! value ever being part of the SQL. That lets an integer argument bind to an
//! `int4` column, a string to a `date` or `uuid` column, and an array to
//! `= ANY($1)` whatever the element type, with no client-side type table.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use serde_json::Value;
use tokio_postgres::types::{Format, IsNull, ToSql, Type, to_sql_checked};

use crate::db::compile::Bind;

/// One argument, sent as text (or NULL).
#[derive(Debug)]
pub(crate) struct TextParam(Option<String>);

impl TextParam {
    pub(crate) fn from_bind(b: &Bind) -> Self {
        TextParam(text_of(&b.value))
    }
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

impl ToSql for TextParam {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match &self.0 {
            None => Ok(IsNull::Yes),
            Some(text) => {
                out.put_slice(text.as_bytes());
                Ok(IsNull::No)
            }
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
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
