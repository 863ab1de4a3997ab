//! Published read-only bypass attempts must fail, leaving the data unchanged
//! (MariaDB's are in `read_only_mysql.rs`).

use mcp_runtime::db::{Engine, EngineError};
use serde_json::Map;

use crate::support::{pg, run, sqlite};

const PG_ATTEMPTS: &[&str] = &[
    "COMMIT; DROP TABLE items",
    "SELECT 1; DELETE FROM items",
    "ROLLBACK; INSERT INTO items VALUES (99, 'x')",
    "/* ; */ DELETE FROM items",
    "DELETE FROM items",
    "UPDATE items SET name = 'pwned'",
    "INSERT INTO items VALUES (99, 'x')",
    "DROP TABLE items",
    "TRUNCATE items",
    "CREATE TABLE evil (a int)",
    "CREATE TEMP TABLE evil (a int)",
    "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d",
    "WITH u AS (UPDATE items SET name = 'pwned' RETURNING *) SELECT count(*) FROM u",
    "SELECT * INTO items_copy FROM items",
    "SET TRANSACTION READ WRITE",
    "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
    "SELECT set_config('transaction_read_only', 'off', true)",
    "SELECT * FROM items FOR UPDATE",
    "SELECT * FROM items FOR SHARE",
    "SELECT nextval('items_id_seq')",
    "SELECT setval('items_id_seq', 1000)",
    "SELECT pg_advisory_lock(4242)",
    "SELECT pg_try_advisory_lock(4243)",
    "COPY (SELECT 1) TO PROGRAM 'touch /tmp/quarry_ro_copy_probe'",
    "COPY items TO STDOUT",
    "DO $$ BEGIN DELETE FROM items; END $$",
    "PREPARE p AS DELETE FROM items",
    "LOCK TABLE items IN ACCESS EXCLUSIVE MODE",
    "COMMIT",
    "VACUUM items",
    // File access PostgreSQL allows inside READ ONLY for privileged roles.
    "SELECT pg_read_file('/etc/hostname')",
    "SELECT pg_catalog.pg_read_binary_file('/etc/hostname')",
    "SELECT * FROM pg_ls_dir('.')",
    "SELECT pg_stat_file('PG_VERSION')",
    "SELECT lo_import('/etc/hostname')",
    "SELECT lo_export(0, '/tmp/quarry_ro_lo_export_probe')",
    "SELECT \"pg_read_file\"('/etc/hostname')",
    "SELECT U&\"pg\\005fread_file\"('/etc/hostname')",
    "SELECT pg_read_file /* gap */ ('/etc/hostname')",
    "SELECT query_to_xml('SELECT pg_read_file(''/etc/hostname'')', true, false, '')",
];

#[tokio::test]
async fn postgres_refuses_every_bypass_attempt_and_the_data_is_unchanged() {
    let Some(db) = pg().await else { return };
    db.setup("CREATE TABLE items (id serial PRIMARY KEY, name text); INSERT INTO items (name) VALUES ('a'), ('b');")
        .await;
    let engine = Engine::new();
    for sql in PG_ATTEMPTS {
        let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
        let err = err.unwrap_or_else(|| panic!("{sql:?} must fail in read-only mode"));
        assert!(
            matches!(err, EngineError::ReadOnly(_) | EngineError::InvalidSql(_) | EngineError::Database(_)),
            "{sql}: {err}"
        );
    }
    assert_eq!(
        db.scalar("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM items").await.as_deref(),
        Some("1:a,2:b")
    );
    assert_eq!(db.scalar("SELECT last_value FROM items_id_seq").await.as_deref(), Some("2"));
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('evil', 'items_copy')").await.as_deref(),
        Some("0")
    );
    assert!(!std::path::Path::new("/tmp/quarry_ro_copy_probe").exists(), "COPY TO PROGRAM ran");
    // No advisory lock survived on the pooled connection.
    let locks = db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").await;
    assert_eq!(locks.as_deref(), Some("0"));
    // The pool still works afterwards.
    assert_eq!(
        run(&engine, &db, "SELECT count(*) AS n FROM items", &[], &Map::new(), true).await.unwrap().rows[0]["n"],
        2
    );
}

#[tokio::test]
async fn postgres_side_effects_the_server_allows_in_read_only_transactions_do_not_last() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    // PostgreSQL permits these inside READ ONLY; the engine's ROLLBACK undoes them.
    for sql in ["SELECT set_config('statement_timeout', '1', false)", "SELECT set_config('search_path', 'evil', false)"]
    {
        let _ = run(&engine, &db, sql, &[], &Map::new(), true).await;
    }
    assert_eq!(db.scalar("SELECT count(*) FROM pg_largeobject_metadata").await.as_deref(), Some("0"));
    // A session advisory lock taken indirectly (inside a function) does not
    // outlive the query, even when the query then fails.
    db.setup("CREATE FUNCTION grab(fail bool) RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_lock(77); IF fail THEN RAISE 'boom'; END IF; RETURN 1; END $$;").await;
    for sql in ["SELECT grab(false) AS g", "SELECT grab(true) AS g"] {
        let _ = run(&engine, &db, sql, &[], &Map::new(), true).await;
        let locks = db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").await;
        assert_eq!(locks.as_deref(), Some("0"), "{sql}");
    }
    let settings = run(
        &engine,
        &db,
        "SELECT current_setting('search_path') AS sp, pg_sleep(0.01)::text AS slept",
        &[],
        &Map::new(),
        true,
    )
    .await;
    let row = &settings.expect("session settings were rolled back").rows[0];
    assert_eq!(row["sp"], "\"$user\", public");
}

#[tokio::test]
async fn file_functions_are_refused_by_name_before_reaching_the_database() {
    let engine = Engine::new();
    if let Some(db) = pg().await {
        for (sql, name) in [
            ("SELECT pg_read_file('/etc/hostname') AS f", "pg_read_file"),
            ("SELECT length(pg_read_binary_file('/etc/hostname')) AS n", "pg_read_binary_file"),
            ("SELECT count(*) AS n FROM pg_ls_dir('.')", "pg_ls_dir"),
            ("SELECT (pg_stat_file('PG_VERSION')).size AS n", "pg_stat_file"),
            ("SELECT lo_import('/etc/hostname') AS oid", "lo_import"),
            ("SELECT lo_export(1, '/tmp/quarry_ro_probe') AS ok", "lo_export"),
        ] {
            let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
            assert!(matches!(&err, Some(EngineError::ReadOnly(m)) if m.contains(name)), "{sql}: {err:?}");
        }
        let literal = run(&engine, &db, "SELECT 'pg_read_file(' AS s -- lo_import(\n", &[], &Map::new(), true).await;
        assert_eq!(literal.unwrap().rows[0]["s"], "pg_read_file(");
    }
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
