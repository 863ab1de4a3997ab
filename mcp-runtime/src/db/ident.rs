//! Table identifiers from URLs (`table` or `schema.table`): validated, split,
//! and quoted when they must appear in SQL text. Schema lookups bind names as
//! values wherever the database allows it, so quoting is rarely needed.

use super::EngineError;

/// A validated `schema.table` or bare `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRef {
    /// The schema (PostgreSQL), database (MySQL) or attached database (SQLite).
    pub schema: Option<String>,
    /// The table name.
    pub table: String,
}

/// Longest identifier part accepted (PostgreSQL truncates at 63 bytes, MySQL allows 64).
const MAX_PART: usize = 128;

/// Parses `table` or `schema.table`. Parts may hold any printable character
/// except `.`; they are never spliced unquoted.
pub(crate) fn parse_table(input: &str) -> Result<TableRef, EngineError> {
    let bad = |why: &str| EngineError::Unsupported(format!("invalid table name {input:?}: {why}"));
    let parts: Vec<&str> = input.split('.').collect();
    if parts.len() > 2 {
        return Err(bad("use `table` or `schema.table`"));
    }
    for part in &parts {
        if part.is_empty() {
            return Err(bad("a name part is empty"));
        }
        if part.chars().count() > MAX_PART {
            return Err(bad("a name part is longer than 128 characters"));
        }
        if part.chars().any(char::is_control) {
            return Err(bad("control characters are not allowed"));
        }
    }
    Ok(match parts.as_slice() {
        [schema, table] => TableRef { schema: Some(schema.to_string()), table: table.to_string() },
        _ => TableRef { schema: None, table: input.to_string() },
    })
}

/// Quotes an identifier with `"` (PostgreSQL, SQLite), doubling inner quotes.
pub(crate) fn quote_double(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bare_and_qualified_names() {
        assert_eq!(parse_table("users").unwrap(), TableRef { schema: None, table: "users".into() });
        let r = parse_table("sales.order-items").unwrap();
        assert_eq!((r.schema.as_deref(), r.table.as_str()), (Some("sales"), "order-items"));
    }

    #[test]
    fn refuses_empty_parts_extra_dots_and_control_characters() {
        for bad in ["", ".t", "a..b", "a.b.c", "t\0", "t\nx"] {
            assert!(parse_table(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quoting_doubles_embedded_quotes() {
        assert_eq!(quote_double(r#"we"ird"#), r#""we""ird""#);
    }
}
