//! What the lexer produces: dialects, MySQL lexing modes and tokens.

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

/// The `sql_mode` flags of a MySQL/MariaDB session that change how it lexes
/// (ignored for other dialects). The default is the servers' default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlModes {
    /// `\` escapes the next character in strings (`NO_BACKSLASH_ESCAPES` off).
    pub backslash_escapes: bool,
    /// `"…"` quotes an identifier, not a string (`ANSI_QUOTES`).
    pub ansi_quotes: bool,
}

impl Default for SqlModes {
    fn default() -> Self {
        SqlModes { backslash_escapes: true, ansi_quotes: false }
    }
}

impl SqlModes {
    /// The flags of an `@@sql_mode` value (the server reports combination
    /// modes such as `ANSI` expanded, so the flag names suffice).
    pub fn from_sql_mode(sql_mode: &str) -> Self {
        let has = |flag: &str| sql_mode.split(',').any(|m| m.trim().eq_ignore_ascii_case(flag));
        SqlModes { backslash_escapes: !has("NO_BACKSLASH_ESCAPES"), ansi_quotes: has("ANSI_QUOTES") }
    }
}

/// How a string literal's body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringKind {
    /// `'…'` with `''` for a quote, no escapes (PostgreSQL plain and `N'…'`,
    /// MySQL under `NO_BACKSLASH_ESCAPES`, SQLite).
    Standard,
    /// `'…'` (or MySQL `"…"`) where `\` escapes the next character as well.
    Backslash,
    /// PostgreSQL `U&'…'`: standard, with `\XXXX` escapes decoded afterwards.
    Unicode,
    /// PostgreSQL `B'…'`/`X'…'`, MySQL `X'…'`/`B'…'`: ends at the next quote.
    Bits,
    /// PostgreSQL `$tag$ … $tag$`: the body verbatim.
    Dollar,
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// An unquoted identifier or keyword (MySQL: also a number).
    Word,
    /// A PostgreSQL number.
    Number,
    /// A string literal from its opening quote (after any `E`, `U&`, `N`,
    /// `_charset` prefix) to past its closing quote. `joined` marks a part
    /// the server concatenates with the string before it.
    String {
        /// How the body is read.
        kind: StringKind,
        /// Continues the previous string (PostgreSQL: whitespace with a newline in between).
        joined: bool,
    },
    /// A quoted identifier, quotes included.
    QuotedIdent,
    /// A comment (MySQL: including `/*+ … */` optimizer hints).
    Comment,
    /// The opening `/*!` or closing `*/` of a MySQL executable comment.
    Executable,
    /// A `:name` placeholder.
    Placeholder,
    /// Any other character, or `::`, `:=`, `$n`.
    Symbol,
}

/// One token: its kind and byte range in the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}
