//! MariaDB read-only bypass attempts, run as `root` (a superuser), organised
//! by class. Each must fail, and the server's observable state must be the
//! same after it as before: rows, tables, the sequence, a named lock, global
//! settings, users, another session, and the files an attempt tried to write.

use std::collections::BTreeMap;

use mcp_runtime::db::{Engine, EngineError};
use mysql_async::prelude::Queryable;
use serde_json::Map;

use crate::support::{TestDb, mysql, run};

/// `(class, SQL, what the refusal must mention ("" for any refusal))`.
/// `{lock}`, `{victim}` and `{probe}` are filled in per test.
const ATTEMPTS: &[(&str, &str, &str)] = &[
    ("several statements", "COMMIT; DROP TABLE items", "one statement"),
    ("several statements", "SELECT 1; DELETE FROM items", "one statement"),
    ("several statements", "SELECT 1 --x\n; DELETE FROM items", "one statement"),
    ("writes", "DELETE FROM items", "DELETE statement"),
    ("writes", "UPDATE items SET name = 'pwned'", "UPDATE statement"),
    ("writes", "INSERT INTO items VALUES (99, 'x')", "INSERT statement"),
    ("writes", "REPLACE INTO items VALUES (1, 'pwned')", "REPLACE statement"),
    ("writes returning rows", "INSERT INTO items VALUES (98, 'x') RETURNING id", "INSERT statement"),
    ("writes returning rows", "DELETE FROM items WHERE id = 1 RETURNING *", "DELETE statement"),
    ("writes returning rows", "REPLACE INTO items VALUES (2, 'pwned') RETURNING name", "REPLACE statement"),
    ("writes returning rows", "WITH d AS (SELECT 1) DELETE FROM items", "WITH"),
    ("writes returning rows", "WITH d AS (SELECT 1) UPDATE items SET name = 'x'", "WITH"),
    ("schema changes", "TRUNCATE items", "TRUNCATE statement"),
    ("schema changes", "DROP TABLE items", "DROP statement"),
    ("schema changes", "CREATE TABLE evil (a int)", "CREATE statement"),
    ("schema changes", "CREATE TEMPORARY TABLE evil (a int)", "CREATE statement"),
    ("schema changes", "RENAME TABLE items TO items_gone", "RENAME statement"),
    ("schema changes", "ALTER TABLE items ADD COLUMN x int", "ALTER statement"),
    ("schema changes", "OPTIMIZE TABLE items", "OPTIMIZE statement"),
    ("schema changes", "ANALYZE TABLE items", "ANALYZE"),
    ("file access", "SELECT LOAD_FILE('/etc/hostname') AS f", "LOAD_FILE() is not allowed"),
    ("file access", "SELECT load_file ('/etc/hostname') AS f", "LOAD_FILE() is not allowed"),
    ("file access", "SELECT `load_file`('/etc/hostname') AS f", "LOAD_FILE() is not allowed"),
    ("file access", "SELECT /*!LOAD_FILE('/etc/hostname')*/ AS f", "executable comment"),
    ("file access", "SELECT /*M!100000 LOAD_FILE('/etc/hostname') */ AS f", "versioned executable comment"),
    ("file access", "SELECT * FROM items INTO OUTFILE '{probe}'", "SELECT … INTO"),
    ("file access", "SELECT 'x' INTO DUMPFILE '{probe}'", "SELECT … INTO"),
    ("file access", "LOAD DATA INFILE '/etc/hostname' INTO TABLE items", "LOAD statement"),
    ("locks", "SELECT GET_LOCK('{lock}', 0) AS l", "GET_LOCK()"),
    ("locks", "SELECT IS_USED_LOCK('{lock}') AS l", "IS_USED_LOCK()"),
    ("locks", "SELECT RELEASE_ALL_LOCKS() AS l", "RELEASE_ALL_LOCKS()"),
    ("locks", "SELECT * FROM items FOR UPDATE", "FOR UPDATE"),
    ("locks", "SELECT * FROM items WHERE id = 1 FOR UPDATE NOWAIT", "FOR UPDATE"),
    ("locks", "SELECT * FROM items LOCK IN SHARE MODE", "LOCK IN SHARE MODE"),
    ("locks", "LOCK TABLES items WRITE", "LOCK statement"),
    ("sequences", "SELECT NEXTVAL(seq) AS v", "NEXTVAL()"),
    ("sequences", "SELECT SETVAL(seq, 1000) AS v", "SETVAL()"),
    ("sequences", "SELECT NEXT VALUE FOR seq AS v", "VALUE FOR"),
    ("sequences", "SELECT LASTVAL(seq) AS v", "LASTVAL()"),
    ("sequences", "SELECT PREVIOUS VALUE FOR seq AS v", "VALUE FOR"),
    ("variables and settings", "SELECT @a := 1 AS a", ":="),
    ("variables and settings", "SELECT 1 INTO @x", "SELECT … INTO"),
    ("variables and settings", "SET @x = 1", "SET statement"),
    ("variables and settings", "SET GLOBAL max_connections = 152", "SET statement"),
    ("variables and settings", "SET SESSION TRANSACTION READ WRITE", "SET statement"),
    ("variables and settings", "SET STATEMENT max_statement_time = 0 FOR SELECT 1", "SET statement"),
    ("variables and settings", "SELECT /*+ MAX_EXECUTION_TIME(0) */ 1", "optimizer hint"),
    ("variables and settings", "SELECT LAST_INSERT_ID(42) AS i", "LAST_INSERT_ID()"),
    ("sessions and privileges", "KILL {victim}", "KILL statement"),
    ("sessions and privileges", "KILL QUERY {victim}", "KILL statement"),
    ("sessions and privileges", "SELECT 1 FROM DUAL WHERE 0 UNION SELECT 1; KILL {victim}", "one statement"),
    ("sessions and privileges", "CREATE USER quarry_ro_evil IDENTIFIED BY 'x'", "CREATE statement"),
    ("sessions and privileges", "GRANT ALL ON *.* TO quarry_ro_evil", "GRANT statement"),
    ("sessions and privileges", "FLUSH PRIVILEGES", "FLUSH statement"),
    ("sessions and privileges", "SHUTDOWN", "SHUTDOWN statement"),
    ("server functions", "SELECT sys_exec('touch /tmp/quarry_ro_sys_exec') AS r", "sys_exec()"),
    ("server functions", "SELECT BENCHMARK(1000, MD5('x')) AS b", "BENCHMARK()"),
    ("server functions", "SELECT MASTER_POS_WAIT('log.000001', 4, 0) AS w", "MASTER_POS_WAIT()"),
    ("server functions", "SELECT MASTER_GTID_WAIT('0-1-1', 0) AS w", "MASTER_GTID_WAIT()"),
    ("server functions", "SELECT grab_row() AS g", "grab_row()"),
    ("server functions", "SELECT mysql.grab_row() AS g", "stored function"),
    ("routines and handlers", "CALL grab_proc()", "CALL statement"),
    ("routines and handlers", "DO SLEEP(0)", "DO statement"),
    ("routines and handlers", "HANDLER items OPEN", "HANDLER statement"),
    ("routines and handlers", "XA START 'x'", "XA statement"),
    ("tokenizer", "SELECT 1 /*!99999 ' */ ; DELETE FROM items -- ' */", "versioned executable comment"),
    ("tokenizer", "SELECT 1 \0; DELETE FROM items", "NUL byte"),
];

/// Everything an attempt could change, read as the administrator.
async fn state(admin: &mut mysql_async::Conn, db: &TestDb, lock: &str, victim: u32) -> BTreeMap<&'static str, String> {
    let probes: [(&str, String); 9] = [
        ("rows", "SELECT GROUP_CONCAT(id, ':', name ORDER BY id) FROM items".into()),
        (
            "tables",
            format!(
                "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY 1) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}'",
                db.id
            ),
        ),
        ("sequence", "SELECT next_not_cached_value FROM seq".into()),
        ("lock free", format!("SELECT IS_FREE_LOCK('{lock}')")),
        (
            "globals",
            "SELECT CONCAT_WS('|', @@GLOBAL.max_connections, @@GLOBAL.sql_mode, @@GLOBAL.max_statement_time, \
             @@GLOBAL.read_only, @@GLOBAL.general_log)"
                .into(),
        ),
        ("users", "SELECT COUNT(*) FROM mysql.user".into()),
        ("victim alive", format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {victim}")),
        ("probe file", format!("SELECT LOAD_FILE('/tmp/quarry_ro_{}') IS NULL", db.id)),
        ("evil user", "SELECT COUNT(*) FROM mysql.user WHERE User = 'quarry_ro_evil'".into()),
    ];
    let mut out = BTreeMap::new();
    for (name, sql) in probes {
        let v: Option<Option<String>> = admin.query_first(&sql).await.expect("state probe runs");
        out.insert(name, v.flatten().unwrap_or_default());
    }
    out
}

#[tokio::test]
async fn mariadb_refuses_every_bypass_attempt_of_a_superuser_and_nothing_changes() {
    let Some(db) = mysql().await else { return };
    db.setup(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'a'), (2, 'b');
         CREATE SEQUENCE seq NOCACHE;
         CREATE FUNCTION grab_row() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM items; RETURN 1; END;
         CREATE PROCEDURE grab_proc() DELETE FROM items;",
    )
    .await;
    let opts = crate::support::admin_mysql_opts(&db.spec);
    let mut admin = mysql_async::Conn::new(opts.clone()).await.expect("admin connects");
    let mut victim = mysql_async::Conn::new(opts).await.expect("victim connects");
    let (lock, victim_id) = (format!("quarry_{}", db.id), victim.id());
    let probe = format!("/tmp/quarry_ro_{}", db.id);
    let before = state(&mut admin, &db, &lock, victim_id).await;
    assert_eq!(before["rows"], "1:a,2:b");
    let engine = Engine::new();
    let mut classes = BTreeMap::new();
    for (class, template, mentions) in ATTEMPTS {
        let sql =
            template.replace("{lock}", &lock).replace("{victim}", &victim_id.to_string()).replace("{probe}", &probe);
        let err = run(&engine, &db, &sql, &[], &Map::new(), true).await.err();
        let err = err.unwrap_or_else(|| panic!("{class}: {sql:?} must fail in read-only mode"));
        assert!(
            matches!(err, EngineError::ReadOnly(_) | EngineError::InvalidSql(_) | EngineError::Database(_)),
            "{sql}: {err}"
        );
        assert!(
            err.to_string().to_lowercase().contains(&mentions.to_lowercase()),
            "{sql}: {err} (wanted {mentions:?})"
        );
        let after = state(&mut admin, &db, &lock, victim_id).await;
        assert_eq!(after, before, "{class}: {sql:?} changed the server's state");
        *classes.entry(*class).or_insert(0) += 1;
    }
    assert!(ATTEMPTS.len() >= 40, "the corpus has {} attempts", ATTEMPTS.len());
    eprintln!("{} attempts by class: {classes:?}", ATTEMPTS.len());
    // The victim session still answers, and the pool still works.
    let one: Option<i64> = victim.query_first("SELECT 1").await.expect("the victim session is alive");
    assert_eq!(one, Some(1));
    let n = run(&engine, &db, "SELECT COUNT(*) AS n FROM items", &[], &Map::new(), true).await.unwrap();
    assert_eq!(n.rows[0]["n"], 2);
}

#[tokio::test]
async fn mariadb_stored_functions_run_only_when_allowed_and_still_cannot_write() {
    let Some(db) = mysql().await else { return };
    db.setup(
        "CREATE TABLE items (id INT PRIMARY KEY); INSERT INTO items VALUES (1);
         CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
         CREATE FUNCTION grab_row() RETURNS INT MODIFIES SQL DATA BEGIN DELETE FROM items; RETURN 1; END;",
    )
    .await;
    let engine = Engine::new();
    let err = run(&engine, &db, "SELECT twice(2) AS t", &[], &Map::new(), true).await.unwrap_err();
    assert!(err.to_string().contains("allowed_functions"), "{err}");
    let mut allowed = TestDb::borrowed(&format!("{}_allowed", db.id), db.spec.clone());
    allowed.spec.allowed_functions = vec!["twice".into(), format!("{}.grab_row", db.id)];
    let ok = run(&engine, &allowed, "SELECT twice(2) AS t", &[], &Map::new(), true).await.unwrap();
    assert_eq!(ok.rows[0]["t"], 4);
    // Allowed by name, the function still runs in a READ ONLY transaction.
    let sql = format!("SELECT {}.grab_row() AS g", db.id);
    let err = run(&engine, &allowed, &sql, &[], &Map::new(), true).await.unwrap_err();
    assert!(matches!(err, EngineError::ReadOnly(_) | EngineError::Database(_)), "{err}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM items").await.as_deref(), Some("1"));
}

#[tokio::test]
async fn mariadb_statements_are_lexed_in_the_sessions_sql_mode() {
    let Some(db) = mysql().await else { return };
    db.setup("CREATE TABLE items (id INT PRIMARY KEY); INSERT INTO items VALUES (1);").await;
    let engine = Engine::new();
    // Default mode: `\'` escapes, so the whole tail is one string.
    let tail = r"SELECT 'a\'; DELETE FROM items; -- ' AS s";
    let row = run(&engine, &db, tail, &[], &Map::new(), true).await.unwrap();
    assert_eq!(row.rows[0]["s"], "a'; DELETE FROM items; -- ");
    // NO_BACKSLASH_ESCAPES: the same text is two statements, and is refused.
    let mut plain = TestDb::borrowed(&format!("{}_nbe", db.id), db.spec.clone());
    plain.spec.extra_params.insert("sql_mode".into(), "NO_BACKSLASH_ESCAPES,ANSI_QUOTES".into());
    let err = run(&engine, &plain, r"SELECT 'a\'; DELETE FROM items; -- '", &[], &Map::new(), true).await.unwrap_err();
    assert!(err.to_string().contains("one statement"), "{err}");
    let err =
        run(&engine, &plain, r#"SELECT "a\"; DELETE FROM items; -- ""#, &[], &Map::new(), true).await.unwrap_err();
    assert!(err.to_string().contains("one statement"), "{err}");
    let row = run(&engine, &plain, r#"SELECT 'a\' AS "s""#, &[], &Map::new(), true).await.unwrap();
    assert_eq!(row.rows[0]["s"], "a\\");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM items").await.as_deref(), Some("1"));
    // Only UTF-8 client character sets are accepted.
    let mut gbk = TestDb::borrowed(&format!("{}_gbk", db.id), db.spec.clone());
    gbk.spec.extra_params.insert("charset".into(), "gbk".into());
    let err = run(&engine, &gbk, "SELECT 1 AS one", &[], &Map::new(), true).await.unwrap_err();
    assert!(err.to_string().contains("utf8mb4"), "{err}");
}

#[tokio::test]
async fn mariadb_named_locks_taken_by_read_write_tools_do_not_outlive_the_call() {
    let Some(db) = mysql().await else { return };
    let engine = Engine::new();
    let lock = format!("quarry_{}", db.id);
    let sql = format!("SELECT GET_LOCK('{lock}', 0) AS got");
    assert_eq!(run(&engine, &db, &sql, &[], &Map::new(), false).await.unwrap().rows[0]["got"], 1);
    // The pool resets a returned connection, which releases named locks.
    let free = db.scalar_becomes(&format!("SELECT IS_FREE_LOCK('{lock}')"), "1").await;
    assert_eq!(free.as_deref(), Some("1"));
}

#[tokio::test]
async fn mariadb_literals_that_look_like_refused_calls_are_just_text() {
    let Some(db) = mysql().await else { return };
    let engine = Engine::new();
    let sql = "SELECT 'load_file(' AS s, 'INTO OUTFILE' AS t -- GET_LOCK(\n";
    let literal = run(&engine, &db, sql, &[], &Map::new(), true).await.unwrap();
    assert_eq!((&literal.rows[0]["s"], &literal.rows[0]["t"]), (&"load_file(".into(), &"INTO OUTFILE".into()));
}
