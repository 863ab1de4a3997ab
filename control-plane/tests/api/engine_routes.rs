//! Preview, schema browsing and connection tests through the REST API, against
//! the real PostgreSQL and MariaDB on this machine and a SQLite file.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::harness::{TestApp, create_pg_database};

/// A PostgreSQL database with an `orders` table, dropped with the returned guard.
pub(crate) struct PgFixture {
    pub(crate) name: String,
}

impl PgFixture {
    pub(crate) async fn new() -> Self {
        let name = format!("quarry_fx_{}", uuid::Uuid::new_v4().simple());
        let url = create_pg_database(&name).await;
        let db = Database::connect(&url).await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE orders (id int8 PRIMARY KEY, customer_id int NOT NULL, total numeric(10,2), note text DEFAULT 'none');
             CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
             INSERT INTO orders SELECT g, g % 3, g * 10.5, 'n' || g FROM generate_series(1, 30) g;",
        )
        .await
        .unwrap();
        db.close().await.unwrap();
        PgFixture { name }
    }
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&crate::harness::postgres_admin_url()).await {
                    let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}

fn mariadb(sql: &str) {
    let out = std::process::Command::new("mariadb")
        .args(["-h", "127.0.0.1", "-u", "root", "-e", sql])
        .output()
        .expect("mariadb client");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

pub(crate) async fn pg_connection(app: &TestApp, db: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/connections",
            &json!({"name": "pg", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
            "database": db, "username": "postgres", "ssl_mode": "disable"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_string()
}

/// A SQLite file in the app's data directory, set up with `setup`, registered
/// as connection `name`: its id and the file (to change it from outside).
pub(crate) async fn sqlite_connection(app: &TestApp, name: &str, setup: &str) -> (String, std::path::PathBuf) {
    let file = app.data_dir.join(format!("{name}.db"));
    let lite = Database::connect(format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
    lite.execute_unprepared(setup).await.unwrap();
    lite.close().await.unwrap();
    let body = json!({"name": name, "db_type": "sqlite", "database": file.display().to_string()});
    let (status, conn) = app.post("/api/v1/connections", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{conn}");
    (conn["id"].as_str().unwrap().to_string(), file)
}

async fn logged_in() -> TestApp {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    app
}

#[tokio::test]
async fn preview_binds_parameters_caps_rows_and_applies_the_transform() {
    let fx = PgFixture::new().await;
    let app = logged_in().await;
    let conn = pg_connection(&app, &fx.name).await;
    let body = json!({"connection_id": conn, "sql_query": "SELECT id, total FROM orders WHERE customer_id = :c ORDER BY id",
        "parameters": {"c": 1}, "limit": 3,
        "transform_template": "{{ rows | map(attribute='id') | list | tojson }}"});
    let (status, res) = app.post("/api/v1/preview/execute", &body).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["row_count"], 3);
    assert_eq!(res["truncated"], true, "10 orders match, 3 were asked for");
    assert_eq!(res["rows"][0]["id"], 1);
    assert_eq!(res["rows"][0]["total"].to_string(), "10.50", "numeric keeps its exact digits");
    assert_eq!(res["columns"], json!([{"name": "id", "type": "int8"}, {"name": "total", "type": "numeric"}]));
    assert_eq!(res["transformed_result"], json!([1, 4, 7]));
    assert!(res["execution_time"].is_u64());
}

#[tokio::test]
async fn preview_reports_template_errors_next_to_the_rows() {
    let fx = PgFixture::new().await;
    let app = logged_in().await;
    let conn = pg_connection(&app, &fx.name).await;
    let body = json!({"connection_id": conn, "sql_query": "SELECT 1 AS one", "transform_template": "{{ rows | nosuchfilter }}"});
    let (status, res) = app.post("/api/v1/preview/execute", &body).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["rows"], json!([{"one": 1}]));
    assert!(res["transform_error"].as_str().unwrap().contains("nosuchfilter"), "{res}");
}

#[tokio::test]
async fn preview_refuses_writes_several_statements_and_bad_arguments_and_changes_nothing() {
    let fx = PgFixture::new().await;
    let app = logged_in().await;
    let conn = pg_connection(&app, &fx.name).await;
    let run = |sql: &str, params: Value| json!({"connection_id": conn, "sql_query": sql, "parameters": params});
    let (status, res) = app.post("/api/v1/preview/execute", &run("DELETE FROM orders RETURNING id", json!({}))).await;
    assert!(status.is_client_error() || status == StatusCode::BAD_GATEWAY, "{status} {res}");
    assert!(res["detail"].as_str().unwrap().contains("read-only"), "{res}");
    let (status, res) = app.post("/api/v1/preview/execute", &run("SELECT 1; DROP TABLE orders", json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{res}");
    let defs = json!({"connection_id": conn, "sql_query": "SELECT * FROM orders WHERE id = :id", "parameters": {"id": "x"},
        "parameter_definitions": [{"name": "id", "type": "integer"}]});
    let (status, res) = app.post("/api/v1/preview/execute", &defs).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{res}");
    assert!(res["detail"].as_str().unwrap().contains("id"), "{res}");
    let (_, count) = app.post("/api/v1/preview/execute", &run("SELECT count(*) AS n FROM orders", json!({}))).await;
    assert_eq!(count["rows"][0]["n"], 30);
    let (status, _) = app
        .post("/api/v1/preview/execute", &json!({"connection_id": conn, "sql_query": "SELECT 1", "limit": 1001}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn schema_lists_tables_views_and_columns_on_postgresql() {
    let fx = PgFixture::new().await;
    let app = logged_in().await;
    let conn = pg_connection(&app, &fx.name).await;
    let (status, tables) = app.get(&format!("/api/v1/schema/{conn}/tables")).await;
    assert_eq!(status, StatusCode::OK, "{tables}");
    assert_eq!(
        tables,
        json!([{"schema": "public", "name": "big_orders", "kind": "view"}, {"schema": "public", "name": "orders", "kind": "table"}])
    );
    let (status, cols) = app.get(&format!("/api/v1/schema/{conn}/tables/public.orders/columns")).await;
    assert_eq!(status, StatusCode::OK, "{cols}");
    assert_eq!(
        cols[0],
        json!({"name": "id", "type": "bigint", "nullable": false, "default": null, "primary_key": true})
    );
    assert_eq!(cols[3]["default"], "'none'::text");
    let (status, _) = app.get(&format!("/api/v1/schema/{conn}/tables/nope/columns")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get(&format!("/api/v1/schema/{conn}/tables/a;b/columns")).await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn schema_and_preview_work_on_mariadb_and_sqlite() {
    let app = logged_in().await;
    let db = format!("quarry_fx_{}", uuid::Uuid::new_v4().simple());
    mariadb(&format!(
        "CREATE DATABASE {db}; CREATE TABLE {db}.items (id INT UNSIGNED PRIMARY KEY, name VARCHAR(20)); INSERT INTO {db}.items VALUES (1, 'a'), (2, 'b');"
    ));
    let (status, my) = app
        .post("/api/v1/connections", &json!({"name": "maria", "db_type": "mariadb", "host": "127.0.0.1", "port": 3306, "database": db, "username": "root", "ssl_mode": "disable"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{my}");
    let my = my["id"].as_str().unwrap();
    let (_, tables) = app.get(&format!("/api/v1/schema/{my}/tables")).await;
    assert_eq!(tables, json!([{"schema": db, "name": "items", "kind": "table"}]));
    let (_, res) = app.post("/api/v1/preview/execute", &json!({"connection_id": my, "sql_query": "SELECT name FROM items WHERE id IN (:ids)", "parameters": {"ids": [2]}})).await;
    assert_eq!(res["rows"], json!([{"name": "b"}]), "{res}");
    mariadb(&format!("DROP DATABASE {db}"));

    let setup = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO t VALUES (1, 'x');";
    let (sq, _) = sqlite_connection(&app, "lite", setup).await;
    let sq = sq.as_str();
    let (_, cols) = app.get(&format!("/api/v1/schema/{sq}/tables/t/columns")).await;
    assert_eq!(cols[1], json!({"name": "v", "type": "TEXT", "nullable": false, "default": null, "primary_key": false}));
    let (_, res) = app
        .post(
            "/api/v1/preview/execute",
            &json!({"connection_id": sq, "sql_query": "SELECT v FROM t WHERE id = :id", "parameters": {"id": 1}}),
        )
        .await;
    assert_eq!(res["rows"], json!([{"v": "x"}]), "{res}");
}

#[tokio::test]
async fn connection_tests_say_what_went_wrong() {
    let app = logged_in().await;
    let make = |name: &str, body: Value| {
        let mut b = json!({"name": name, "host": "127.0.0.1", "ssl_mode": "disable"});
        b.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        b
    };
    let cases = [
        (
            make("ok", json!({"db_type": "postgresql", "port": 5432, "database": "postgres", "username": "postgres"})),
            true,
            "connected",
        ),
        (
            make(
                "nodb",
                json!({"db_type": "postgresql", "port": 5432, "database": "no_such_db_here", "username": "postgres"}),
            ),
            false,
            "no_such_db_here",
        ),
        (
            make(
                "badpw",
                json!({"db_type": "mysql", "port": 3306, "database": "mysql", "username": "root", "password": "wrong"}),
            ),
            false,
            "password",
        ),
        (
            make("closed", json!({"db_type": "postgresql", "port": 1, "database": "postgres", "username": "postgres"})),
            false,
            "refused",
        ),
    ];
    for (body, success, needle) in cases {
        let (_, conn) = app.post("/api/v1/connections", &body).await;
        let (status, res) =
            app.post(&format!("/api/v1/connections/{}/test", conn["id"].as_str().unwrap()), &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{res}");
        assert_eq!(res["success"], success, "{body}: {res}");
        let message = res["message"].as_str().unwrap();
        assert!(message.to_lowercase().contains(needle), "{body}: {message}");
        assert!(!message.contains("backtrace") && message.len() < 500, "{message}");
        assert!(res["latency_ms"].is_u64());
    }
}
