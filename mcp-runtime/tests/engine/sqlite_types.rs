//! SQLite values come back as JSON by storage class, refined by the declared type.

use mcp_runtime::db::Engine;
use serde_json::json;

use crate::support::{run, sqlite};

/// A table of every storage class and common declared types, with one row of values.
pub const TYPES_SETUP: &str =
    "CREATE TABLE t (i INTEGER, r REAL, t TEXT, b BLOB, flag BOOLEAN, doc JSON, d DATE, n INTEGER);
     INSERT INTO t VALUES (9223372036854775807, 0.1, 'héllo', X'DEADBEEF', 1, '{\"a\": [1, 2]}', '2024-02-29', NULL);";

#[tokio::test]
async fn sqlite_values_come_back_as_faithful_json() {
    let db = sqlite().await;
    db.setup(TYPES_SETUP).await;
    let engine = Engine::new();
    let out = run(&engine, &db, "SELECT * FROM t", &[], &Default::default(), true).await.expect("query runs");
    let row = &out.rows[0];
    // SQLite has no JSON type (a JSON column holds text); transforms can parse it.
    // Beyond 2^53 an integer is a string, so no client rounds it.
    assert_eq!(serde_json::to_string(&row["i"]).unwrap(), r#""9223372036854775807""#);
    let expect = json!({"r": 0.1, "t": "héllo", "b": "3q2+7w==", "flag": true, "doc": "{\"a\": [1, 2]}", "d": "2024-02-29", "n": null});
    for (k, v) in expect.as_object().unwrap() {
        assert_eq!(&row[k], v, "column {k}");
    }
    let types: Vec<&str> = out.columns.iter().map(|c| c.db_type.as_str()).collect();
    assert_eq!(&types[..2], ["INTEGER", "REAL"]);
}

/// Another process changes the table between two calls on the same pooled
/// connection: the second call answers with the table as it is now (its
/// columns, names and types), not as the connection first prepared it.
#[tokio::test]
async fn a_table_changed_by_another_process_between_calls_is_read_as_it_is_now() {
    let db = sqlite().await;
    db.setup("CREATE TABLE items (id INTEGER, price REAL); INSERT INTO items VALUES (1, 2.5);").await;
    let engine = Engine::new();
    let before = run(&engine, &db, "SELECT * FROM items", &[], &Default::default(), true).await.expect("runs");
    assert_eq!(before.rows[0], json!({"id": 1, "price": 2.5}).as_object().unwrap().clone());
    db.setup("ALTER TABLE items ADD COLUMN label TEXT; UPDATE items SET label = 'one';").await;
    let after = run(&engine, &db, "SELECT * FROM items", &[], &Default::default(), true).await.expect("runs");
    let names: Vec<&str> = after.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "price", "label"]);
    assert_eq!(after.rows[0], json!({"id": 1, "price": 2.5, "label": "one"}).as_object().unwrap().clone());
}
