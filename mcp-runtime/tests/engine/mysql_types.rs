//! MariaDB/MySQL values come back as faithful JSON, with their type names.

use mcp_runtime::db::Engine;
use serde_json::json;

use crate::support::{mysql, run};

/// A table with a column of every common type and one row of values (and a NULL).
pub const TYPES_SETUP: &str = "CREATE TABLE t (
     ub BIGINT UNSIGNED, sb BIGINT, dec_ DECIMAL(30,10), f FLOAT, d DOUBLE, b BOOLEAN, ti TINYINT UNSIGNED,
     vc VARCHAR(10), c CHAR(3), tx TEXT, dt DATE, tm TIME, tm6 TIME(6), dtm DATETIME(6), ts TIMESTAMP NULL,
     y YEAR, bits BIT(10), st SET('a','b','c'), en ENUM('sad','happy'), bl BLOB, vb VARBINARY(8),
     js JSON, u UUID, n INT);
     INSERT INTO t VALUES (18446744073709551615, 9007199254740993, 12345678901234567890.1234567890, 1.5,
     0.1, TRUE, 255, 'vé', 'ab', 'long text', '2024-02-29', '-12:34:56', '01:02:03.250000',
     '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05', 2024, b'1000000001', 'a,c', 'happy',
     X'DEADBEEF', X'00FF', '{\"a\": [1, null]}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL);";

/// Values computed without a table.
pub const EXPRESSIONS: &str =
    "SELECT 1 AS one, 'x' AS s, NULL AS nothing, CAST(2.50 AS DECIMAL(4,2)) AS dec_, NOW() IS NOT NULL AS ok";

#[tokio::test]
async fn mariadb_values_of_every_common_type_come_back_as_faithful_json() {
    let Some(db) = mysql().await else { return };
    db.setup(TYPES_SETUP).await;
    let engine = Engine::new();
    let out = run(&engine, &db, "SELECT * FROM t", &[], &Default::default(), true).await.expect("query runs");
    let row = &out.rows[0];
    let expect = json!({
        "f": 1.5, "d": 0.1, "b": 1, "ti": 255, "vc": "vé", "c": "ab", "tx": "long text", "dt": "2024-02-29",
        "tm": "-12:34:56", "tm6": "01:02:03.250000", "dtm": "2024-01-02T03:04:05.123456", "ts": "2024-01-02T03:04:05",
        "y": 2024, "bits": 513, "st": ["a", "c"], "en": "happy", "bl": "3q2+7w==", "vb": "AP8=",
        "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "n": null
    });
    for (k, v) in expect.as_object().unwrap() {
        assert_eq!(&row[k], v, "column {k}");
    }
    let text = |k: &str| serde_json::to_string(&row[k]).unwrap();
    // What a double cannot hold is a string with the exact digits.
    assert_eq!(text("ub"), r#""18446744073709551615""#);
    assert_eq!(text("sb"), r#""9007199254740993""#);
    assert_eq!(text("dec_"), r#""12345678901234567890.1234567890""#);
    // MariaDB stores JSON as LONGTEXT and does not mark it on the wire, so it
    // arrives as text (MySQL's native JSON type is parsed).
    assert_eq!(row["js"], json!("{\"a\": [1, null]}"));
    let types: Vec<(&str, &str)> = out.columns.iter().map(|c| (c.name.as_str(), c.db_type.as_str())).collect();
    for expected in
        [("ub", "BIGINT UNSIGNED"), ("dec_", "DECIMAL"), ("st", "SET"), ("en", "ENUM"), ("bl", "BLOB"), ("y", "YEAR")]
    {
        assert!(types.contains(&expected), "{expected:?} in {types:?}");
    }
}

#[tokio::test]
async fn mariadb_expressions_without_a_table_decode_too() {
    let Some(db) = mysql().await else { return };
    let engine = Engine::new();
    let out = run(&engine, &db, EXPRESSIONS, &[], &Default::default(), true).await.unwrap();
    let row = &out.rows[0];
    assert_eq!(
        (&row["one"], &row["s"], &row["nothing"], &row["ok"]),
        (&json!(1), &json!("x"), &json!(null), &json!(1))
    );
    assert_eq!(serde_json::to_string(&row["dec_"]).unwrap(), "2.50");
}
