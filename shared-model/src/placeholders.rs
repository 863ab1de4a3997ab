//! `:name` placeholders and statement counts, from the SQL lexer
//! ([`crate::lexer`]): `::casts`, string literals (with each dialect's
//! escapes), quoted identifiers, PostgreSQL dollar-quoted bodies and comments
//! never hold a placeholder. The engine compiles the placeholders it finds to
//! `$n` / `?`; the control plane uses the same scan to check placeholders
//! against declared parameters when a tool is saved. It has no database
//! session there, so MySQL text is scanned with the servers' default
//! `sql_mode`; the engine scans again with the session's modes before running.

use std::collections::BTreeSet;

pub use crate::lexer::{Dialect, SqlModes, StringKind, Token, TokenKind, scan_sql, scan_sql_with};
use crate::lexer::{is_name_char, is_name_start};
use crate::params::ParamDef;
use crate::problems::Problems;
pub use crate::sql_calls::FunctionCall;

/// A `:name` occurrence; `start..end` is the byte range of `:name` in the SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The name without the colon.
    pub name: String,
    /// Byte offset of the colon.
    pub start: usize,
    /// Byte offset just past the name.
    pub end: usize,
}

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SqlScan {
    /// Every placeholder occurrence, in order.
    pub placeholders: Vec<Placeholder>,
    /// Number of statements holding more than whitespace and comments.
    pub statements: usize,
    /// Names followed by `(` (function calls), in order; see [`FunctionCall`].
    pub calls: Vec<FunctionCall>,
    /// Every token but whitespace, in order (the statement separator `;`
    /// is not a token: [`SqlScan::statements`] counts what it separates).
    pub tokens: Vec<Token>,
}

impl SqlScan {
    /// Distinct placeholder names, sorted.
    pub fn names(&self) -> BTreeSet<&str> {
        self.placeholders.iter().map(|p| p.name.as_str()).collect()
    }
}

/// Checks `sql` against its declared `params`: it must scan, be one
/// statement, and every `:placeholder` must be declared. With `all_used`, every
/// declared parameter must also appear. Problems go under `sql_path` and
/// `params_path[i]`.
pub fn check_placeholders(
    sql: &str,
    dialect: Dialect,
    params: &[ParamDef],
    (sql_path, params_path): (&str, &str),
    all_used: bool,
    problems: &mut Problems,
) {
    if sql.trim().is_empty() {
        return problems.push(sql_path, "must not be empty");
    }
    let scan = match scan_sql(sql, dialect) {
        Ok(s) => s,
        Err(e) => return problems.push(sql_path, e),
    };
    if scan.statements > 1 {
        problems.push(sql_path, format!("must be one statement (found {})", scan.statements));
    }
    let used = scan.names();
    for name in &used {
        if !params.iter().any(|d| d.name == *name) {
            problems.push(sql_path, format!("placeholder :{name} has no parameter declared"));
        }
    }
    if all_used {
        for (i, d) in params.iter().enumerate() {
            if !used.contains(d.name.as_str()) {
                problems.push(
                    format!("{params_path}[{i}]"),
                    format!("{:?} is declared but never used as :{}", d.name, d.name),
                );
            }
        }
    }
}

/// The `{name}` variables of a resource URI template, in order of appearance.
pub fn uri_template_params(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(format!("unmatched '}}' at position {}", offset + open));
        }
        let close = rest[open..].find('}').ok_or_else(|| format!("unclosed '{{' at position {}", offset + open))?;
        let name = &rest[open + 1..open + close];
        let valid = name.bytes().next().is_some_and(is_name_start) && name.bytes().all(|b| is_name_char(b) && b < 0x80);
        if !valid {
            return Err(format!("{{{name}}} is not a valid parameter name (use letters, digits and '_')"));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        offset += open + close + 1;
        rest = &rest[open + close + 1..];
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str, d: Dialect) -> Vec<String> {
        scan_sql(sql, d).unwrap().placeholders.into_iter().map(|p| p.name).collect()
    }

    #[test]
    fn finds_placeholders_with_their_spans() {
        let sql = "SELECT * FROM t WHERE a = :a AND b IN (:b, :a)";
        let scan = scan_sql(sql, Dialect::Postgres).unwrap();
        assert_eq!(names(sql, Dialect::Postgres), ["a", "b", "a"]);
        let first = &scan.placeholders[0];
        assert_eq!(&sql[first.start..first.end], ":a");
        assert_eq!(scan.statements, 1);
    }

    #[test]
    fn ignores_casts_strings_identifiers_and_comments() {
        let sql = r#"SELECT x::int, ':no', "col:no", E'it\'s :no', $$ :no $$, $f$ :no $f$ -- :no
            /* :no /* nested :no */ :no */ FROM t WHERE y = :yes::text AND arr[1:2] = arr[lo:hi]"#;
        assert_eq!(names(sql, Dialect::Postgres), ["yes"]);
    }

    #[test]
    fn mysql_backslash_escapes_and_hash_comments() {
        let sql = "SELECT 'it\\'s :no', \"also :no\", `c:no` # :no\n FROM t WHERE a = :yes AND b = 1--1";
        assert_eq!(names(sql, Dialect::MySql), ["yes"]);
    }

    #[test]
    fn positional_dollar_parameters_are_not_dollar_quotes() {
        assert_eq!(names("SELECT $1, :a, $2", Dialect::Postgres), ["a"]);
    }

    #[test]
    fn counts_statements_ignoring_trailing_semicolons_and_comments() {
        let one = scan_sql("SELECT 1; -- done\n ; ", Dialect::Postgres).unwrap();
        assert_eq!(one.statements, 1);
        let two = scan_sql("SELECT 1; DROP TABLE t", Dialect::Postgres).unwrap();
        assert_eq!(two.statements, 2);
        let quoted = scan_sql("SELECT ';' , $$;$$", Dialect::Postgres).unwrap();
        assert_eq!(quoted.statements, 1);
    }

    #[test]
    fn unterminated_constructs_are_errors() {
        assert!(scan_sql("SELECT 'abc", Dialect::Postgres).unwrap_err().contains("string literal"));
        assert!(scan_sql("SELECT /* x", Dialect::MySql).unwrap_err().contains("comment"));
        assert!(scan_sql("SELECT $a$ x", Dialect::Postgres).unwrap_err().contains("dollar"));
    }

    #[test]
    fn placeholder_check_lists_each_mismatch() {
        let params: Vec<ParamDef> = serde_json::from_value(
            serde_json::json!([{"name": "a", "type": "integer"}, {"name": "unused", "type": "string"}]),
        )
        .unwrap();
        let mut p = Problems::default();
        check_placeholders("SELECT :a, :b, ':c'", Dialect::Postgres, &params, ("sql", "parameters"), true, &mut p);
        let got: Vec<String> = p.0.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            got,
            [
                "sql: placeholder :b has no parameter declared",
                "parameters[1]: \"unused\" is declared but never used as :unused"
            ]
        );
    }

    #[test]
    fn uri_templates_yield_their_variables() {
        assert_eq!(uri_template_params("users://{id}/orders/{status}").unwrap(), ["id", "status"]);
        assert!(uri_template_params("x://{id").is_err());
        assert!(uri_template_params("x://id}").is_err());
        assert!(uri_template_params("x://{a-b}").is_err());
    }
}
