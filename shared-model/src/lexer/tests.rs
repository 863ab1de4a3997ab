//! The lexer's rules, one server behaviour per test.

use super::*;

fn strings(sql: &str, d: Dialect, modes: SqlModes) -> Vec<&str> {
    let scan = scan_sql_with(sql, d, modes).unwrap();
    scan.tokens.iter().filter(|t| matches!(t.kind, TokenKind::String { .. })).map(|t| &sql[t.start..t.end]).collect()
}

fn count(sql: &str, d: Dialect) -> usize {
    scan_sql(sql, d).unwrap().statements
}

#[test]
fn postgres_identifiers_swallow_dollars_and_high_bytes() {
    // `x$$` is one identifier: no dollar body starts, so `;` separates.
    assert_eq!(count("SELECT 1 AS x$$; SELECT 2 AS y$$", Dialect::Postgres), 2);
    // A tag may start with a byte ≥ 0x80, so the `;` is inside the body.
    assert_eq!(count("SELECT $é$ ; $é$", Dialect::Postgres), 1);
    // After a number or a parameter a dollar quote does start.
    assert_eq!(strings("SELECT 1$$a;b$$, $1$t$;$t$", Dialect::Postgres, SqlModes::default()), ["$$a;b$$", "$t$;$t$"]);
}

#[test]
fn postgres_string_prefixes_and_continuations_follow_the_server() {
    let d = SqlModes::default();
    assert_eq!(
        strings(r"SELECT E'a\'b', e'\\', 'c\', U&'\0041'", Dialect::Postgres, d),
        [r"'a\'b'", r"'\\'", r"'c\'", r"'\0041'"]
    );
    // `SELECTE` is a word, so its quote opens a plain string.
    assert_eq!(strings(r"SELECT xE'\' AS a", Dialect::Postgres, d), [r"'\'"]);
    // The continuation keeps the escape mode of the first part.
    let joined = r"SELECT E'a' -- c
        'b\'; DROP TABLE t; --'";
    let scan = scan_sql(joined, Dialect::Postgres).unwrap();
    assert_eq!(scan.statements, 1);
    assert!(matches!(scan.tokens.last().unwrap().kind, TokenKind::String { joined: true, .. }));
    // Without a newline there is no continuation.
    assert_eq!(count(r"SELECT E'a' 'b\'; SELECT 1", Dialect::Postgres), 2);
    // Bit strings end at the next quote.
    assert_eq!(strings("SELECT B'01''10'", Dialect::Postgres, d), ["'01'", "'10'"]);
}

#[test]
fn mysql_modes_decide_what_a_backslash_and_a_double_quote_are() {
    let sql = r#"SELECT 'a\', "b\" ; SELECT 1 -- "#;
    let ansi = SqlModes { backslash_escapes: false, ansi_quotes: true };
    assert!(scan_sql(sql, Dialect::MySql).is_err(), "the default reads one long string");
    let scan = scan_sql_with(sql, Dialect::MySql, ansi).unwrap();
    assert_eq!(scan.statements, 2);
    let no_bs = SqlModes { backslash_escapes: false, ansi_quotes: false };
    assert_eq!(strings(r#"SELECT 'a\', "b\""#, Dialect::MySql, no_bs), [r"'a\'", r#""b\""#]);
    assert_eq!(SqlModes::from_sql_mode("STRICT_TRANS_TABLES,ANSI_QUOTES,NO_BACKSLASH_ESCAPES"), ansi);
    assert_eq!(SqlModes::from_sql_mode(""), SqlModes::default());
}

#[test]
fn mysql_comments_follow_the_server() {
    assert_eq!(count("SELECT 1 --x\n; SELECT 2", Dialect::MySql), 2);
    assert_eq!(count("SELECT 1 --\x0b; SELECT 2", Dialect::MySql), 1);
    assert_eq!(count("SELECT 1 /*! ; SELECT 2 */", Dialect::MySql), 2);
    assert!(scan_sql("SELECT 1 /*!99999 ' */ ; DELETE FROM t -- ' */", Dialect::MySql).is_err());
    assert!(scan_sql("SELECT 1 /*M! ; */", Dialect::MySql).is_err());
    assert!(scan_sql("SELECT 1 \0; DELETE FROM t", Dialect::MySql).is_err());
    let adjacent = scan_sql("SELECT 'a' /* */ 'b', 'c'", Dialect::MySql).unwrap();
    let joined: Vec<bool> = adjacent
        .tokens
        .iter()
        .filter_map(|t| match t.kind {
            TokenKind::String { joined, .. } => Some(joined),
            _ => None,
        })
        .collect();
    assert_eq!(joined, [false, true, false]);
}

#[test]
fn a_call_after_an_identifier_ending_in_dollars_is_not_hidden_in_a_dollar_body() {
    // A scanner that ends identifiers at `$` reads `$a$, pg_read_file(…) AS y$a$`
    // as a dollar-quoted body; PostgreSQL reads two names and a call.
    let sql = "SELECT 1 AS x$$a$, pg_read_file('/etc/passwd') AS y$a$";
    let calls: Vec<String> = scan_sql(sql, Dialect::Postgres).unwrap().calls.into_iter().map(|c| c.name).collect();
    assert_eq!(calls, ["pg_read_file"]);
}
