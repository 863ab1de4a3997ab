//! PostgreSQL read-only bypass attempts, run as the superuser `postgres`:
//! each must leave no effect behind — rows, sequences, sessions, replication
//! slots, statistics, settings, locks, large objects and files are compared
//! before and after every attempt, not just the error.

use std::time::{Duration, Instant};

use mcp_runtime::db::{Engine, EngineError, Limits, Query};
use serde_json::Map;

use crate::support::{TestDb, pg, run};

/// What kind of escape an attempt tries.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// Plain writes, several statements, transaction control.
    Write,
    /// A function runs SQL text handed to it as a string.
    SqlText,
    /// Quarry's scanner and the server's lexer may disagree about where a
    /// string ends; whatever the verdict, nothing may happen.
    Desync,
    /// Effects a READ ONLY transaction and ROLLBACK do not undo.
    Lasting,
    /// Server files.
    Files,
    /// Utility statements: COPY, DO, CALL, PREPARE, LISTEN …
    Utility,
}

use Class::*;

/// (class, SQL, must it be refused). Desync cases may also run, harmlessly.
const ATTEMPTS: &[(Class, &str, bool)] = &[
    (Write, "COMMIT; DROP TABLE items", true),
    (Write, "SELECT 1; DELETE FROM items", true),
    (Write, "ROLLBACK; INSERT INTO items VALUES (99, 'x')", true),
    (Write, "/* ; */ DELETE FROM items", true),
    (Write, "DELETE FROM items", true),
    (Write, "UPDATE items SET name = 'pwned'", true),
    (Write, "INSERT INTO items VALUES (99, 'x')", true),
    (Write, "MERGE INTO items USING (SELECT 1 AS id) s ON items.id = s.id WHEN MATCHED THEN DELETE", true),
    (Write, "DROP TABLE items", true),
    (Write, "TRUNCATE items", true),
    (Write, "CREATE TABLE evil (a int)", true),
    (Write, "CREATE TEMP TABLE evil (a int)", true),
    (Write, "WITH d AS (DELETE FROM items RETURNING *) SELECT * FROM d", true),
    (Write, "WITH u AS (UPDATE items SET name = 'pwned' RETURNING *) SELECT count(*) FROM u", true),
    (Write, "SELECT * INTO items_copy FROM items", true),
    (Write, "SET TRANSACTION READ WRITE", true),
    (Write, "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", true),
    (Write, "SELECT set_config('transaction_read_only', 'off', true)", true),
    (Write, "SELECT * FROM items FOR UPDATE", true),
    (Write, "SELECT * FROM items FOR SHARE", true),
    (Write, "(SELECT * FROM items FOR KEY SHARE) UNION ALL SELECT * FROM items", true),
    (Write, "LOCK TABLE items IN ACCESS EXCLUSIVE MODE", true),
    (Write, "COMMIT", true),
    (Write, "EXPLAIN ANALYZE DELETE FROM items", true),
    (SqlText, "SELECT query_to_xml('DELETE FROM items RETURNING 1', true, false, '')", true),
    (SqlText, "SELECT query_to_xml('SELECT pg_read_file(''/etc/hostname'')', true, false, '')", true),
    (SqlText, "SELECT pg_catalog.query_to_xmlschema('SELECT nextval(''items_id_seq'')', true, false, '')", true),
    (SqlText, "SELECT \"query_to_xml_and_xmlschema\"('SELECT setval(''items_id_seq'', 500)', true, false, '')", true),
    (SqlText, "SELECT Query_To_Xml('SELECT 1', true, false, '')", true),
    (SqlText, "SELECT U&\"query\\005fto_xml\"('SELECT 1', true, false, '')", true),
    (SqlText, "SELECT x FROM query_to_xml('SELECT lo_import(''/etc/hostname'')', true, false, '') x", true),
    (SqlText, "SELECT (SELECT table_to_xml('items', true, false, ''))", true),
    (SqlText, "SELECT schema_to_xml('public', true, false, '')", true),
    (SqlText, "SELECT database_to_xml(true, false, '')", true),
    (SqlText, "SELECT cursor_to_xml('c', 1, true, false, '')", true),
    (SqlText, "SELECT * FROM ts_stat('SELECT to_tsvector(pg_read_file(''/etc/hostname''))')", true),
    (SqlText, "SELECT ts_rewrite('a'::tsquery, 'SELECT ''a''::tsquery, ''b''::tsquery')", true),
    (SqlText, "SELECT ('SELECT to_tsvector(name) FROM items'::text).ts_stat", true),
    (
        SqlText,
        "SELECT * FROM dblink('dbname=' || current_database(), 'DELETE FROM items RETURNING id') AS t(id int)",
        true,
    ),
    (SqlText, "SELECT dblink_exec('dbname=' || current_database(), 'DROP TABLE items')", true),
    (Desync, "SELECT 1 AS a$$; DELETE FROM items; $$", false),
    (Desync, "SELECT 1 AS é$$; DELETE FROM items; $$", false),
    (Desync, "SELECT $é$ ; DELETE FROM items; $é$ AS s", false),
    (Desync, "SELECT 'a\\' ; DELETE FROM items; --'", false),
    (Desync, "SELECT E'\\'' ; DELETE FROM items; --'", false),
    (Desync, "SELECT /* /* */ ; DELETE FROM items; */ 1 AS n", false),
    (Desync, "SELECT U&'\\0027' ; DELETE FROM items; --'", false),
    (Desync, "SELECT 1 AS \"a;\" ; DELETE FROM items", false),
    (Desync, "SELECT $a$ $b$ ; DELETE FROM items; $b$ $a$ AS s", false),
    (Desync, "SELECT 'x' -- \\\n; DELETE FROM items", false),
    (
        Lasting,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'quarry_ro_victim%'",
        true,
    ),
    (
        Lasting,
        "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'quarry_ro_victim%'",
        true,
    ),
    (
        Lasting,
        "SELECT (pid).pg_terminate_backend FROM pg_stat_activity WHERE application_name LIKE 'quarry_ro_victim%'",
        true,
    ),
    (
        Lasting,
        "SELECT pg_catalog.pg_terminate_backend(pid, 10) FROM pg_stat_activity WHERE application_name LIKE 'quarry_ro_victim%'",
        true,
    ),
    (Lasting, "SELECT pg_create_physical_replication_slot('quarry_ro_slot_p')", true),
    (Lasting, "SELECT pg_create_logical_replication_slot('quarry_ro_slot_l', 'test_decoding')", true),
    (Lasting, "SELECT * FROM pg_create_physical_replication_slot('quarry_ro_slot_q', true)", true),
    (Lasting, "SELECT pg_stat_reset()", true),
    (Lasting, "SELECT pg_stat_reset_shared('bgwriter')", true),
    (Lasting, "SELECT pg_stat_reset_single_table_counters('items'::regclass)", true),
    (Lasting, "SELECT set_config('statement_timeout', '1', false)", true),
    (Lasting, "SELECT set_config('search_path', 'evil', false)", true),
    (Lasting, "SELECT set_config('role', 'pg_monitor', false)", true),
    (Lasting, "SELECT pg_reload_conf()", true),
    (Lasting, "SELECT pg_rotate_logfile()", true),
    (Lasting, "SELECT pg_switch_wal()", true),
    (Lasting, "SELECT pg_create_restore_point('quarry_ro')", true),
    (Lasting, "SELECT pg_notify('quarry_ro', 'x')", true),
    (Lasting, "SELECT pg_logical_emit_message(false, 'quarry_ro', 'x')", true),
    (Lasting, "SELECT pg_log_backend_memory_contexts(pg_backend_pid())", true),
    (Lasting, "SELECT lo_create(0)", true),
    (Lasting, "SELECT lo_from_bytea(0, 'x')", true),
    (Lasting, "SELECT pg_advisory_lock(4242)", true),
    (Lasting, "SELECT pg_try_advisory_lock_shared(4243)", true),
    (Lasting, "SELECT nextval('items_id_seq')", true),
    (Lasting, "SELECT setval('items_id_seq', 1000)", true),
    (Lasting, "SELECT ('items_id_seq'::regclass).nextval", true),
    (Lasting, "SELECT x.nextval FROM (SELECT 'items_id_seq'::regclass AS x) x", true),
    (Lasting, "WITH s AS (SELECT nextval('items_id_seq') AS n) SELECT n FROM s", true),
    (Lasting, "SELECT * FROM items ORDER BY nextval('items_id_seq')", true),
    (Lasting, "SELECT * FROM generate_series(1, setval('items_id_seq', 77)::int)", true),
    (Lasting, "SELECT * FROM items WHERE id IN (SELECT nextval('items_id_seq'))", true),
    (Lasting, "SELECT CASE WHEN true THEN nextval('items_id_seq') END", true),
    (Lasting, "SELECT pg_export_snapshot()", true),
    (Files, "SELECT pg_read_file('/etc/hostname')", true),
    (Files, "SELECT pg_catalog.pg_read_binary_file('/etc/hostname')", true),
    (Files, "SELECT * FROM pg_ls_dir('.')", true),
    (Files, "SELECT pg_stat_file('PG_VERSION')", true),
    (Files, "SELECT lo_import('/etc/hostname')", true),
    (Files, "SELECT lo_export(0, '/tmp/quarry_ro_lo_export_probe')", true),
    (Files, "SELECT \"pg_read_file\"('/etc/hostname')", true),
    (Files, "SELECT U&\"pg\\005fread_file\"('/etc/hostname')", true),
    (Files, "SELECT pg_read_file /* gap */ ('/etc/hostname')", true),
    (Files, "SELECT ('/etc/hostname'::text).pg_read_file", true),
    (Files, "SELECT * FROM pg_ls_logdir()", true),
    (Files, "SELECT pg_current_logfile()", true),
    (Utility, "COPY (SELECT 1) TO PROGRAM 'touch /tmp/quarry_ro_copy_probe'", true),
    (Utility, "COPY items TO STDOUT", true),
    (Utility, "DO $$ BEGIN DELETE FROM items; END $$", true),
    (Utility, "CALL quarry_ro_nothing()", true),
    (Utility, "PREPARE p AS DELETE FROM items", true),
    (Utility, "EXECUTE p", true),
    (Utility, "LISTEN quarry_ro", true),
    (Utility, "VACUUM items", true),
    (Utility, "CHECKPOINT", true),
    (Utility, "LOAD 'auto_explain'", true),
    (Utility, "ALTER SYSTEM SET work_mem = '1GB'", true),
    (Utility, "SET statement_timeout = 0", true),
    (Utility, "DISCARD ALL", true),
];

/// Everything an attempt could leave behind, seen from an admin session.
const STATE: &str = "SELECT json_build_object(\
    'rows', (SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM items), \
    'seq', (SELECT last_value || '/' || is_called FROM items_id_seq), \
    'victims', (SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'quarry_ro_victim%' AND datname = current_database()), \
    'slots', (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'quarry_ro%'), \
    'db_stats_reset', (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), \
    'bgwriter_reset', (SELECT stats_reset FROM pg_stat_bgwriter), \
    'conf_loaded', pg_conf_load_time(), \
    'auto_conf', (SELECT count(*) FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'), \
    'large_objects', (SELECT count(*) FROM pg_largeobject_metadata), \
    'advisory', (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND d.datname = current_database()), \
    'relations', (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace)\
)::text";

/// What the pooled connection (pool of one) carries after a call.
const SESSION: &str = "SELECT current_setting('search_path') AS sp, current_setting('statement_timeout') AS st, \
    current_user::text AS who, current_setting('transaction_read_only') AS ro";

/// A session the attempts try to terminate or cancel; alive while `client` answers.
async fn victim(db: &TestDb) -> tokio_postgres::Client {
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&db.spec.host).port(db.spec.port).dbname(&db.spec.database).user(&db.spec.username);
    cfg.application_name(format!("quarry_ro_victim_{}", std::process::id()));
    let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.expect("the victim connects");
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn postgres_bypass_attempts_as_a_superuser_leave_no_effect_behind() {
    assert!(ATTEMPTS.len() >= 60, "the corpus has {} attempts", ATTEMPTS.len());
    let Some(mut db) = pg().await else { return };
    db.setup(
        "CREATE EXTENSION dblink; CREATE TABLE items (id serial PRIMARY KEY, name text); \
         INSERT INTO items (name) VALUES ('a'), ('b');",
    )
    .await;
    db.spec.pool_max = 1; // every call, and the session check, on one connection
    let victim = victim(&db).await;
    let engine = Engine::new();
    let clean_session = crate::support::first_row(&engine, &db, SESSION).await;
    for &(class, sql, must_refuse) in ATTEMPTS {
        let before = db.scalar(STATE).await;
        let outcome = run(&engine, &db, sql, &[], &Map::new(), true).await;
        if must_refuse {
            let err = outcome.as_ref().err().unwrap_or_else(|| panic!("{class:?} {sql:?} must be refused"));
            assert!(
                matches!(err, EngineError::ReadOnly(_) | EngineError::InvalidSql(_) | EngineError::Database(_)),
                "{class:?} {sql}: {err}"
            );
        }
        assert_eq!(db.scalar(STATE).await, before, "{class:?} {sql:?} left an effect behind");
        victim.simple_query("SELECT 1").await.unwrap_or_else(|e| panic!("{sql:?} ended the victim session: {e}"));
        let session = crate::support::first_row(&engine, &db, SESSION).await;
        assert_eq!(session, clean_session, "{class:?} {sql:?} changed the pooled session");
    }
    for probe in ["/tmp/quarry_ro_copy_probe", "/tmp/quarry_ro_lo_export_probe"] {
        assert!(!std::path::Path::new(probe).exists(), "{probe} was written");
    }
    let rows = db.scalar("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM items").await;
    assert_eq!(rows.as_deref(), Some("1:a,2:b"));
}

#[tokio::test]
async fn refusals_name_the_function_and_the_rule() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    for (sql, says) in [
        ("SELECT pg_read_file('/etc/hostname') AS f", "pg_read_file() is VOLATILE"),
        ("SELECT lo_import('/etc/hostname') AS oid", "lo_import() is VOLATILE"),
        ("SELECT pg_terminate_backend(1) AS t", "pg_terminate_backend() is VOLATILE"),
        ("SELECT query_to_xml('SELECT 1', true, false, '') AS x", "query_to_xml() runs SQL text"),
        ("SELECT ('x'::regclass).nextval AS n", "nextval() (attribute notation)"),
        ("SELECT 1 AS n FOR SHARE", "locking clause"),
        ("WITH d AS (DELETE FROM t RETURNING 1) SELECT 1 AS n", "data-modifying"),
    ] {
        let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
        assert!(matches!(&err, Some(EngineError::ReadOnly(m)) if m.contains(says)), "{sql}: {err:?}");
    }
    let literal = run(&engine, &db, "SELECT 'pg_read_file(' AS s -- lo_import(\n", &[], &Map::new(), true).await;
    assert_eq!(literal.unwrap().rows[0]["s"], "pg_read_file(");
}

#[tokio::test]
async fn stable_functions_and_the_allowlist_run_and_the_admin_can_extend_it() {
    let Some(mut db) = pg().await else { return };
    db.setup("CREATE TABLE items (id serial PRIMARY KEY, name text); INSERT INTO items (name) VALUES ('a');").await;
    let engine = Engine::new();
    let row = crate::support::first_row(
        &engine,
        &db,
        "SELECT now() <= clock_timestamp() AS clock, random() < 2 AS rnd, length(gen_random_uuid()::text) AS uuid, \
         upper(name) AS up, pg_sleep(0)::text AS slept, pg_relation_size('items') >= 0 AS size, \
         extract(year FROM now()) > 2000 AS y, substring(name FROM 1 FOR 1) AS sub FROM items",
    )
    .await;
    assert_eq!((row["clock"].clone(), row["uuid"].clone(), row["up"].clone()), (true.into(), 36.into(), "A".into()));
    let sql = "SELECT pg_is_in_recovery() AS r";
    let refused = run(&engine, &db, sql, &[], &Map::new(), true).await;
    assert!(matches!(refused, Err(EngineError::ReadOnly(_))), "{refused:?}");
    db.spec.allowed_functions = vec!["pg_catalog.pg_is_in_recovery".into()];
    let allowed = crate::support::first_row(&engine, &db, sql).await;
    assert_eq!(allowed["r"], false, "the admin's allowlist lets a volatile function through");
    db.spec.allowed_functions = vec!["public.pg_is_in_recovery".into()];
    let other_schema = run(&engine, &db, sql, &[], &Map::new(), true).await;
    assert!(matches!(other_schema, Err(EngineError::ReadOnly(_))), "an entry of another schema allows nothing");
    db.spec.allowed_functions = vec!["query_to_xml".into()];
    let sql = "SELECT query_to_xml('SELECT 1', true, false, '') AS x";
    let sql_text = run(&engine, &db, sql, &[], &Map::new(), true).await;
    assert!(matches!(sql_text, Err(EngineError::ReadOnly(_))), "SQL-text functions stay refused");
}

#[tokio::test]
async fn owner_defined_volatile_operators_types_and_functions_are_refused() {
    let Some(db) = pg().await else { return };
    db.setup(
        "CREATE SEQUENCE s; \
         CREATE FUNCTION bump(a int, b int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT nextval(''s'')::int'; \
         CREATE OPERATOR ### (LEFTARG = int, RIGHTARG = int, FUNCTION = bump); \
         CREATE FUNCTION calm(a int) RETURNS int LANGUAGE sql STABLE AS 'SELECT a'; \
         CREATE SCHEMA other; CREATE FUNCTION other.calm(a int) RETURNS int LANGUAGE sql VOLATILE AS 'SELECT a';",
    )
    .await;
    let engine = Engine::new();
    for sql in ["SELECT 1 ### 2 AS n", "SELECT bump(1, 2) AS n", "SELECT other.calm(1) AS n"] {
        let err = run(&engine, &db, sql, &[], &Map::new(), true).await.err();
        assert!(matches!(err, Some(EngineError::ReadOnly(_))), "{sql}: {err:?}");
    }
    assert_eq!(db.scalar("SELECT last_value || '/' || is_called FROM s").await.as_deref(), Some("1/false"));
    // The visible, STABLE `calm` runs; the volatile one in a schema off the search path does not count.
    assert_eq!(crate::support::first_row(&engine, &db, "SELECT calm(7) AS n").await["n"], 7);
}

#[tokio::test]
async fn a_statement_cannot_lift_its_own_timeout() {
    let Some(mut db) = pg().await else { return };
    db.setup(
        "CREATE FUNCTION patient() RETURNS int LANGUAGE sql STABLE SET statement_timeout = 0 \
         AS 'SELECT 1 FROM pg_sleep(4)';",
    )
    .await;
    // Even with set_config allowed, a timeout set inside the statement does not
    // reach the timer the server armed when the statement started.
    db.spec.allowed_functions = vec!["set_config".into()];
    let engine = Engine::new();
    let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: Duration::from_secs(1) };
    for sql in [
        "SELECT set_config('statement_timeout', '0', true), pg_sleep(4)",
        "SELECT pg_sleep(4) FROM (SELECT set_config('statement_timeout', '0', false)) s",
        "SELECT set_config('statement_timeout', '0', false) FROM pg_sleep(4)",
        "SELECT patient()",
        "SELECT pg_sleep(4) /*+ Set(statement_timeout 0) */",
    ] {
        let started = Instant::now();
        let args = Map::new();
        let q = Query::new(sql, &[], &args, true, limits);
        let err = engine.execute(&db.id, &db.spec, &q).await.err();
        assert!(matches!(err, Some(EngineError::Timeout(_))), "{sql}: {err:?}");
        // The engine's own deadline (timeout + 2 s) would also end it, later:
        // finishing before then shows the server's timer held.
        assert!(started.elapsed() < Duration::from_millis(2800), "{sql} ran {:?}", started.elapsed());
    }
    for sql in ["SET LOCAL statement_timeout = 0", "SET statement_timeout = 0"] {
        let args = Map::new();
        let q = Query::new(sql, &[], &args, true, limits);
        assert!(matches!(engine.execute(&db.id, &db.spec, &q).await, Err(EngineError::ReadOnly(_))), "{sql}");
    }
}

#[tokio::test]
async fn session_advisory_locks_taken_inside_an_owner_function_do_not_outlast_the_query() {
    let Some(db) = pg().await else { return };
    // The owner labels the function STABLE (a promise the policy trusts);
    // the lock it takes is still released when the call ends, even on failure.
    db.setup("CREATE FUNCTION grab(fail bool) RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN PERFORM pg_advisory_lock(77); IF fail THEN RAISE 'boom'; END IF; RETURN 1; END $$;").await;
    let engine = Engine::new();
    for sql in ["SELECT grab(false) AS g", "SELECT grab(true) AS g"] {
        let _ = run(&engine, &db, sql, &[], &Map::new(), true).await;
        let locks = db
            .scalar(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
                 WHERE l.locktype = 'advisory' AND d.datname = current_database()",
            )
            .await;
        assert_eq!(locks.as_deref(), Some("0"), "{sql}");
    }
}

#[tokio::test]
async fn a_timeout_a_read_write_call_changed_for_the_session_does_not_reach_later_calls() {
    let Some(mut db) = pg().await else { return };
    db.spec.pool_max = 1; // every call on one connection
    let engine = Engine::new();
    let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: Duration::from_secs(1) };
    let args = Map::new();
    let call = |sql: &'static str, read_only: bool| {
        let (engine, db, args) = (&engine, &db, &args);
        async move { engine.execute(&db.id, &db.spec, &Query::new(sql, &[], args, read_only, limits)).await }
    };
    // A read-only call first, so the connection's session timeout is set.
    call("SELECT 1 AS n", true).await.expect("the read-only call runs");
    // Read-write work commits, so what it sets for the session stays set.
    call("SELECT set_config('statement_timeout', '0', false) AS t", false).await.expect("the read-write call runs");
    for read_only in [true, false] {
        let started = Instant::now();
        let err = call("SELECT 1 AS n FROM pg_sleep(4)", read_only).await.err();
        assert!(matches!(err, Some(EngineError::Timeout(_))), "read-only {read_only}: {err:?}");
        // The engine's own deadline (timeout + 2 s) would end it later.
        assert!(started.elapsed() < Duration::from_millis(2800), "read-only {read_only}: ran {:?}", started.elapsed());
    }
}
