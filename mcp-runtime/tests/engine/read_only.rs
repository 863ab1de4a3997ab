//! Published read-only bypass attempts must fail, leaving the data unchanged
//! (SQLite; PostgreSQL's are in `read_only_pg.rs`, MariaDB's in `read_only_mysql.rs`).

use mcp_runtime::db::Engine;
use serde_json::Map;

use crate::support::{run, sqlite};

#[tokio::test]
async fn sqlite_read_only_queries_cannot_change_the_file() {
    let db = sqlite().await;
    db.setup("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'a'), (2, 'b');")
        .await;
    let engine = Engine::new();
    for sql in [
        "DELETE FROM items",
        "INSERT INTO items VALUES (3, 'c')",
        "UPDATE items SET name = 'x'",
        "DROP TABLE items",
        "CREATE TABLE evil (a)",
        "WITH d AS (SELECT 1) DELETE FROM items",
        "INSERT INTO items VALUES (5, 'e') RETURNING *",
        "PRAGMA query_only = 0",
        "ATTACH DATABASE '/tmp/quarry_ro_attach_probe.db' AS evil",
        "VACUUM",
        "SELECT 1; DELETE FROM items",
    ] {
        let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
        assert!(err.is_some(), "{sql:?} must fail in read-only mode");
    }
    assert_eq!(db.scalar("SELECT group_concat(id || ':' || name) FROM items").await.as_deref(), Some("1:a,2:b"));
    assert!(!std::path::Path::new("/tmp/quarry_ro_attach_probe.db").exists());
}
