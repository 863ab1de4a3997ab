//! Schema browsing: tables and views, and columns with type, nullability,
//! default and primary key, on every engine; identifiers validated and quoted.

use mcp_runtime::db::{ColumnInfo, Engine, EngineError, TableKind};

use crate::support::{TestDb, mysql, pg, sqlite};

async fn check(db: &TestDb, qualified: &str) {
    let kind = db.spec.db_type;
    db.setup(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note VARCHAR(20) DEFAULT 'none', total DECIMAL(10,2) NOT NULL);
              CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100;",
    )
    .await;
    let engine = Engine::new();
    let tables = engine.list_tables(&db.id, &db.spec).await.unwrap_or_else(|e| panic!("{kind:?}: {e}"));
    let names: Vec<(&str, TableKind)> = tables.iter().map(|t| (t.name.as_str(), t.kind)).collect();
    assert_eq!(names, [("big_orders", TableKind::View), ("orders", TableKind::Table)], "{kind:?}");
    for table in ["orders", qualified] {
        let cols =
            engine.list_columns(&db.id, &db.spec, table).await.unwrap_or_else(|e| panic!("{kind:?} {table}: {e}"));
        let summary: Vec<(&str, bool, bool)> =
            cols.iter().map(|c: &ColumnInfo| (c.name.as_str(), c.nullable, c.primary_key)).collect();
        assert_eq!(summary, [("id", false, true), ("note", true, false), ("total", false, false)], "{kind:?} {table}");
        assert!(cols[1].default.as_deref().is_some_and(|d| d.contains("none")), "{kind:?}: {:?}", cols[1].default);
        assert!(
            cols[2].data_type.to_lowercase().contains("dec") || cols[2].data_type.contains("numeric"),
            "{kind:?}: {}",
            cols[2].data_type
        );
    }
    let missing = engine.list_columns(&db.id, &db.spec, "no_such_table").await.unwrap_err();
    assert!(matches!(missing, EngineError::NotFound(_)), "{kind:?}: {missing}");
    assert_eq!(missing.http_status(), 404);
    for bad in ["a.b.c", "", "x\0y"] {
        let err = engine.list_columns(&db.id, &db.spec, bad).await.unwrap_err();
        assert_eq!(err.http_status(), 422, "{kind:?} {bad:?}");
    }
    // A hostile name is only ever a name.
    let hostile = engine.list_columns(&db.id, &db.spec, "orders\"; DROP TABLE orders; --").await.unwrap_err();
    assert!(matches!(hostile, EngineError::NotFound(_)), "{kind:?}: {hostile}");
    assert!(engine.list_columns(&db.id, &db.spec, "orders").await.is_ok());
}

#[tokio::test]
async fn postgres_tables_views_and_columns_are_listed() {
    let Some(db) = pg().await else { return };
    check(&db, "public.orders").await;
    db.setup(r#"CREATE SCHEMA "odd ""schema"""; CREATE TABLE "odd ""schema"""."we""ird" ("a b" int);"#).await;
    let cols = Engine::new().list_columns("x", &db.spec, r#"odd "schema".we"ird"#).await.unwrap();
    assert_eq!(cols[0].name, "a b");
}

#[tokio::test]
async fn mariadb_tables_views_and_columns_are_listed() {
    let Some(db) = mysql().await else { return };
    let qualified = format!("{}.orders", db.spec.database);
    check(&db, &qualified).await;
}

#[tokio::test]
async fn sqlite_tables_views_and_columns_are_listed() {
    let db = sqlite().await;
    check(&db, "main.orders").await;
}
