//! Function calls found by the placeholder lexer: a name outside strings and
//! comments whose next code character is `(`. The engine refuses some of
//! them (file access, dynamic SQL) in read-only queries, so the rules here
//! follow what the database's own parser accepts as a call: comments and
//! whitespace may sit between the name and `(`, PostgreSQL takes quoted and
//! `U&"…"` names, and MySQL runs the body of `/*! … */` comments as code.

use crate::lexer::{Dialect, block_comment_end};

/// A name followed by `(`: a function call (or a keyword or type with
/// parentheses, such as `IN (` or `numeric(10, 2)`; callers match names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCall {
    /// The name as the database resolves it: unquoted text as written,
    /// quoted names without their quotes and with escapes decoded.
    pub name: String,
    /// Byte offset of the name in the SQL.
    pub start: usize,
}

/// Index of the next byte that is code, skipping whitespace and comments
/// (for MySQL, also the markers of executable `/*! … */` comments).
pub(crate) fn next_code(s: &[u8], mut i: usize, dialect: Dialect) -> usize {
    while i < s.len() {
        let rest = &s[i..];
        if rest[0].is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with(b"--") || (dialect == Dialect::MySql && rest[0] == b'#') {
            i = s[i..].iter().position(|&c| c == b'\n').map_or(s.len(), |p| i + p + 1);
        } else if dialect == Dialect::MySql && executable_comment(rest).is_some() {
            i += executable_comment(rest).unwrap_or(2);
        } else if dialect == Dialect::MySql && rest.starts_with(b"*/") {
            i += 2;
        } else if rest.starts_with(b"/*") {
            match block_comment_end(s, i, dialect) {
                Some(end) => i = end,
                None => return s.len(),
            }
        } else {
            break;
        }
    }
    i
}

/// If `rest` opens a MySQL/MariaDB executable comment (`/*!`, `/*!50100`,
/// `/*M!100100`), the length of its opening marker.
pub(crate) fn executable_comment(rest: &[u8]) -> Option<usize> {
    let marker = if rest.starts_with(b"/*!") {
        3
    } else if rest.starts_with(b"/*M!") {
        4
    } else {
        return None;
    };
    Some(marker + rest[marker..].iter().take_while(|c| c.is_ascii_digit()).count())
}

/// Records the name `sql[start..end]` (unquoted) if `(` follows it.
pub(crate) fn unquoted(sql: &str, start: usize, end: usize, dialect: Dialect, calls: &mut Vec<FunctionCall>) {
    if sql.as_bytes().get(next_code(sql.as_bytes(), end, dialect)) == Some(&b'(') {
        calls.push(FunctionCall { name: sql[start..end].to_string(), start });
    }
}

/// Records the quoted name `sql[start..end]` (quotes included) if `(`
/// follows it. PostgreSQL `U&"…"` names are decoded, with a `UESCAPE 'c'`
/// clause if one follows.
pub(crate) fn quoted(sql: &str, start: usize, end: usize, dialect: Dialect, calls: &mut Vec<FunctionCall>) {
    let s = sql.as_bytes();
    let quote = s[start];
    let body = sql[start + 1..end - 1].replace(if quote == b'"' { "\"\"" } else { "``" }, &(quote as char).to_string());
    let unicode = dialect == Dialect::Postgres && start >= 2 && s[start - 1] == b'&' && s[start - 2] | 0x20 == b'u';
    let mut after = next_code(s, end, dialect);
    let mut escape = '\\';
    if unicode && s.len() >= after + 7 && s[after..after + 7].eq_ignore_ascii_case(b"uescape") {
        let lit = next_code(s, after + 7, dialect);
        if let (Some(b'\''), Some(&c), Some(b'\'')) = (s.get(lit), s.get(lit + 1), s.get(lit + 2)) {
            escape = c as char;
            after = next_code(s, lit + 3, dialect);
        }
    }
    if s.get(after) == Some(&b'(') {
        let name = if unicode { decode_unicode_escapes(&body, escape) } else { body };
        calls.push(FunctionCall { name, start });
    }
}

/// Decodes PostgreSQL `U&` escapes: `\XXXX`, `\+XXXXXX` and `\\` (with `esc`
/// in place of the backslash). Anything undecodable is kept as written.
fn decode_unicode_escapes(body: &str, esc: char) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != esc {
            out.push(c);
            continue;
        }
        let rest = &body[i + c.len_utf8()..];
        let (digits, skip) = match rest.chars().next() {
            Some(n) if n == esc => (None, 1),
            Some('+') => (rest.get(1..7), 7),
            _ => (rest.get(..4), 4),
        };
        match digits.map(|d| u32::from_str_radix(d, 16).ok().and_then(char::from_u32)) {
            None if skip == 1 => out.push(esc),
            Some(Some(decoded)) => out.push(decoded),
            _ => {
                out.push(c);
                continue;
            }
        }
        for _ in 0..skip {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::placeholders::{Dialect, scan_sql};

    fn calls(sql: &str, d: Dialect) -> Vec<String> {
        scan_sql(sql, d).unwrap().calls.into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn names_followed_by_a_parenthesis_outside_strings_and_comments_are_calls() {
        let sql = "SELECT count(*), 'load_file(' AS s, \"x\" FROM t -- lo_import(\n WHERE a IN (1) /* pg_ls_dir( */";
        assert_eq!(calls(sql, Dialect::Postgres), ["count", "IN"]);
        let spaced = "SELECT pg_catalog.pg_read_file /* c */ ('/etc/passwd'), $$pg_ls_dir('x')$$";
        assert_eq!(calls(spaced, Dialect::Postgres), ["pg_read_file"]);
    }

    #[test]
    fn quoted_and_unicode_escaped_names_are_decoded() {
        assert_eq!(calls(r#"SELECT "pg_read_file"('f'), "a""b"(1)"#, Dialect::Postgres), ["pg_read_file", "a\"b"]);
        assert_eq!(calls(r#"SELECT U&"pg\005fls_dir"('.')"#, Dialect::Postgres), ["pg_ls_dir"]);
        assert_eq!(calls(r#"SELECT u&"lo!+00005Fimport" UESCAPE '!' ('f')"#, Dialect::Postgres), ["lo_import"]);
        assert_eq!(calls("SELECT `load_file`('f')", Dialect::MySql), ["load_file"]);
    }

    #[test]
    fn mysql_executable_comments_are_code() {
        assert_eq!(calls("SELECT /*! LOAD_FILE('/etc/passwd') */", Dialect::MySql), ["LOAD_FILE"]);
        assert!(scan_sql("SELECT /*M!100100 load_file */ ('f')", Dialect::MySql).is_err(), "versioned: refused");
        assert_eq!(calls("SELECT LOAD_FILE/*!*/('f'), 1 # load_file(\n", Dialect::MySql), ["LOAD_FILE"]);
        assert_eq!(calls("SELECT /* LOAD_FILE('f') */ 1", Dialect::MySql), Vec::<String>::new());
    }
}
