//! `:name` binding on every engine: repeated names, typed values, arrays, and
//! SQL-injection payloads that must only ever be data.

use mcp_runtime::db::{Engine, EngineError};
use serde_json::{Value, json};

use crate::support::{TestDb, args, mysql, params, pg, run, sqlite};

async fn all_engines() -> Vec<TestDb> {
    let mut dbs = vec![sqlite().await];
    dbs.extend(pg().await);
    dbs.extend(mysql().await);
    dbs
}

#[tokio::test]
async fn a_parameter_used_twice_binds_the_same_value_on_every_engine() {
    let p = params(json!([{"name": "x", "type": "integer"}, {"name": "s", "type": "string"}]));
    for db in all_engines().await {
        let engine = Engine::new();
        let out = run(
            &engine,
            &db,
            "SELECT :x * 2 AS twice, :s AS s, :x + 0 AS again",
            &p,
            &args(json!({"x": 21, "s": "hi"})),
            true,
        )
        .await
        .unwrap_or_else(|e| panic!("{:?}: {e}", db.spec.db_type));
        let row = &out.rows[0];
        assert_eq!(
            (&row["twice"], &row["s"], &row["again"]),
            (&json!(42), &json!("hi"), &json!(21)),
            "{:?}",
            db.spec.db_type
        );
    }
}

#[tokio::test]
async fn arrays_bind_with_any_on_postgres_and_expand_in_mysql_and_sqlite() {
    let p =
        params(json!([{"name": "ids", "type": "array", "item_type": "integer"}, {"name": "names", "type": "array"}]));
    for db in all_engines().await {
        db.setup("CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');").await;
        let sql = if db.spec.db_type == mcp_runtime::db::DbType::Postgresql {
            "SELECT id FROM items WHERE id = ANY(:ids) OR name = ANY(:names) ORDER BY id"
        } else {
            "SELECT id FROM items WHERE id IN (:ids) OR name IN (:names) ORDER BY id"
        };
        let engine = Engine::new();
        let out =
            run(&engine, &db, sql, &p, &args(json!({"ids": [1, 3], "names": ["d", "it's"]})), true).await.unwrap();
        let ids: Vec<Value> = out.rows.iter().map(|r| r["id"].clone()).collect();
        assert_eq!(ids, [json!(1), json!(3), json!(4)], "{:?}", db.spec.db_type);
        let none = run(&engine, &db, sql, &p, &args(json!({"ids": [], "names": []})), true).await.unwrap();
        assert_eq!(none.row_count, 0, "{:?}", db.spec.db_type);
    }
}

#[tokio::test]
async fn postgres_binds_typed_values_to_columns_of_other_types() {
    let Some(db) = pg().await else { return };
    db.setup(
        "CREATE TABLE ev (id int4, at date, ref uuid, price numeric, ok bool);
              INSERT INTO ev VALUES (7, '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 19.99, true);",
    )
    .await;
    let p = params(json!([
        {"name": "id", "type": "integer"}, {"name": "day", "type": "string"}, {"name": "ref", "type": "string"},
        {"name": "price", "type": "number"}, {"name": "ok", "type": "boolean"}
    ]));
    let a = args(
        json!({"id": 7, "day": "2024-02-29", "ref": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "price": 19.99, "ok": true}),
    );
    let engine = Engine::new();
    let out = run(
        &engine,
        &db,
        "SELECT count(*) AS n FROM ev WHERE id = :id AND at = :day AND ref = :ref AND price = :price AND ok = :ok",
        &p,
        &a,
        true,
    )
    .await
    .unwrap();
    assert_eq!(out.rows[0]["n"], json!(1));
}

#[tokio::test]
async fn invalid_arguments_are_refused_before_the_database_naming_the_parameter() {
    let db = sqlite().await;
    db.setup("CREATE TABLE t (a INTEGER);").await;
    let p = params(json!([{"name": "id", "type": "integer", "min": 1}]));
    let engine = Engine::new();
    let err = run(&engine, &db, "SELECT * FROM t WHERE a = :id", &p, &args(json!({"id": "1 OR 1=1"})), true)
        .await
        .unwrap_err();
    assert!(matches!(&err, EngineError::InvalidArgument(e) if e.param == "id"), "{err}");
    assert_eq!(err.http_status(), 422);
    let err = run(&engine, &db, "SELECT * FROM t WHERE a = :id", &p, &args(json!({"id": 0})), true).await.unwrap_err();
    assert_eq!(err.to_string(), "parameter \"id\": must be at least 1");
}

const PAYLOADS: &[&str] = &[
    "'; DROP TABLE users; --",
    "' OR '1'='1",
    "1 OR 1=1",
    "\\'; DROP TABLE users; #",
    "\\",
    "' UNION SELECT password FROM users --",
    "$$; DROP TABLE users; $$",
    "$1",
    "?",
    ":name",
    "%s %d",
    "*/ DROP TABLE users; /*",
    "\"; DROP TABLE users; --",
    "Robert'); DROP TABLE users;--",
    "ʼ OR ʼ1ʼ=ʼ1",
    "1; SELECT pg_sleep(5)",
    "0x27 OR 1=1",
    "' AND SLEEP(5) AND '",
    "{\"a\": 1}",
    "\u{1F600}' OR 1=1 --",
];

#[tokio::test]
async fn sql_injection_payloads_are_only_ever_data_on_every_engine() {
    let p = params(json!([{"name": "name", "type": "string"}, {"name": "list", "type": "array"}]));
    for db in all_engines().await {
        db.setup("CREATE TABLE users (name VARCHAR(100)); INSERT INTO users VALUES ('alice'), ('bob');").await;
        let engine = Engine::new();
        let in_list = if db.spec.db_type == mcp_runtime::db::DbType::Postgresql {
            "name = ANY(:list)"
        } else {
            "name IN (:list)"
        };
        let sql = format!(
            "SELECT :name AS echoed, (SELECT count(*) FROM users WHERE name = :name OR {in_list}) AS matches, (SELECT count(*) FROM users) AS total"
        );
        for payload in PAYLOADS {
            let a = args(json!({"name": payload, "list": [payload, "x"]}));
            let out = run(&engine, &db, &sql, &p, &a, true)
                .await
                .unwrap_or_else(|e| panic!("{:?} {payload:?}: {e}", db.spec.db_type));
            let row = &out.rows[0];
            assert_eq!(row["echoed"], json!(payload), "{:?}: the value comes back unchanged", db.spec.db_type);
            assert_eq!(row["matches"], json!(0), "{:?} {payload:?} matched rows", db.spec.db_type);
            assert_eq!(row["total"], json!(2), "{:?} {payload:?}", db.spec.db_type);
        }
        assert_eq!(db.scalar("SELECT count(*) FROM users").await.as_deref(), Some("2"), "the table is intact");
    }
}
