//! Test harness: a fresh, uniquely named database per test on the real
//! PostgreSQL and MariaDB servers (dropped afterwards), or a SQLite file in a
//! temporary directory. When `REQUIRE_DB_TESTS=1`, an unreachable server
//! fails the test instead of skipping it.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mcp_runtime::db::{ConnectionSpec, DbType, Engine, EngineError, Limits, Query, QueryResult};
use mysql_async::prelude::Queryable;
use serde_json::{Map, Value};
use shared_model::ParamDef;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

fn require() -> bool {
    std::env::var("REQUIRE_DB_TESTS").is_ok_and(|v| v == "1")
}

fn unavailable(what: &str, err: String) -> Option<TestDb> {
    assert!(!require(), "{what} is required (REQUIRE_DB_TESTS=1) but unreachable: {err}");
    eprintln!("skipping: {what} unreachable: {err}");
    None
}

/// A database created for one test.
pub struct TestDb {
    /// How the engine reaches it.
    pub spec: ConnectionSpec,
    /// The pool-cache id tests use.
    pub id: String,
    drop_sql: Option<(DbType, String, String)>,
    file: Option<std::path::PathBuf>,
}

/// A fresh PostgreSQL database, or `None` (skip) when the server is absent.
pub async fn pg() -> Option<TestDb> {
    let url = std::env::var("TEST_POSTGRES_URL").unwrap_or("postgres://postgres@127.0.0.1:5432/postgres".into());
    let cfg = tokio_postgres::Config::from_str(&url).expect("TEST_POSTGRES_URL parses");
    let name = unique_name("quarry_eng");
    let created = async {
        let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        client.batch_execute(&format!("CREATE DATABASE {name}")).await
    };
    if let Err(e) = tokio::time::timeout(Duration::from_secs(10), created)
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        return unavailable("PostgreSQL", e);
    }
    let host = match cfg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".into(),
    };
    let mut spec = ConnectionSpec::new(
        DbType::Postgresql,
        &host,
        cfg.get_ports().first().copied().unwrap_or(5432),
        &name,
        cfg.get_user().unwrap_or("postgres"),
    );
    spec.password = cfg.get_password().map(|p| String::from_utf8_lossy(p).into_owned());
    spec.ssl_mode = mcp_runtime::db::SslMode::Disable;
    spec.pool_max = 3;
    Some(TestDb {
        spec,
        id: name.clone(),
        drop_sql: Some((DbType::Postgresql, url, format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))),
        file: None,
    })
}

/// A fresh MariaDB/MySQL database, or `None` (skip) when the server is absent.
pub async fn mysql() -> Option<TestDb> {
    let url = std::env::var("TEST_MYSQL_URL").unwrap_or("mysql://root@127.0.0.1:3306/mysql".into());
    let opts = mysql_async::Opts::from_url(&url).expect("TEST_MYSQL_URL parses");
    let name = unique_name("quarry_eng");
    let created = async {
        let mut conn = mysql_async::Conn::new(opts.clone()).await?;
        conn.query_drop(format!("CREATE DATABASE {name}")).await?;
        conn.disconnect().await
    };
    if let Err(e) = tokio::time::timeout(Duration::from_secs(10), created)
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        return unavailable("MariaDB/MySQL", e);
    }
    let mut spec = ConnectionSpec::new(
        DbType::Mysql,
        opts.ip_or_hostname(),
        opts.tcp_port(),
        &name,
        opts.user().unwrap_or("root"),
    );
    spec.password = opts.pass().map(str::to_string);
    spec.pool_max = 3;
    Some(TestDb {
        spec,
        id: name.clone(),
        drop_sql: Some((DbType::Mysql, url, format!("DROP DATABASE IF EXISTS {name}"))),
        file: None,
    })
}

/// A fresh SQLite file in the temporary directory.
pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("quarry_eng")));
    let p = path.to_string_lossy().into_owned();
    // An empty file is a valid, empty SQLite database.
    std::fs::File::create(&path).expect("create the SQLite file");
    TestDb { spec: ConnectionSpec::sqlite(&p), id: p, drop_sql: None, file: Some(path) }
}

impl TestDb {
    /// A handle on a database owned by another `TestDb` (dropping it drops nothing).
    pub fn borrowed(id: &str, spec: ConnectionSpec) -> Self {
        TestDb { spec, id: id.to_string(), drop_sql: None, file: None }
    }

    /// Runs setup SQL (several statements allowed) as the admin, outside the engine.
    pub async fn setup(&self, sql: &str) {
        match self.spec.db_type {
            DbType::Postgresql => {
                let (client, conn) =
                    pg_config(&self.spec).connect(tokio_postgres::NoTls).await.expect("connect for setup");
                tokio::spawn(conn);
                client.batch_execute(sql).await.expect("setup SQL runs");
            }
            DbType::Mysql => {
                let mut conn = mysql_async::Conn::new(admin_mysql_opts(&self.spec)).await.expect("connect for setup");
                conn.query_drop(sql).await.expect("setup SQL runs");
                conn.disconnect().await.ok();
            }
            DbType::Sqlite => {
                use sqlx::Connection;
                let opts =
                    sqlx::sqlite::SqliteConnectOptions::new().filename(&self.spec.database).create_if_missing(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.expect("open for setup");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut conn).await.expect("setup SQL runs");
                conn.close().await.ok();
            }
        }
    }

    /// One value from an admin query (outside the engine), as text.
    /// Polls `sql` every 50 ms for up to 3 s until it returns `want`; the last value.
    pub async fn scalar_becomes(&self, sql: &str, want: &str) -> Option<String> {
        let mut last = None;
        for _ in 0..60 {
            last = self.scalar(sql).await;
            if last.as_deref() == Some(want) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        last
    }

    pub async fn scalar(&self, sql: &str) -> Option<String> {
        match self.spec.db_type {
            DbType::Postgresql => {
                let (client, conn) = pg_config(&self.spec).connect(tokio_postgres::NoTls).await.expect("connect");
                tokio::spawn(conn);
                let rows = client.simple_query(sql).await.expect("admin query runs");
                rows.iter().find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
                    _ => None,
                })?
            }
            DbType::Mysql => {
                let mut conn = mysql_async::Conn::new(admin_mysql_opts(&self.spec)).await.expect("connect");
                let v: Option<Option<String>> = conn.query_first(sql).await.expect("admin query runs");
                conn.disconnect().await.ok();
                v.flatten()
            }
            DbType::Sqlite => {
                use sqlx::{Connection, Row};
                let opts = sqlx::sqlite::SqliteConnectOptions::new().filename(&self.spec.database);
                let mut conn = sqlx::SqliteConnection::connect_with(&opts).await.expect("open");
                let row = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_one(&mut conn)
                    .await
                    .expect("admin query runs");
                row.try_get::<Option<String>, _>(0)
                    .ok()
                    .flatten()
                    .or_else(|| row.try_get::<i64, _>(0).ok().map(|i| i.to_string()))
            }
        }
    }
}

fn pg_config(spec: &ConnectionSpec) -> tokio_postgres::Config {
    let mut c = tokio_postgres::Config::new();
    c.host(&spec.host).port(spec.port).dbname(&spec.database).user(&spec.username);
    if let Some(p) = &spec.password {
        c.password(p);
    }
    c
}

/// Driver options that reach the test database as its administrator.
pub fn admin_mysql_opts(spec: &ConnectionSpec) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname(spec.host.clone())
        .tcp_port(spec.port)
        .user(Some(spec.username.clone()))
        .pass(spec.password.clone())
        .db_name(Some(spec.database.clone()))
        .into()
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        let Some((db_type, url, sql)) = self.drop_sql.take() else { return };
        // Drop runs outside any runtime guarantee; use a private one on a thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                if db_type == DbType::Postgresql {
                    if let Ok((client, conn)) =
                        tokio_postgres::Config::from_str(&url).expect("url").connect(tokio_postgres::NoTls).await
                    {
                        tokio::spawn(conn);
                        let _ = client.batch_execute(&sql).await;
                    }
                } else if let Ok(mut conn) = mysql_async::Conn::from_url(&url).await {
                    let _ = conn.query_drop(sql).await;
                    let _ = conn.disconnect().await;
                }
            });
        })
        .join();
    }
}

/// Parameter definitions from JSON.
pub fn params(v: Value) -> Vec<ParamDef> {
    serde_json::from_value(v).expect("parameter definitions")
}

/// An argument object from JSON.
pub fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

/// Runs `sql` through the engine with preview-like limits.
pub async fn run(
    engine: &Engine,
    db: &TestDb,
    sql: &str,
    p: &[ParamDef],
    a: &Map<String, Value>,
    read_only: bool,
) -> Result<QueryResult, EngineError> {
    let limits = Limits { max_rows: 1000, max_bytes: 10 << 20, timeout: Duration::from_secs(10) };
    engine.execute(&db.id, &db.spec, &Query::new(sql, p, a, read_only, limits)).await
}

/// Runs a parameterless read-only query and returns its first row.
pub async fn first_row(engine: &Engine, db: &TestDb, sql: &str) -> Map<String, Value> {
    let out = run(engine, db, sql, &[], &Map::new(), true).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    out.rows.into_iter().next().expect("one row")
}
