//! `TestApp`: a control plane on port 0 with its own store — a fresh SQLite
//! file, or with `QUARRY_TEST_STORE=postgres` a fresh PostgreSQL database.

use std::collections::HashMap;
use std::path::PathBuf;

use control_plane::{AppState, Application, Config};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    pub data_dir: PathBuf,
    pg_database: Option<String>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A reqwest client that keeps cookies, like a browser.
pub fn browser() -> Client {
    Client::builder().cookie_store(true).build().expect("client builds")
}

pub async fn create_pg_database(name: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let admin = postgres_admin_url();
    let db = Database::connect(&admin).await.unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required: {e}"));
    db.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
    pg_database_url(name)
}

/// The URL of the test database `name` on the test server.
pub fn pg_database_url(name: &str) -> String {
    let admin = postgres_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
    format!("{base}/{name}")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
        Self::spawn_on(std::env::var("QUARRY_TEST_STORE").as_deref() == Ok("postgres"), extra).await
    }

    /// A control plane on a fresh PostgreSQL store, whatever `QUARRY_TEST_STORE` says (for a test that checks
    /// both stores in one run).
    pub async fn spawn_postgres() -> TestApp {
        Self::spawn_on(true, &[]).await
    }

    /// A control plane on a fresh SQLite store, whatever `QUARRY_TEST_STORE` says.
    pub async fn spawn_sqlite() -> TestApp {
        Self::spawn_on(false, &[]).await
    }

    async fn spawn_on(postgres: bool, extra: &[(&str, &str)]) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("quarry-test-{id}"));
        let (database_url, pg_database) = if postgres {
            let name = format!("quarry_test_{id}");
            (create_pg_database(&name).await, Some(name))
        } else {
            (format!("sqlite://{}/quarry.db?mode=rwc", data_dir.display()), None)
        };
        let mut env: HashMap<String, String> = HashMap::from([
            ("QUARRY_BIND".into(), "127.0.0.1:0".into()),
            ("QUARRY_DATA_DIR".into(), data_dir.display().to_string()),
            ("QUARRY_DATABASE_URL".into(), database_url),
        ]);
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_source(|k| env.get(k).cloned()).expect("test config");
        let app = Application::build(config).await.expect("application builds");
        let base = format!("http://{}", app.local_addr());
        let state = app.state.clone();
        tokio::spawn(app.run());
        TestApp { base, client: browser(), state, data_dir, pg_database }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends `body` (if any) with `client` and returns the status and JSON body.
    pub async fn send_with(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        // Like the UI's client: the header that marks a request as our own page's.
        let mut req = client.request(method, self.url(path)).header("x-quarry-request", "1");
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.send_with(&self.client, method, path, body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates the admin `admin` / `correct horse` and keeps its session cookie.
    pub async fn login_admin(&self) {
        let (status, body) = self
            .post("/api/v1/auth/setup", &serde_json::json!({"username": "admin", "password": "correct horse"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A connection to the real PostgreSQL, returned as created.
    pub async fn create_connection(&self, name: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/v1/connections",
                &serde_json::json!({"name": name, "db_type": "postgresql", "host": "127.0.0.1", "port": 5432,
                    "database": "postgres", "username": "postgres", "password": "pg-secret-value"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// A tool with one integer parameter on `connection_id`.
    pub async fn create_tool(&self, connection_id: &str, name: &str) -> Value {
        let (status, body) = self.post("/api/v1/tools", &tool_body(connection_id, name)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

pub fn tool_body(connection_id: &str, name: &str) -> Value {
    serde_json::json!({
        "connection_id": connection_id, "name": name, "description": "Orders of a customer",
        "sql_query": "SELECT * FROM orders WHERE customer_id = :customer_id::int",
        "parameters": [{"name": "customer_id", "type": "integer", "description": "Customer id"}]
    })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        let Some(name) = self.pg_database.take() else { return };
        // Drop the test database from a separate thread with its own runtime:
        // Drop cannot await, and the test's runtime may be shutting down.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                use sea_orm::{ConnectionTrait, Database};
                if let Ok(db) = Database::connect(&postgres_admin_url()).await {
                    let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                }
            });
        })
        .join();
    }
}
