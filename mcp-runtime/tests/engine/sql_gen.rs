//! A seeded generator of tricky SQL for the scanner parity tests, and the
//! decoding of string literals by each server's rules (written from the
//! servers' documentation, independently of the scanner).

use shared_model::{Dialect, SqlModes, StringKind};

/// xorshift64*: deterministic, fast, good enough to spread cases.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Text a string's content is made of: quotes, backslashes, dollar tags,
/// comment markers, separators, placeholders, prefixes and non-ASCII.
const ATOMS: &[&str] = &[
    "a", "Z", "0", " ", "'", "''", "\\", "\\'", "\"", "$", "$$", "$a$", "$é$", ";", "--", "/*", "*/", "#", ":name",
    "::", "é", "中", "😀", "\u{80}", "\n", "\t", "E'", "U&", "/*!", "`", "x$$", "\r",
];

fn content(rng: &mut Rng) -> String {
    (0..rng.below(7)).map(|_| rng.pick(ATOMS)).collect()
}

/// One generated statement list for `dialect` (and, for MySQL, `modes`).
pub fn sql(rng: &mut Rng, dialect: Dialect, modes: SqlModes) -> String {
    let statements = 1 + rng.below(3);
    let mut out = String::new();
    for n in 0..statements {
        if n > 0 {
            out.push_str(rng.pick(&["; ", ";\n", " ;"]));
        }
        out.push_str("SELECT ");
        for i in 0..1 + rng.below(3) {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&gap(rng, dialect));
            out.push_str(&item(rng, dialect, modes));
            if rng.chance(20) {
                out.push_str(" AS ");
                out.push_str(alias(rng, dialect, modes));
            }
            out.push_str(&gap(rng, dialect));
        }
    }
    if rng.chance(20) {
        out.push(';');
    }
    out
}

fn alias(rng: &mut Rng, dialect: Dialect, modes: SqlModes) -> &'static str {
    match dialect {
        Dialect::Postgres => rng.pick(&["x$$", "é$1", "a$", "_$x$", "\"q\"\"\"", "U&\"d\\0061t\"", "中"]),
        _ if modes.ansi_quotes => rng.pick(&["x$", "`a``b`", "\"q\"\"x\"", "é"]),
        _ => rng.pick(&["x$", "`a``b`", "é", "$a"]),
    }
}

/// Whitespace or a comment, often nothing.
fn gap(rng: &mut Rng, dialect: Dialect) -> String {
    match rng.below(8) {
        0 => format!("/*{}*/", content(rng).replace("*/", "").replace("/*", "")),
        1 => format!("-- {}\n", content(rng).replace(['\n', '\r'], "")),
        2 if dialect == Dialect::Postgres => {
            format!("/* /* {} */ */", content(rng).replace("*/", "").replace("/*", ""))
        }
        2 => format!("# {}\n", content(rng).replace('\n', "")),
        3 => " ".into(),
        _ => String::new(),
    }
}

fn item(rng: &mut Rng, dialect: Dialect, modes: SqlModes) -> String {
    let text = content(rng);
    // One in five is raw: the content is not escaped, so the literal may end
    // early or late; that is where a scanner and a server can disagree.
    if rng.chance(20) {
        let prefix = match dialect {
            Dialect::Postgres => rng.pick(&["", "E", "e", "U&", "N", "x"]),
            _ => rng.pick(&["", "N", "_utf8mb4", "/*! "]),
        };
        let quote = if dialect == Dialect::MySql { rng.pick(&["'", "\""]) } else { "'" };
        return format!("{prefix}{quote}{text}{quote}");
    }
    match dialect {
        Dialect::Postgres => match rng.below(6) {
            0 => format!("'{}'", text.replace('\'', "''")),
            1 => format!("{}'{}'", rng.pick(&["E", "e"]), escape_e(rng, &text)),
            2 => format!("U&'{}'", escape_u(rng, &text)),
            3 => {
                let tag = rng.pick(&["", "a", "é", "tag_1", "x中", "_"]);
                let delim = format!("${tag}$");
                format!("{delim}{}{delim}", text.replace(&delim, ""))
            }
            4 => {
                let (a, b) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i));
                let join = rng.pick(&["\n", " -- c\n  ", "\r\n", " \n-- x\n"]);
                if rng.chance(50) {
                    format!("'{}'{join}'{}'", a.replace('\'', "''"), b.replace('\'', "''"))
                } else {
                    format!("E'{}'{join}'{}'", escape_e(rng, a), escape_e(rng, b))
                }
            }
            _ => format!("'{}'", text.replace('\'', "''")),
        },
        _ => {
            let quote = if !modes.ansi_quotes && rng.chance(30) { '"' } else { '\'' };
            let prefix = rng.pick(&["", "", "N", "_utf8mb4", "_utf8mb4 "]);
            let prefix = if quote == '"' && prefix == "N" { "" } else { prefix };
            let lit = format!("{prefix}{quote}{}{quote}", escape_my(rng, &text, quote, modes));
            if rng.chance(10) { format!("/*! {lit} */") } else { lit }
        }
    }
}

fn escape_e(rng: &mut Rng, text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str(rng.pick(&["\\'", "''"])),
            'a' if rng.chance(30) => out.push_str(rng.pick(&["\\141", "\\x61", "\\u0061", "\\U00000061", "\\a"])),
            '\n' if rng.chance(50) => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn escape_u(rng: &mut Rng, text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c if rng.chance(20) => out.push_str(&format!("\\+{:06X}", c as u32)),
            c if rng.chance(20) && (c as u32) < 0x10000 => out.push_str(&format!("\\{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn escape_my(rng: &mut Rng, text: &str, quote: char, modes: SqlModes) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' if modes.backslash_escapes => out.push_str("\\\\"),
            c if c == quote && modes.backslash_escapes && rng.chance(50) => {
                out.push('\\');
                out.push(c);
            }
            c if c == quote => {
                out.push(c);
                out.push(c);
            }
            'a' if modes.backslash_escapes && rng.chance(30) => out.push_str(rng.pick(&["\\a", "\\%", "\\_"])),
            c => out.push(c),
        }
    }
    out
}

/// The value of a string literal `lit` (quotes included) read as `kind`.
pub fn decode(lit: &str, kind: StringKind, dialect: Dialect) -> String {
    if kind == StringKind::Dollar {
        let tag_len = lit[1..].find('$').map_or(1, |p| p + 2);
        return lit[tag_len..lit.len() - tag_len].to_string();
    }
    let quote = lit.chars().next().unwrap_or('\'');
    let body: Vec<char> = lit[1..lit.len() - 1].chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let hex = |s: &[char]| u32::from_str_radix(&s.iter().collect::<String>(), 16).ok().and_then(char::from_u32);
    while i < body.len() {
        let c = body[i];
        if c == quote && body.get(i + 1) == Some(&quote) {
            out.push(quote);
            i += 2;
        } else if c == '\\' && kind == StringKind::Backslash && i + 1 < body.len() {
            let n = body[i + 1];
            i += 2;
            if dialect == Dialect::MySql {
                match n {
                    '0' => out.push('\0'),
                    'b' => out.push('\u{8}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'Z' => out.push('\u{1a}'),
                    '%' | '_' => out.extend(['\\', n]),
                    n => out.push(n),
                }
                continue;
            }
            match n {
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                '0'..='7' => {
                    let len = body[i - 1..].iter().take(3).take_while(|c| c.is_digit(8)).count();
                    let v = u32::from_str_radix(&body[i - 1..i - 1 + len].iter().collect::<String>(), 8).unwrap_or(0);
                    out.push(char::from_u32(v).unwrap_or('?'));
                    i += len - 1;
                }
                'x' if body.get(i).is_some_and(char::is_ascii_hexdigit) => {
                    let len = body[i..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).count();
                    out.push(hex(&body[i..i + len]).unwrap_or('?'));
                    i += len;
                }
                'u' if i + 4 <= body.len() => {
                    out.push(hex(&body[i..i + 4]).unwrap_or('?'));
                    i += 4;
                }
                'U' if i + 8 <= body.len() => {
                    out.push(hex(&body[i..i + 8]).unwrap_or('?'));
                    i += 8;
                }
                n => out.push(n),
            }
        } else if c == '\\' && kind == StringKind::Unicode {
            if body.get(i + 1) == Some(&'\\') {
                out.push('\\');
                i += 2;
            } else if body.get(i + 1) == Some(&'+') && i + 8 <= body.len() {
                out.push(hex(&body[i + 2..i + 8]).unwrap_or('?'));
                i += 8;
            } else if i + 5 <= body.len() {
                out.push(hex(&body[i + 1..i + 5]).unwrap_or('?'));
                i += 5;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}
