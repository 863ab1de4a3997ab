//! A small SQL lexer that finds `:name` placeholders and counts statements.
//!
//! It understands just enough SQL to never mistake text for a placeholder:
//! `::casts`, string literals (with each dialect's escapes), quoted
//! identifiers, PostgreSQL dollar-quoted bodies and comments are skipped.
//! The engine compiles the placeholders it finds to `$n` / `?`; the control
//! plane uses the same scan to check placeholders against declared parameters.

use std::collections::BTreeSet;

use crate::params::ParamDef;
use crate::problems::Problems;
pub use crate::sql_calls::FunctionCall;
use crate::sql_calls::{executable_comment, quoted, unquoted};

/// The SQL dialect decides which quotes and comments exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL: `''` strings, `E'\''` escapes, `"ident"`, `$tag$ … $tag$`, nested `/* */`.
    Postgres,
    /// MySQL and MariaDB: `'…'` and `"…"` strings with backslash escapes, `` `ident` ``, `#` comments.
    MySql,
    /// SQLite: `'…'` strings, `"ident"` and `` `ident` ``.
    Sqlite,
}

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
}

impl SqlScan {
    /// Distinct placeholder names, sorted.
    pub fn names(&self) -> BTreeSet<&str> {
        self.placeholders.iter().map(|p| p.name.as_str()).collect()
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Scans `sql`; fails on an unterminated string, identifier or comment.
pub fn scan_sql(sql: &str, dialect: Dialect) -> Result<SqlScan, String> {
    let s = sql.as_bytes();
    let mut out = SqlScan::default();
    let mut i = 0;
    // Whether the current statement has content other than whitespace and comments.
    let mut content = false;
    // Inside a MySQL `/*! … */` comment, whose body the server runs as code.
    let mut executable = false;
    while i < s.len() {
        let b = s[i];
        let next = s.get(i + 1).copied();
        match b {
            b'-' if next == Some(b'-') && line_comment_ok(s, i, dialect) => i = skip_line(s, i),
            b'#' if dialect == Dialect::MySql => i = skip_line(s, i),
            b'/' if next == Some(b'*') => match executable_comment(&s[i..]).filter(|_| dialect == Dialect::MySql) {
                Some(marker) => (i, executable) = (i + marker, true),
                None => i = skip_block_comment(s, i, dialect)?,
            },
            b'*' if executable && next == Some(b'/') => (i, executable) = (i + 2, false),
            b'\'' => {
                let backslash = dialect == Dialect::MySql || is_escape_string_prefix(s, i, dialect);
                i = skip_quoted(s, i, b'\'', backslash, "string literal")?;
                content = true;
            }
            b'"' => {
                let (what, backslash) = match dialect {
                    Dialect::MySql => ("string literal", true),
                    _ => ("quoted identifier", false),
                };
                let start = i;
                i = skip_quoted(s, i, b'"', backslash, what)?;
                if dialect != Dialect::MySql {
                    quoted(sql, start, i, dialect, &mut out.calls);
                }
                content = true;
            }
            b'`' if dialect != Dialect::Postgres => {
                let start = i;
                i = skip_quoted(s, i, b'`', false, "quoted identifier")?;
                quoted(sql, start, i, dialect, &mut out.calls);
                content = true;
            }
            b'$' if dialect == Dialect::Postgres => {
                i = match dollar_tag(s, i) {
                    Some(tag_end) => skip_dollar_body(s, i, tag_end)?,
                    None => i + 1,
                };
                content = true;
            }
            b':' if next == Some(b':') => {
                i += 2;
                content = true;
            }
            b':' if next.is_some_and(is_ident_start) && !(i > 0 && is_ident_char(s[i - 1])) => {
                let mut end = i + 1;
                while end < s.len() && is_ident_char(s[end]) {
                    end += 1;
                }
                out.placeholders.push(Placeholder { name: sql[i + 1..end].to_string(), start: i, end });
                i = end;
                content = true;
            }
            b';' => {
                if content {
                    out.statements += 1;
                }
                content = false;
                i += 1;
            }
            _ => {
                // Identifiers are consumed whole so that `E` of `SELECT` is never
                // mistaken for an escape-string prefix and `a:b` stays intact.
                if is_ident_char(b) {
                    let start = i;
                    while i < s.len() && is_ident_char(s[i]) {
                        i += 1;
                    }
                    unquoted(sql, start, i, dialect, &mut out.calls);
                    content = true;
                    continue;
                }
                if !b.is_ascii_whitespace() {
                    content = true;
                }
                i += 1;
            }
        }
    }
    if content {
        out.statements += 1;
    }
    Ok(out)
}

/// MySQL only treats `--` as a comment when whitespace (or the end) follows.
fn line_comment_ok(s: &[u8], i: usize, dialect: Dialect) -> bool {
    dialect != Dialect::MySql || s.get(i + 2).is_none_or(|c| c.is_ascii_whitespace())
}

fn skip_line(s: &[u8], i: usize) -> usize {
    s[i..].iter().position(|&c| c == b'\n').map_or(s.len(), |p| i + p + 1)
}

fn skip_block_comment(s: &[u8], start: usize, dialect: Dialect) -> Result<usize, String> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < s.len() {
        if s[i] == b'/' && s[i + 1] == b'*' {
            // Only PostgreSQL nests block comments.
            if depth == 0 || dialect == Dialect::Postgres {
                depth += 1;
            }
            i += 2;
        } else if s[i] == b'*' && s[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Ok(i);
            }
        } else {
            i += 1;
        }
    }
    Err(format!("unterminated /* comment starting at byte {start}"))
}

/// PostgreSQL `E'…'` strings honour backslash escapes; the `E` must stand alone.
fn is_escape_string_prefix(s: &[u8], quote: usize, dialect: Dialect) -> bool {
    dialect == Dialect::Postgres
        && quote > 0
        && matches!(s[quote - 1], b'e' | b'E')
        && (quote < 2 || !is_ident_char(s[quote - 2]))
}

fn skip_quoted(s: &[u8], start: usize, quote: u8, backslash: bool, what: &str) -> Result<usize, String> {
    let mut i = start + 1;
    while i < s.len() {
        match s[i] {
            b'\\' if backslash => i += 2,
            c if c == quote => {
                if s.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return Ok(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    Err(format!("unterminated {what} starting at byte {start}"))
}

/// If a dollar-quote tag (`$$` or `$tag$`) starts at `i`, returns the index past it.
fn dollar_tag(s: &[u8], i: usize) -> Option<usize> {
    if i > 0 && is_ident_char(s[i - 1]) {
        return None;
    }
    let mut j = i + 1;
    if j < s.len() && s[j] == b'$' {
        return Some(j + 1);
    }
    if j >= s.len() || !is_ident_start(s[j]) {
        return None; // `$1` is a positional parameter, not a tag
    }
    while j < s.len() && is_ident_char(s[j]) {
        j += 1;
    }
    (j < s.len() && s[j] == b'$').then_some(j + 1)
}

fn skip_dollar_body(s: &[u8], start: usize, tag_end: usize) -> Result<usize, String> {
    let tag = &s[start..tag_end];
    s[tag_end..]
        .windows(tag.len())
        .position(|w| w == tag)
        .map(|p| tag_end + p + tag.len())
        .ok_or_else(|| format!("unterminated dollar-quoted string starting at byte {start}"))
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
        let valid =
            name.bytes().next().is_some_and(is_ident_start) && name.bytes().all(|b| is_ident_char(b) && b < 0x80);
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
