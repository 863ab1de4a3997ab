//! `TestApp`: a runtime on port 0 over a scripted executor, driven over real
//! HTTP with a minimal MCP client (initialize, then JSON-RPC posts).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use mcp_runtime::app::Application;
use mcp_runtime::config::RuntimeConfig;
use mcp_runtime::exec::{ExecError, Executor, ExecutorFactory, QueryOutput, QueryRequest};
use mcp_runtime::metrics::PoolStatus;
use mcp_runtime::server::Shared;
use serde_json::{Map, Value, json};
use shared_model::ParamDef;
use shared_model::manifest::Manifest;

/// What the scripted executor saw.
#[derive(Default)]
pub struct Journal {
    pub started: Vec<String>,
    pub cancelled: Vec<String>,
    /// When set, the connection `db` fails its health probe.
    pub db_down: bool,
}

/// SQL `SLEEP <ms> <tag>` sleeps, `FAIL` fails, anything else returns one row per argument.
pub struct Scripted(pub Arc<Mutex<Journal>>);

impl Executor for Scripted {
    fn validate(&self, params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ExecError> {
        mcp_runtime::engine_adapter::validate_args(params, args)
    }
    fn execute<'a>(&'a self, req: QueryRequest<'a>) -> BoxFuture<'a, Result<QueryOutput, ExecError>> {
        Box::pin(async move {
            let words: Vec<&str> = req.sql.split_whitespace().collect();
            match words.as_slice() {
                ["SLEEP", ms, tag] => {
                    self.0.lock().unwrap().started.push(tag.to_string());
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())) => {}
                        _ = req.cancel.cancelled() => {
                            self.0.lock().unwrap().cancelled.push(tag.to_string());
                            return Err(ExecError::Cancelled);
                        }
                    }
                    Ok(QueryOutput { columns: vec!["tag".into()], rows: vec![json!({"tag": tag})], truncated: None })
                }
                ["FAIL"] => Err(ExecError::Database { detail: "relation \"secret_table\" does not exist".into() }),
                _ => Ok(QueryOutput {
                    columns: vec!["arg".into()],
                    rows: req.args.iter().map(|(k, v)| json!({"arg": k, "value": v})).collect(),
                    truncated: None,
                }),
            }
        })
    }
    fn pools(&self) -> BTreeMap<String, PoolStatus> {
        BTreeMap::from([("db".to_string(), PoolStatus { in_use: 1, idle: 2, max: 10 })])
    }
    fn ping(&self) -> BoxFuture<'_, mcp_runtime::ready::ConnectionHealth> {
        let down = self.0.lock().unwrap().db_down;
        Box::pin(
            async move { vec![("db".to_string(), if down { Err("connection db: refused".into()) } else { Ok(()) })] },
        )
    }
}

pub struct ScriptedFactory(pub Arc<Mutex<Journal>>);

impl ExecutorFactory for ScriptedFactory {
    fn build(&self, _m: &Manifest, _p: Option<Arc<dyn Executor>>) -> Result<Arc<dyn Executor>, String> {
        Ok(Arc::new(Scripted(self.0.clone())))
    }
}

pub struct TestApp {
    pub base: String,
    pub shared: Arc<Shared>,
    pub journal: Arc<Mutex<Journal>>,
    pub manifest_path: PathBuf,
    http: reqwest::Client,
    _dir: TempDir,
}

pub struct TempDir(pub PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestApp {
    pub async fn spawn(manifest: Value, env: &[(&str, &str)]) -> TestApp {
        let journal = Arc::new(Mutex::new(Journal::default()));
        let mut app = TestApp::spawn_with(manifest, env, Arc::new(ScriptedFactory(journal.clone()))).await;
        app.journal = journal;
        app
    }

    /// A runtime over `factory` (e.g. the real engine).
    pub async fn spawn_with(manifest: Value, env: &[(&str, &str)], factory: Arc<dyn ExecutorFactory>) -> TestApp {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = std::env::temp_dir().join(format!("quarry-rt-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.json");
        std::fs::write(&path, manifest.to_string()).unwrap();
        let mut vars: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        vars.insert("QUARRY_RUNTIME_BIND".into(), "127.0.0.1:0".into());
        vars.insert("QUARRY_RUNTIME_MANIFEST".into(), path.display().to_string());
        let config = RuntimeConfig::load(&[], &vars).unwrap();
        let journal = Arc::new(Mutex::new(Journal::default()));
        let app = Application::build(config, factory).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let shared = app.shared();
        tokio::spawn(app.run());
        TestApp { base, shared, journal, manifest_path: path, http: reqwest::Client::new(), _dir: TempDir(dir) }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    /// An initialized MCP session.
    pub async fn session(&self, token: Option<&str>) -> Session {
        Session::open(&self.base, token).await
    }
}

pub struct Session {
    /// The `initialize` result (capabilities, server info).
    pub init: Value,
    http: reqwest::Client,
    url: String,
    id: Option<String>,
    token: Option<String>,
    next: u64,
}

impl Session {
    /// Initializes an MCP session with the runtime at `base`.
    pub async fn open(base: &str, token: Option<&str>) -> Session {
        Session::open_with(base, token, true).await
    }

    /// A session whose `initialize` was answered but which has not sent
    /// `notifications/initialized` yet.
    pub async fn open_uninitialized(base: &str) -> Session {
        Session::open_with(base, None, false).await
    }

    async fn open_with(base: &str, token: Option<&str>, initialized: bool) -> Session {
        let mut s = Session {
            init: Value::Null,
            http: reqwest::Client::new(),
            url: format!("{base}/mcp"),
            id: None,
            token: token.map(String::from),
            next: 1,
        };
        let init =
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}});
        let r = s.request("initialize", init).await;
        assert!(r.get("result").is_some(), "{r}");
        s.init = r["result"].clone();
        if initialized {
            s.notify("notifications/initialized").await;
        }
        s
    }

    /// The MCP endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Names session `id` from now on, as a client holding a stale id would.
    pub fn forget_session(&mut self, id: &str) {
        self.id = Some(id.to_string());
    }

    fn post(&self, body: Value) -> reqwest::RequestBuilder {
        let mut b = self.http.post(&self.url).header("accept", "application/json, text/event-stream").json(&body);
        if let Some(id) = &self.id {
            b = b.header("mcp-session-id", id).header("mcp-protocol-version", "2025-06-18");
        }
        if let Some(t) = &self.token {
            b = b.bearer_auth(t);
        }
        b
    }

    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_with(method, params, &[]).await
    }

    /// A request sent with extra HTTP `headers`.
    pub async fn request_with(&mut self, method: &str, params: Value, headers: &[(&str, &str)]) -> Value {
        let id = self.next;
        self.next += 1;
        let mut post = self.post(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        for (name, value) in headers {
            post = post.header(*name, *value);
        }
        let resp = post.send().await.unwrap();
        if let Some(sid) = resp.headers().get("mcp-session-id") {
            self.id = Some(sid.to_str().unwrap().to_string());
        }
        let text = resp.text().await.unwrap();
        text.lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| v.get("id") == Some(&json!(id)))
            .unwrap_or_else(|| serde_json::from_str(&text).unwrap_or(json!({"raw": text})))
    }

    pub async fn notify(&self, method: &str) {
        self.post(json!({"jsonrpc": "2.0", "method": method})).send().await.unwrap();
    }

    /// The session id the runtime gave, if it gave one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Sends the following requests to the runtime at `base` instead, as a
    /// load balancer without affinity might.
    pub fn move_to(&mut self, base: &str) {
        self.url = format!("{base}/mcp");
    }

    /// A second handle on the same session (for sending notifications while a call runs).
    pub fn handle(&self) -> Session {
        Session {
            init: self.init.clone(),
            http: self.http.clone(),
            url: self.url.clone(),
            id: self.id.clone(),
            token: self.token.clone(),
            next: 1000,
        }
    }

    /// Sends `notifications/cancelled` for request `id`.
    pub async fn cancel(&self, id: u64) {
        let body = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": id, "reason": "test"}});
        self.post(body).send().await.unwrap();
    }

    pub async fn call(&mut self, tool: &str, args: Value) -> Value {
        self.request("tools/call", json!({"name": tool, "arguments": args})).await
    }
}

/// A manifest with one connection `db` (2 slots, 2 waiters, 1 s timeout) and the given tools.
pub fn manifest(tools: Value) -> Value {
    json!({
        "format_version": 1, "release": 1, "server": {"name": "test", "instructions": "Use the tools."},
        "connections": [{"id": "db", "db_type": "postgresql", "host": "h", "database": "d",
            "queue": {"max_concurrent_queries": 2, "queue_timeout_seconds": 1, "max_waiters": 2}}],
        "tools": tools,
        "resources": [
            {"name": "cust", "uri_template": "shop://customers/{id}", "source": {"kind": "sql", "sql": "SELECT :id", "connection": "db"},
             "parameters": [{"name": "id", "type": "integer"}]},
            {"name": "logo", "uri": "shop://logo", "mime_type": "image/png", "source": {"kind": "blob", "base64": "iVBORw0KGgo="}}
        ],
        "prompts": [{"name": "greet", "template": "Hello {who}, {{who}} {other}",
            "arguments": [{"name": "who", "enum": ["world", "wonder", "x"]}]}]
    })
}
