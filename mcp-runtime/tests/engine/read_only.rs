//! Published read-only bypass attempts must fail, leaving the data unchanged
//! (MariaDB and SQLite; PostgreSQL's are in `read_only_pg`).

use mcp_runtime::db::{Engine, EngineError};
use serde_json::Map;

use crate::support::{mysql, run, sqlite};

#[tokio::test]
async fn file_functions_are_refused_by_name_before_reaching_the_database() {
    let engine = Engine::new();
    if let Some(db) = mysql().await {
        let err = run(&engine, &db, "SELECT LOAD_FILE('/etc/hostname') AS f", &[], &Map::new(), true).await.err();
        assert!(matches!(&err, Some(EngineError::ReadOnly(m)) if m.contains("load_file")), "{err:?}");
        let literal = run(&engine, &db, "SELECT 'load_file(' AS s", &[], &Map::new(), true).await.unwrap();
        assert_eq!(literal.rows[0]["s"], "load_file(");
    }
}

const MYSQL_ATTEMPTS: &[&str] = &[
    "COMMIT; DROP TABLE items",
    "SELECT 1; DELETE FROM items",
    "DELETE FROM items",
    "UPDATE items SET name = 'pwned'",
    "INSERT INTO items VALUES (99, 'x')",
    "REPLACE INTO items VALUES (1, 'pwned')",
    "DROP TABLE items",
    "TRUNCATE items",
    "CREATE TABLE evil (a int)",
    "CREATE TEMPORARY TABLE evil (a int)",
    "CREATE SEQUENCE evil_seq",
    "RENAME TABLE items TO items_gone",
    "ALTER TABLE items ADD COLUMN x int",
    "WITH d AS (SELECT 1) DELETE FROM items",
    "SELECT * FROM items INTO OUTFILE '/tmp/quarry_ro_outfile_probe'",
    "SELECT 1 INTO DUMPFILE '/tmp/quarry_ro_dumpfile_probe'",
    "SELECT 1 INTO @x",
    "SET TRANSACTION READ WRITE",
    "SET SESSION TRANSACTION READ WRITE",
    "SET GLOBAL max_connections = 152",
    "SELECT * FROM items FOR UPDATE",
    "LOCK TABLES items WRITE",
    "DO SLEEP(0)",
    "CALL mysql.nonexistent()",
    "COMMIT",
    "XA START 'x'",
    "HANDLER items OPEN",
    "SELECT LOAD_FILE('/etc/hostname')",
    "SELECT load_file ('/etc/hostname') AS f",
    "SELECT /*!LOAD_FILE('/etc/hostname')*/ AS f",
];

#[tokio::test]
async fn mariadb_refuses_every_bypass_attempt_and_the_data_is_unchanged() {
    let Some(db) = mysql().await else { return };
    db.setup("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'a'), (2, 'b');")
        .await;
    let max_connections = db.scalar("SELECT @@global.max_connections").await;
    let engine = Engine::new();
    for sql in MYSQL_ATTEMPTS {
        let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
        let err = err.unwrap_or_else(|| panic!("{sql:?} must fail in read-only mode"));
        assert!(
            matches!(err, EngineError::ReadOnly(_) | EngineError::InvalidSql(_) | EngineError::Database(_)),
            "{sql}: {err}"
        );
    }
    assert_eq!(
        db.scalar("SELECT GROUP_CONCAT(id, ':', name ORDER BY id) FROM items").await.as_deref(),
        Some("1:a,2:b")
    );
    let tables = db
        .scalar("SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        .await;
    assert_eq!(tables.as_deref(), Some("items"));
    assert_eq!(db.scalar("SELECT @@global.max_connections").await, max_connections);
    assert!(!std::path::Path::new("/tmp/quarry_ro_outfile_probe").exists(), "INTO OUTFILE wrote a file");
    assert!(!std::path::Path::new("/tmp/quarry_ro_dumpfile_probe").exists(), "INTO DUMPFILE wrote a file");
}

#[tokio::test]
async fn mariadb_shared_locking_reads_end_with_the_query() {
    let Some(db) = mysql().await else { return };
    db.setup("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'a');").await;
    let engine = Engine::new();
    // MariaDB allows shared locks in READ ONLY transactions; the engine's
    // ROLLBACK releases them, so a writer is not blocked afterwards.
    run(&engine, &db, "SELECT * FROM items LOCK IN SHARE MODE", &[], &Map::new(), true).await.unwrap();
    db.setup("SET SESSION innodb_lock_wait_timeout = 1; UPDATE items SET name = 'b' WHERE id = 1;").await;
    assert_eq!(db.scalar("SELECT name FROM items").await.as_deref(), Some("b"));
}

#[tokio::test]
async fn mariadb_named_locks_do_not_outlive_a_read_only_query() {
    let Some(db) = mysql().await else { return };
    let engine = Engine::new();
    let lock = format!("quarry_{}", db.id);
    let sql = format!("SELECT GET_LOCK('{lock}', 0) AS got");
    assert_eq!(run(&engine, &db, &sql, &[], &Map::new(), true).await.unwrap().rows[0]["got"], 1);
    // The pool resets a returned connection, which releases named locks.
    let free = db.scalar_becomes(&format!("SELECT IS_FREE_LOCK('{lock}')"), "1").await;
    assert_eq!(free.as_deref(), Some("1"));
}

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
