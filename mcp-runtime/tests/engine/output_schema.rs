//! Output schemas hold for what tools return: each engine's type suite is
//! described, its schema derived for every return type and `exact_numerics`
//! setting, and every `structuredContent` the results make is validated
//! against it with a JSON Schema 2020-12 validator (formats asserted too).

use std::time::Duration;

use mcp_runtime::db::{ColumnDesc, Engine, Limits, Query};
use mcp_runtime::shape::{output_schema, structured};
use serde_json::{Map, Value, json};
use shared_model::manifest::{ExactNumerics, ReturnType};

use crate::support::{TestDb, mysql, pg, sqlite};
use crate::{mysql_types, pg_types, sqlite_types};

const LIMIT: Duration = Duration::from_secs(10);

/// Describes `sql`, checks the description matches what running it
/// reports, and validates each shape of its result (and of an empty result)
/// against the derived schemas. Returns the description.
async fn results_validate(engine: &Engine, db: &TestDb, sql: &str) -> Vec<ColumnDesc> {
    let described = engine.describe(&db.id, &db.spec, sql, &[], LIMIT).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let no_args = Map::new();
    for exact in [ExactNumerics::StringWhenUnsafe, ExactNumerics::String] {
        let limits = Limits { max_rows: 1000, max_bytes: 10 << 20, timeout: LIMIT };
        let query = Query { exact_numerics: exact, ..Query::new(sql, &[], &no_args, true, limits) };
        let out = engine.execute(&db.id, &db.spec, &query).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let ran: Vec<(&str, &str)> = out.columns.iter().map(|c| (c.name.as_str(), c.db_type.as_str())).collect();
        let said: Vec<(&str, &str)> = described.iter().map(|c| (c.name.as_str(), c.sql_type.as_str())).collect();
        assert_eq!(said, ran, "describe and execute agree on {sql}");
        let names: Vec<String> = out.columns.iter().map(|c| c.name.clone()).collect();
        let rows: Vec<Value> = out.rows.into_iter().map(Value::Object).collect();
        for return_type in ReturnType::ALL {
            let schema = Value::Object(output_schema(db.spec.db_type, &described, return_type, exact, false));
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .expect("a valid schema");
            for rows in [rows.clone(), Vec::new()] {
                let (_, content) = structured(return_type, names.clone(), rows, out.truncated);
                let content = Value::Object(content);
                let errors: Vec<String> =
                    validator.iter_errors(&content).map(|e| format!("{e} at {}", e.instance_path())).collect();
                assert!(
                    errors.is_empty(),
                    "{sql} as {return_type:?} ({exact:?}): {errors:#?}\n{content:#}\n{schema:#}"
                );
            }
        }
    }
    described
}

fn nullability(cols: &[ColumnDesc]) -> Vec<(&str, Option<bool>)> {
    cols.iter().map(|c| (c.name.as_str(), c.nullable)).collect()
}

#[tokio::test]
async fn postgres_type_suite_results_validate_against_their_output_schemas() {
    let Some(db) = pg().await else { return };
    db.setup(pg_types::TYPES_SETUP).await;
    db.setup(pg_types::TABLE_SETUP).await;
    let engine = Engine::new();
    results_validate(&engine, &db, pg_types::TYPES_QUERY).await;
    let table = results_validate(&engine, &db, "SELECT * FROM t ORDER BY id").await;
    // The key is NOT NULL; the server says the others may be NULL.
    assert_eq!(
        nullability(&table),
        [("id", Some(false)), ("amount", Some(true)), ("at", Some(true)), ("tags", Some(true)), ("doc", Some(true))]
    );
    // An outer join can make NULL of a NOT NULL column: nullability is then unknown.
    let joined = results_validate(&engine, &db, "SELECT a.id, b.id FROM t a LEFT JOIN t b ON false").await;
    assert_eq!(nullability(&joined), [("id", None), ("id_2", None)]);
    let expressions = results_validate(&engine, &db, "SELECT count(*) AS n, max(id) AS top FROM t").await;
    assert_eq!(nullability(&expressions), [("n", None), ("top", None)]);
}

#[tokio::test]
async fn mariadb_type_suite_results_validate_against_their_output_schemas() {
    let Some(db) = mysql().await else { return };
    db.setup(mysql_types::TYPES_SETUP).await;
    db.setup("CREATE TABLE k (id INT NOT NULL PRIMARY KEY, name VARCHAR(9) NOT NULL); INSERT INTO k VALUES (1, 'x');")
        .await;
    let engine = Engine::new();
    results_validate(&engine, &db, "SELECT * FROM t").await;
    results_validate(&engine, &db, mysql_types::EXPRESSIONS).await;
    let keyed = results_validate(&engine, &db, "SELECT id, name FROM k").await;
    assert_eq!(nullability(&keyed), [("id", Some(false)), ("name", Some(false))]);
    // The server itself marks the inner side of an outer join nullable.
    let joined = results_validate(&engine, &db, "SELECT a.id, b.name FROM k a LEFT JOIN k b ON 1 = 0").await;
    assert_eq!(nullability(&joined), [("id", Some(false)), ("name", Some(true))]);
}

#[tokio::test]
async fn sqlite_type_suite_results_validate_against_their_output_schemas() {
    let db = sqlite().await;
    db.setup(sqlite_types::TYPES_SETUP).await;
    // SQLite keeps what a row stores, whatever the declared type says.
    db.setup("INSERT INTO t VALUES ('text', 'x', 42, 7.5, 0, 3, 1.5, X'00');").await;
    let engine = Engine::new();
    let cols = results_validate(&engine, &db, "SELECT * FROM t").await;
    assert!(cols.iter().all(|c| c.nullable.is_none()), "{cols:?}");
    results_validate(&engine, &db, "SELECT 1 + 1 AS two, 'x' AS s, NULL AS none_, 2.5 AS half").await;
}

#[test]
fn the_schemas_refuse_what_the_columns_cannot_hold() {
    let col = |t: &str| ColumnDesc { name: "c".into(), sql_type: t.into(), nullable: Some(false) };
    let check = |db, t: &str, exact, value: Value| {
        let schema = Value::Object(output_schema(db, &[col(t)], ReturnType::Scalar, exact, false));
        jsonschema::validator_for(&schema).unwrap().is_valid(&json!({"value": value}))
    };
    use shared_model::DbType::*;
    let unsafe_ = ExactNumerics::StringWhenUnsafe;
    assert!(!check(Postgresql, "int4", unsafe_, json!("7")));
    assert!(check(Postgresql, "int8", unsafe_, json!("9007199254740993")));
    assert!(!check(Postgresql, "int8", unsafe_, json!("seven")));
    assert!(!check(Postgresql, "int8", ExactNumerics::String, json!(7)));
    assert!(!check(Mysql, "DOUBLE", unsafe_, json!("1.5")));
    assert!(!check(Sqlite, "TEXT", unsafe_, json!(1)));
    // No rows: the value is null whatever the column.
    assert!(check(Postgresql, "int4", unsafe_, Value::Null));
}

#[tokio::test]
async fn a_column_computed_from_an_argument_is_described_as_it_arrives() {
    let (Some(p), Some(m)) = (pg().await, mysql().await) else { return };
    let engine = Engine::new();
    let params = crate::support::params(json!([{"name": "n", "type": "integer"}, {"name": "s", "type": "string"}]));
    for (db, sql) in [(&p, "SELECT :n::int8 AS n, :s AS s"), (&m, "SELECT :n AS n, :s AS s, :n + 1 AS next")] {
        let described = engine.describe(&db.id, &db.spec, sql, &params, LIMIT).await.unwrap();
        let args = crate::support::args(json!({"n": 9007199254740993_u64, "s": "x"}));
        let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: LIMIT };
        let out = engine.execute(&db.id, &db.spec, &Query::new(sql, &params, &args, true, limits)).await.unwrap();
        let ran: Vec<&str> = out.columns.iter().map(|c| c.db_type.as_str()).collect();
        let said: Vec<&str> = described.iter().map(|c| c.sql_type.as_str()).collect();
        // PostgreSQL types parameters at Parse and keeps them; MariaDB types an
        // expression over `?` by the value bound, so such columns are left untyped.
        let expected: &[&str] = if db.spec.db_type == shared_model::DbType::Postgresql { &ran } else { &["", "", ""] };
        assert_eq!(said, expected, "{sql} ran as {ran:?}");
        let schema =
            Value::Object(output_schema(db.spec.db_type, &described, ReturnType::Rows, Default::default(), false));
        let (_, content) = structured(
            ReturnType::Rows,
            out.columns.iter().map(|c| c.name.clone()).collect(),
            out.rows.into_iter().map(Value::Object).collect(),
            false,
        );
        let errors: Vec<String> = jsonschema::draft202012::new(&schema)
            .unwrap()
            .iter_errors(&Value::Object(content))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{sql}: {errors:?}");
    }
}
