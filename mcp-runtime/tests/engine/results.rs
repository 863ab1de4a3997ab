//! What clients read out of a result on every engine: row objects in the
//! statement's column order, and exact numbers that survive `JSON.parse`
//! (Node) and Python's default `json` — compared with the database's own text.

use std::process::Command;

use mcp_runtime::db::{Engine, Limits, Query, QueryResult};
use serde_json::{Map, Value};
use shared_model::manifest::ExactNumerics;

use crate::support::{TestDb, mysql, pg, run, sqlite};

async fn keys_in_order(engine: &Engine, db: &TestDb, sql: &str) -> (Vec<String>, String) {
    let out = run(engine, db, sql, &[], &Map::new(), true).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names: Vec<String> = out.columns.iter().map(|c| c.name.clone()).collect();
    let keys: Vec<String> = out.rows[0].keys().cloned().collect();
    assert_eq!(keys, names, "row keys follow the columns");
    (keys, serde_json::to_string(&out.rows[0]).unwrap())
}

#[tokio::test]
async fn row_objects_keep_the_select_column_order_on_every_engine() {
    let engine = Engine::new();
    let want = ["id", "title", "price", "a"];
    let sql = "SELECT 7 AS id, 'Film 7' AS title, 8.75 AS price, 1 AS a";
    let lite = sqlite().await;
    let (keys, text) = keys_in_order(&engine, &lite, sql).await;
    assert_eq!(keys, want);
    assert_eq!(text, r#"{"id":7,"title":"Film 7","price":8.75,"a":1}"#);
    if let Some(p) = pg().await {
        p.setup(
            "CREATE TABLE film (id int PRIMARY KEY, title text, price numeric(6,2));
                 INSERT INTO film VALUES (7, 'Film 7', 8.75);",
        )
        .await;
        assert_eq!(keys_in_order(&engine, &p, sql).await.0, want);
        let (keys, text) = keys_in_order(&engine, &p, "SELECT id, title, price FROM film").await;
        assert_eq!(
            (keys, text.as_str()),
            (vec!["id".into(), "title".into(), "price".into()], r#"{"id":7,"title":"Film 7","price":8.75}"#)
        );
    }
    if let Some(m) = mysql().await {
        m.setup(
            "CREATE TABLE film (id INT PRIMARY KEY, title TEXT, price DECIMAL(6,2));
                 INSERT INTO film VALUES (7, 'Film 7', 8.75);",
        )
        .await;
        assert_eq!(keys_in_order(&engine, &m, sql).await.0, want);
        let (_, text) = keys_in_order(&engine, &m, "SELECT id, title, price FROM film").await;
        assert_eq!(text, r#"{"id":7,"title":"Film 7","price":8.75}"#);
    }
}

/// `(value, the database's text of it)` per column pair `x` / `x_text`, as a
/// client reading the JSON with `program` sees the value.
fn client_view(program: &[&str], json: &str) -> Vec<(String, String)> {
    let out = Command::new(program[0]).args(&program[1..]).arg(json).output().expect("the client runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<(String, String)>>(&out.stdout).expect("pairs")
}

const NODE: &[&str] = &[
    "node",
    "-e",
    r#"
const rows = JSON.parse(process.argv[1]);
const out = [];
for (const row of rows) for (const k of Object.keys(row)) if (!k.endsWith('_text'))
  out.push([String(row[k]), row[k + '_text']]);
console.log(JSON.stringify(out));"#,
];

const PYTHON: &[&str] = &[
    "python3",
    "-c",
    r#"
import json, sys
rows = json.loads(sys.argv[1])
print(json.dumps([[repr(r[k]) if isinstance(r[k], float) else str(r[k]), r[k + '_text']]
                  for r in rows for k in r if not k.endswith('_text')]))"#,
];

/// The same decimal value: sign, no leading zeros, no trailing fraction zeros.
fn plain(text: &str) -> String {
    let (neg, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    let int = if int.is_empty() { "0" } else { int };
    format!("{}{int}{}{frac}", if neg { "-" } else { "" }, if frac.is_empty() { "" } else { "." })
}

fn assert_clients_read_exact_values(out: &QueryResult, engine_name: &str) {
    let json = serde_json::to_string(&out.rows).unwrap();
    for program in [NODE, PYTHON] {
        for (seen, db_text) in client_view(program, &json) {
            assert_eq!(plain(&seen), plain(&db_text), "{engine_name}, {}: {json}", program[0]);
        }
    }
    // Small values stay numbers; only what a double cannot hold is a string.
    let row = &out.rows[0];
    assert!(row["small"].is_number() && row["dec"].is_number(), "{engine_name}: {json}");
    assert!(row["big"].is_string() && row["long_dec"].is_string(), "{engine_name}: {json}");
}

#[tokio::test]
async fn node_and_python_clients_read_every_exact_number_as_the_database_prints_it() {
    let engine = Engine::new();
    if let Some(p) = pg().await {
        let sql = "SELECT v.small, v.small::text AS small_text, v.big, v.big::text AS big_text,
                          v.dec, v.dec::text AS dec_text, v.long_dec, v.long_dec::text AS long_dec_text,
                          v.neg, v.neg::text AS neg_text, v.edge, v.edge::text AS edge_text
                   FROM (VALUES (42::int8, 9007199254740993::int8, 1.50::numeric(5,2),
                                 12345678901234.123456::numeric, (-9223372036854775808)::int8,
                                 9007199254740992::int8)) AS v(small, big, dec, long_dec, neg, edge)";
        let out = run(&engine, &p, sql, &[], &Map::new(), true).await.unwrap();
        assert_clients_read_exact_values(&out, "postgresql");
    }
    if let Some(m) = mysql().await {
        m.setup(
            "CREATE TABLE n (small BIGINT, big BIGINT UNSIGNED, `dec` DECIMAL(5,2), long_dec DECIMAL(30,6));
                 INSERT INTO n VALUES (42, 18446744073709551615, 1.50, 12345678901234.123456);",
        )
        .await;
        let sql = "SELECT small, CAST(small AS CHAR) AS small_text, big, CAST(big AS CHAR) AS big_text,
                          `dec`, CAST(`dec` AS CHAR) AS dec_text, long_dec, CAST(long_dec AS CHAR) AS long_dec_text
                   FROM n";
        let out = run(&engine, &m, sql, &[], &Map::new(), true).await.unwrap();
        assert_clients_read_exact_values(&out, "mariadb");
    }
    let lite = sqlite().await;
    lite.setup(
        "CREATE TABLE n (small INTEGER, big INTEGER, dec REAL, long_dec TEXT);
                INSERT INTO n VALUES (42, 9223372036854775807, 1.5, '12345678901234.123456');",
    )
    .await;
    let out = run(
        &engine,
        &lite,
        "SELECT small, CAST(small AS TEXT) AS small_text, big, CAST(big AS TEXT) AS big_text,
                                          dec, CAST(dec AS TEXT) AS dec_text FROM n",
        &[],
        &Map::new(),
        true,
    )
    .await
    .unwrap();
    let json = serde_json::to_string(&out.rows).unwrap();
    for program in [NODE, PYTHON] {
        for (seen, db_text) in client_view(program, &json) {
            assert_eq!(plain(&seen), plain(&db_text), "sqlite, {}: {json}", program[0]);
        }
    }
    assert!(out.rows[0]["big"].is_string() && out.rows[0]["small"].is_number(), "{json}");
}

#[tokio::test]
async fn the_string_setting_writes_every_wide_integer_and_decimal_as_a_string() {
    let Some(p) = pg().await else { return };
    let engine = Engine::new();
    let q = Query {
        sql: "SELECT 42::int8 AS big, 7::int4 AS small, 8.75::numeric AS dec, 0.5::float8 AS f, ARRAY[1,2]::int8[] AS ids",
        params: &[],
        args: &Map::new(),
        read_only: true,
        limits: Limits::preview(None),
        exact_numerics: ExactNumerics::String,
        offset: 0,
    };
    let out = engine.execute(&p.id, &p.spec, &q).await.unwrap();
    assert_eq!(
        Value::Object(out.rows[0].clone()),
        serde_json::json!({"big": "42", "small": 7, "dec": "8.75", "f": 0.5, "ids": ["1", "2"]})
    );
}
