//! The SQL lexer behind [`scan_sql`]: it splits SQL into the tokens the
//! database server's own lexer would see, closely enough that the server and
//! Quarry always agree where a string, quoted identifier, dollar-quoted body or
//! comment starts and ends, and so how many statements the text holds.
//!
//! The rules follow the servers' lexers (PostgreSQL `scan.l`, MariaDB
//! `sql_lex.cc`), including the parts a simpler scanner gets wrong:
//! - PostgreSQL identifiers and dollar-quote tags take bytes ≥ 0x80, and `$`
//!   continues an identifier (`a$$` is one name, not the start of a body);
//!   `E'…'` strings take backslash escapes, `U&'…'`, `B'…'`, `X'…'` and plain
//!   strings do not (the engine keeps `standard_conforming_strings` on); a
//!   string continues across whitespace holding a newline (`'a'\n'b'`) in the
//!   mode it began with.
//! - MySQL/MariaDB strings honour backslashes unless `NO_BACKSLASH_ESCAPES`,
//!   `"…"` is an identifier under `ANSI_QUOTES` ([`SqlModes`]); `-- ` needs a
//!   space or control character after it; `/*! … */` bodies are code and
//!   versioned `/*!NNNNN`/`/*M!` ones are refused (whether the server runs
//!   them depends on its version).
//! - A NUL byte is refused: servers disagree on whether it ends the text.
//!
//! The lexer is byte-based and never decodes characters, which is correct for
//! UTF-8 (every byte of a multibyte character is ≥ 0x80); the engine forces
//! UTF-8 client encodings for that reason.

mod tokens;

pub use tokens::{Dialect, SqlModes, StringKind, Token, TokenKind};

use crate::placeholders::{Placeholder, SqlScan};
use crate::sql_calls::{executable_comment, quoted, unquoted};

/// Scans `sql` with the server's default modes; see [`scan_sql_with`].
pub fn scan_sql(sql: &str, dialect: Dialect) -> Result<SqlScan, String> {
    scan_sql_with(sql, dialect, SqlModes::default())
}

/// Scans `sql` as a session with `modes` lexes it; fails on an unterminated
/// string, identifier or comment, a NUL byte, or a versioned executable comment.
pub fn scan_sql_with(sql: &str, dialect: Dialect, modes: SqlModes) -> Result<SqlScan, String> {
    if let Some(at) = sql.bytes().position(|b| b == 0) {
        return Err(format!("the SQL contains a NUL byte at byte {at}"));
    }
    let mut lx = Lexer { sql, s: sql.as_bytes(), dialect, modes, out: SqlScan::default(), content: false };
    lx.run()?;
    if lx.content {
        lx.out.statements += 1;
    }
    Ok(lx.out)
}

struct Lexer<'a> {
    sql: &'a str,
    s: &'a [u8],
    dialect: Dialect,
    modes: SqlModes,
    out: SqlScan,
    /// Whether the current statement has content other than whitespace and comments.
    content: bool,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Placeholder names start with an ASCII letter or `_`.
pub(crate) fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Characters that continue a placeholder name (and, before a `:`, show that
/// it is not one: `arr[lo:hi]`).
pub(crate) fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl Lexer<'_> {
    fn push(&mut self, kind: TokenKind, start: usize, end: usize) {
        if !matches!(kind, TokenKind::Comment | TokenKind::Executable) {
            self.content = true;
        }
        self.out.tokens.push(Token { kind, start, end });
    }

    fn is_ident_char(&self, b: u8) -> bool {
        // `$` continues identifiers in both PostgreSQL and MySQL.
        is_name_char(b) || (b == b'$' && self.dialect != Dialect::Sqlite)
    }

    fn run(&mut self) -> Result<(), String> {
        let (s, d) = (self.s, self.dialect);
        // Inside a MySQL `/*! … */` comment, whose body the server runs as code.
        let mut executable = false;
        let mut i = 0;
        while i < s.len() {
            let b = s[i];
            let next = s.get(i + 1).copied();
            match b {
                b'-' if next == Some(b'-') && self.line_comment_ok(i) => i = self.comment(i, self.line_end(i)),
                b'#' if d == Dialect::MySql => i = self.comment(i, self.line_end(i)),
                b'/' if next == Some(b'*') && d == Dialect::MySql && s[i..].starts_with(b"/*M!") => {
                    return Err(versioned(i));
                }
                b'/' if next == Some(b'*') && d == Dialect::MySql && executable_comment(&s[i..]).is_some() => {
                    let marker = executable_comment(&s[i..]).unwrap_or(3);
                    if marker > 3 {
                        return Err(versioned(i));
                    }
                    self.push(TokenKind::Executable, i, i + marker);
                    (i, executable) = (i + marker, true);
                }
                b'/' if next == Some(b'*') => {
                    let end = block_comment_end(self.s, i, d)
                        .ok_or_else(|| format!("unterminated /* comment starting at byte {i}"))?;
                    i = self.comment(i, end);
                }
                b'*' if executable && next == Some(b'/') => {
                    self.push(TokenKind::Executable, i, i + 2);
                    (i, executable) = (i + 2, false);
                }
                b'\'' => i = self.string(i, self.plain_string_kind())?,
                b'"' if d == Dialect::MySql && !self.modes.ansi_quotes => {
                    i = self.string(i, self.plain_string_kind())?;
                }
                b'"' => i = self.quoted_ident(i)?,
                b'`' if d != Dialect::Postgres => i = self.quoted_ident(i)?,
                b'$' if d == Dialect::Postgres => i = self.dollar(i)?,
                b'0'..=b'9' | b'.' if d == Dialect::Postgres && self.number_end(i) > i => {
                    let end = self.number_end(i);
                    self.push(TokenKind::Number, i, end);
                    i = end;
                }
                b':' if next == Some(b':') || next == Some(b'=') => {
                    self.push(TokenKind::Symbol, i, i + 2);
                    i += 2;
                }
                b':' if next.is_some_and(is_name_start) && !(i > 0 && is_name_char(s[i - 1])) => {
                    let mut end = i + 1;
                    while end < s.len() && is_name_char(s[end]) {
                        end += 1;
                    }
                    let name = self.sql[i + 1..end].to_string();
                    self.out.placeholders.push(Placeholder { name, start: i, end });
                    self.push(TokenKind::Placeholder, i, end);
                    i = end;
                }
                b';' => {
                    if self.content {
                        self.out.statements += 1;
                    }
                    self.content = false;
                    i += 1;
                }
                _ if is_ident_start(b) || (d != Dialect::Postgres && b.is_ascii_digit()) => i = self.word(i)?,
                _ if b.is_ascii_whitespace() => i += 1,
                _ => {
                    // One whole (possibly multibyte) character.
                    let len = self.sql[i..].chars().next().map_or(1, char::len_utf8);
                    self.push(TokenKind::Symbol, i, i + len);
                    i += len;
                }
            }
        }
        Ok(())
    }

    /// A word, or the prefix of a string or quoted identifier (`E'`, `U&'`,
    /// `U&"`, `N'`, `B'`, `X'`); names followed by `(` are recorded as calls.
    fn word(&mut self, start: usize) -> Result<usize, String> {
        let s = self.s;
        let mut end = start;
        while end < s.len() && self.is_ident_char(s[end]) {
            end += 1;
        }
        let word = &s[start..end];
        let (after, after2) = (s.get(end).copied(), s.get(end + 1).copied());
        if word.len() == 1 && after == Some(b'\'') {
            let kind = match (self.dialect, word[0] | 0x20) {
                (Dialect::Postgres, b'e') => Some(StringKind::Backslash),
                (_, b'b' | b'x') => Some(StringKind::Bits),
                _ => None,
            };
            if let Some(kind) = kind {
                self.push(TokenKind::Word, start, end);
                return self.string(end, kind);
            }
        }
        if self.dialect == Dialect::Postgres && word.len() == 1 && word[0] | 0x20 == b'u' && after == Some(b'&') {
            match after2 {
                Some(b'\'') => {
                    self.push(TokenKind::Word, start, end + 1);
                    return self.string(end + 1, StringKind::Unicode);
                }
                Some(b'"') => {
                    self.push(TokenKind::Word, start, end + 1);
                    return self.quoted_ident(end + 1);
                }
                _ => {}
            }
        }
        unquoted(self.sql, start, end, self.dialect, &mut self.out.calls);
        self.push(TokenKind::Word, start, end);
        Ok(end)
    }

    fn plain_string_kind(&self) -> StringKind {
        match self.dialect {
            Dialect::MySql if self.modes.backslash_escapes => StringKind::Backslash,
            _ => StringKind::Standard,
        }
    }

    /// A string literal whose opening quote is at `quote`; PostgreSQL parts
    /// joined across newlines are read in the same mode. MySQL concatenates
    /// adjacent strings, so a string right after another is `joined` too.
    fn string(&mut self, quote: usize, kind: StringKind) -> Result<usize, String> {
        let mut start = quote;
        let mut joined = self.dialect == Dialect::MySql
            && self
                .out
                .tokens
                .iter()
                .rev()
                .find(|t| !matches!(t.kind, TokenKind::Comment | TokenKind::Executable))
                .is_some_and(|t| matches!(t.kind, TokenKind::String { .. }));
        loop {
            let end = self.quoted_end(start, kind, "string literal")?;
            self.push(TokenKind::String { kind, joined }, start, end);
            match self.continuation(end, kind) {
                Some(next) => (start, joined) = (next, true),
                None => return Ok(end),
            }
        }
    }

    /// Past the closing quote of the quoted text opening at `start`.
    fn quoted_end(&self, start: usize, kind: StringKind, what: &str) -> Result<usize, String> {
        let (s, quote) = (self.s, self.s[start]);
        let mut i = start + 1;
        while i < s.len() {
            match s[i] {
                b'\\' if kind == StringKind::Backslash => i += 2,
                c if c == quote => {
                    if s.get(i + 1) == Some(&quote) && kind != StringKind::Bits {
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

    /// PostgreSQL's `quotecontinue`: horizontal whitespace or `--` comments, a
    /// newline, then any whitespace or comment lines, then a quote. Returns
    /// the index of that quote.
    fn continuation(&self, mut j: usize, kind: StringKind) -> Option<usize> {
        let s = self.s;
        if self.dialect != Dialect::Postgres || kind == StringKind::Dollar {
            return None;
        }
        let newline = |c: u8| c == b'\n' || c == b'\r';
        let line_end = |j: usize| s[j..].iter().position(|&c| newline(c)).map_or(s.len(), |p| j + p);
        loop {
            match s.get(j) {
                Some(b' ' | b'\t' | b'\x0c') => j += 1,
                Some(b'-') if s.get(j + 1) == Some(&b'-') => j = line_end(j),
                _ => break,
            }
        }
        if !s.get(j).is_some_and(|&c| newline(c)) {
            return None;
        }
        loop {
            match s.get(j) {
                Some(b' ' | b'\t' | b'\x0c' | b'\n' | b'\r') => j += 1,
                Some(b'-') if s.get(j + 1) == Some(&b'-') && s.get(line_end(j)).is_some() => j = line_end(j) + 1,
                _ => break,
            }
        }
        (s.get(j) == Some(&b'\'')).then_some(j)
    }

    fn quoted_ident(&mut self, quote: usize) -> Result<usize, String> {
        let end = self.quoted_end(quote, StringKind::Standard, "quoted identifier")?;
        quoted(self.sql, quote, end, self.dialect, &mut self.out.calls);
        self.push(TokenKind::QuotedIdent, quote, end);
        Ok(end)
    }

    /// `$n` (a positional parameter), `$tag$ … $tag$`, or a lone `$`.
    fn dollar(&mut self, start: usize) -> Result<usize, String> {
        let s = self.s;
        let mut j = start + 1;
        if s.get(j).is_some_and(u8::is_ascii_digit) {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            self.push(TokenKind::Symbol, start, j);
            return Ok(j);
        }
        // A tag: `$`, then optionally a letter, `_` or byte ≥ 0x80 followed
        // by those or digits, then `$`.
        if s.get(j).is_some_and(|&c| is_ident_start(c)) {
            while j < s.len() && is_name_char(s[j]) {
                j += 1;
            }
        }
        if s.get(j) != Some(&b'$') {
            self.push(TokenKind::Symbol, start, start + 1);
            return Ok(start + 1);
        }
        let tag = &s[start..=j];
        let body = j + 1;
        let end = s[body..]
            .windows(tag.len())
            .position(|w| w == tag)
            .map(|p| body + p + tag.len())
            .ok_or_else(|| format!("unterminated dollar-quoted string starting at byte {start}"))?;
        self.push(TokenKind::String { kind: StringKind::Dollar, joined: false }, start, end);
        Ok(end)
    }

    /// Past a PostgreSQL number starting at `i` (`i` itself if none does):
    /// digits, an optional fraction, an optional exponent.
    fn number_end(&self, i: usize) -> usize {
        let s = self.s;
        let digits = |mut j: usize| {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            j
        };
        let mut j = digits(i);
        let int = j > i;
        if s.get(j) == Some(&b'.') && s.get(j + 1) != Some(&b'.') {
            let frac = digits(j + 1);
            if !int && frac == j + 1 {
                return i; // a lone `.`
            }
            j = frac;
        } else if !int {
            return i;
        }
        if matches!(s.get(j), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(s.get(j + 1), Some(b'+' | b'-')));
            let exp = digits(j + 1 + sign);
            if exp > j + 1 + sign {
                j = exp;
            }
        }
        j
    }

    /// MySQL only treats `--` as a comment when a space or control character
    /// (or the end) follows.
    fn line_comment_ok(&self, i: usize) -> bool {
        self.dialect != Dialect::MySql || self.s.get(i + 2).is_none_or(|&c| c <= b' ' || c == 0x7f)
    }

    /// The end of a line comment starting at `i`: past the newline
    /// (PostgreSQL also ends one at a carriage return).
    fn line_end(&self, i: usize) -> usize {
        let pg = self.dialect == Dialect::Postgres;
        let stop = |c: u8| c == b'\n' || (pg && c == b'\r');
        self.s[i..].iter().position(|&c| stop(c)).map_or(self.s.len(), |p| i + p + 1)
    }

    fn comment(&mut self, start: usize, end: usize) -> usize {
        self.push(TokenKind::Comment, start, end);
        end
    }
}

/// Past the `*/` that closes the block comment opening at `start` (only
/// PostgreSQL nests them); `None` if it is never closed.
pub(crate) fn block_comment_end(s: &[u8], start: usize, dialect: Dialect) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i + 1 < s.len() {
        if s[i] == b'/' && s[i + 1] == b'*' && (depth == 0 || dialect == Dialect::Postgres) {
            depth += 1;
            i += 2;
        } else if s[i] == b'*' && s[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

fn versioned(at: usize) -> String {
    format!(
        "the versioned executable comment at byte {at} (/*!NNNNN … */ or /*M! … */) is not supported: \
         whether the server runs its body depends on the server's version"
    )
}

#[cfg(test)]
mod tests;
