//! Property tests: for generated SQL full of quotes, backslashes, dollar tags,
//! comments, string prefixes, non-ASCII bytes, `;` and `:name`s, Quarry's
//! scanner and the real server agree on the number of statements and on
//! where every string literal starts and ends. The server is the oracle: each
//! case runs as a simple (multi-statement) query; when the server accepts it,
//! its statement count must equal the scanner's and the values it returns
//! must equal the scanner's literals decoded. A case the server rejects never
//! runs, so it proves nothing either way; those are counted and reported.

use shared_model::{Dialect, SqlModes, SqlScan, StringKind, TokenKind, scan_sql_with};

use crate::sql_gen::{Rng, decode, sql};
use crate::support::{mysql, pg};

/// Cases per engine (MySQL: split across the four lexing modes).
const CASES: usize = 10_000;

/// What the server did with one case.
enum Outcome {
    /// Statements run and the string values they returned, in order.
    Ran(usize, Vec<String>),
    /// A syntax error (nothing ran).
    Syntax,
    /// Another error (for instance a bad escape).
    Other,
}

/// The scanner's prediction: statement count and decoded literals (joined
/// parts concatenated). The values are `None` when the select lists hold
/// operators besides `,`: the server then returns computed values (MySQL
/// `'a' --'b'` is `'a' - -'b'`), and only the count is compared.
fn predict(sql: &str, scan: &SqlScan, dialect: Dialect) -> (usize, Option<Vec<String>>) {
    let mut values: Vec<String> = Vec::new();
    let mut pure = true;
    for t in &scan.tokens {
        if let TokenKind::String { kind, joined } = t.kind {
            let mut v = decode(&sql[t.start..t.end], kind, dialect);
            let prefix = if t.start > 0 { sql.as_bytes()[t.start - 1] | 0x20 } else { 0 };
            if kind == StringKind::Bits && prefix == b'x' {
                // PostgreSQL shows a hex bit string as bits.
                v = v.chars().filter_map(|c| c.to_digit(16)).map(|d| format!("{d:04b}")).collect();
            }
            if dialect == Dialect::MySql && prefix == b'n' {
                // MariaDB's national character set is utf8mb3: no 4-byte characters.
                v = v.chars().map(|c| if c.len_utf8() == 4 { "????".into() } else { c.to_string() }).collect();
            }
            match values.last_mut() {
                Some(last) if joined => last.push_str(&v),
                _ => values.push(v),
            }
        } else if t.kind == TokenKind::Symbol && &sql[t.start..t.end] != "," {
            pure = false;
        }
    }
    (scan.statements, pure.then_some(values))
}

#[derive(Default, Debug)]
struct Tally {
    accepted: usize,
    count_only: usize,
    refused: usize,
    syntax: usize,
    syntax_flagged: usize,
    other: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn check(&mut self, sql: &str, dialect: Dialect, modes: SqlModes, outcome: Outcome) {
        let scan = scan_sql_with(sql, dialect, modes);
        match (outcome, scan) {
            (Outcome::Ran(n, values), Ok(scan)) => {
                self.accepted += 1;
                let predicted = predict(sql, &scan, dialect);
                self.count_only += usize::from(predicted.1.is_none());
                if predicted.0 != n || predicted.1.as_ref().is_some_and(|v| *v != values) {
                    self.disagreements.push(format!(
                        "{modes:?} {sql:?}: server ran {n} statements returning {values:?}, scanner predicted {predicted:?}"
                    ));
                }
            }
            // Deliberate: whether the server runs a versioned comment's body
            // depends on its version, so the scanner refuses them all.
            (Outcome::Ran(..), Err(e)) if e.contains("versioned executable comment") => self.refused += 1,
            (Outcome::Ran(n, values), Err(e)) => {
                self.accepted += 1;
                self.disagreements.push(format!("{modes:?} {sql:?}: server ran {n} → {values:?}, scanner failed: {e}"));
            }
            (Outcome::Syntax, scan) => {
                self.syntax += 1;
                self.syntax_flagged += usize::from(scan.is_err());
            }
            (Outcome::Other, _) => self.other += 1,
        }
    }

    fn assert_parity(&self, engine: &str) {
        eprintln!(
            "{engine}: {} cases: {} accepted by the server and lexed identically ({} compared by statement \
             count only), {} with versioned comments the scanner refuses, {} syntax errors ({} also refused by \
             the scanner), {} other errors",
            self.accepted + self.refused + self.syntax + self.other,
            self.accepted - self.disagreements.len(),
            self.count_only,
            self.refused,
            self.syntax,
            self.syntax_flagged,
            self.other
        );
        assert!(self.disagreements.is_empty(), "{} disagreements:\n{}", self.disagreements.len(), {
            self.disagreements.iter().take(15).cloned().collect::<Vec<_>>().join("\n")
        });
        // Enough cases must reach the server's executor for the test to mean something.
        assert!(self.accepted * 2 >= CASES, "only {} of {CASES} cases were accepted", self.accepted);
    }
}

#[tokio::test]
async fn the_scanner_lexes_generated_sql_exactly_as_postgresql_does() {
    let Some(db) = pg().await else { return };
    let s = &db.spec;
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&s.host).port(s.port).dbname(&s.database).user(&s.username);
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.expect("connect");
    tokio::spawn(conn);
    let mut rng = Rng::new(0x5eed_0f9a);
    let mut tally = Tally::default();
    for _ in 0..CASES {
        let sql = sql(&mut rng, Dialect::Postgres, SqlModes::default());
        let outcome = match client.simple_query(&sql).await {
            Ok(messages) => {
                let mut values = Vec::new();
                let mut statements = 0;
                for m in messages {
                    match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => {
                            values.extend((0..row.len()).map(|i| row.get(i).unwrap_or_default().to_string()));
                        }
                        tokio_postgres::SimpleQueryMessage::CommandComplete(_) => statements += 1,
                        _ => {}
                    }
                }
                Outcome::Ran(statements, values)
            }
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::SYNTAX_ERROR) => Outcome::Syntax,
            Err(_) => Outcome::Other,
        };
        tally.check(&sql, Dialect::Postgres, SqlModes::default(), outcome);
    }
    tally.assert_parity("PostgreSQL");
}

#[tokio::test]
async fn the_scanner_lexes_generated_sql_exactly_as_mariadb_does_in_every_quote_mode() {
    use mysql_async::prelude::Queryable;
    let Some(db) = mysql().await else { return };
    let s = &db.spec;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(s.host.clone())
        .tcp_port(s.port)
        .user(Some(s.username.clone()))
        .db_name(Some(s.database.clone()));
    let mut conn = mysql_async::Conn::new(opts).await.expect("connect");
    conn.query_drop("SET NAMES utf8mb4").await.expect("utf8mb4");
    let mut rng = Rng::new(0x005e_ed0f_3306);
    let mut tally = Tally::default();
    for sql_mode in ["", "NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "ANSI_QUOTES,NO_BACKSLASH_ESCAPES"] {
        conn.query_drop(format!("SET SESSION sql_mode = '{sql_mode}'")).await.expect("sql_mode");
        let modes = SqlModes::from_sql_mode(sql_mode);
        for _ in 0..CASES / 4 {
            let sql = sql(&mut rng, Dialect::MySql, modes);
            let outcome = run_mysql(&mut conn, &sql).await;
            tally.check(&sql, Dialect::MySql, modes, outcome);
        }
    }
    tally.assert_parity("MariaDB");
}

async fn run_mysql(conn: &mut mysql_async::Conn, sql: &str) -> Outcome {
    use mysql_async::prelude::Queryable;
    const PARSE_ERROR: u16 = 1064;
    let classify = |e: mysql_async::Error| match e {
        mysql_async::Error::Server(s) if s.code == PARSE_ERROR => Outcome::Syntax,
        _ => Outcome::Other,
    };
    let mut result = match conn.query_iter(sql).await {
        Ok(r) => r,
        Err(e) => return classify(e),
    };
    let (mut statements, mut values) = (0, Vec::new());
    while !result.is_empty() {
        match result.collect::<mysql_async::Row>().await {
            Ok(rows) => {
                statements += 1;
                for row in rows {
                    for v in row.unwrap() {
                        values.push(match v {
                            mysql_async::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                            other => format!("{other:?}"),
                        });
                    }
                }
            }
            // A later statement failed after earlier ones ran.
            Err(e) => return classify(e),
        }
    }
    if let Err(e) = result.drop_result().await {
        return classify(e);
    }
    // The driver keeps a later statement's error for the next query.
    if let Err(e) = conn.query_drop("DO 1").await {
        return classify(e);
    }
    Outcome::Ran(statements, values)
}

#[tokio::test]
async fn postgres_sessions_always_lex_plain_strings_without_backslash_escapes() {
    let Some(db) = pg().await else { return };
    // A database default of `off` is overridden by the engine's startup message.
    db.setup(&format!("ALTER DATABASE {} SET standard_conforming_strings = off", db.id)).await;
    let engine = mcp_runtime::db::Engine::new();
    let setting = "SELECT current_setting('standard_conforming_strings') AS s, 'a\\' AS t";
    let row = crate::support::first_row(&engine, &db, setting).await;
    assert_eq!((row["s"].as_str(), row["t"].as_str()), (Some("on"), Some("a\\")));
    // A call that turns it off leaves no connection behind that has it off.
    let args = serde_json::Map::new();
    crate::support::run(&engine, &db, "SET standard_conforming_strings = off", &[], &args, false)
        .await
        .expect("a read-write SET runs");
    for _ in 0..5 {
        assert_eq!(crate::support::first_row(&engine, &db, setting).await["s"], "on");
    }
}
