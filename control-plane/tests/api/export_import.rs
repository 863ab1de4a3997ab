//! Export and import: a versioned document without secrets, matched by name,
//! planned by a dry run and applied all or nothing; and the same document as
//! code through `quarry export` / `quarry apply`.

use std::process::Command;

use control_plane::auth::ADMIN_ID;
use control_plane::model::Actor;
use control_plane::portable::{self, Options, PortableDocument};
use control_plane::storage::write::{Action, Kind};
use control_plane::storage::{StoreError, Write, connections, settings, write};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::TestApp;

const EXPORT: &str = "/api/v1/export-import/export";
const IMPORT: &str = "/api/v1/export-import/import";

/// A connection with a password, a secret extra parameter and read-only settings, a tool, two resources, a prompt, settings with
/// global variables, and an MCP token.
async fn seed(app: &TestApp) {
    let (status, conn) = app
        .post(
            "/api/v1/connections",
            &json!({"name": "shop", "db_type": "postgresql", "host": "127.0.0.1", "port": 5432, "database": "postgres",
                "username": "postgres", "password": "pg-secret-value",
                "extra_params": {"sslpassword": "extra-secret-value", "application_name": "quarry"},
                "allowed_functions": ["pg_catalog.pg_is_in_recovery"], "read_only_role": "quarry_reader"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conn}");
    let id = conn["id"].as_str().unwrap();
    app.create_tool(id, "orders").await;
    for body in [
        json!({"name": "readme", "description": "About the shop", "uri_template": "docs://readme",
            "static_content": "hello", "mime_type": "text/plain"}),
        json!({"connection_id": id, "name": "customer", "description": "A customer", "uri_template": "customers://{id}",
            "sql_query": "SELECT * FROM customers WHERE id = :id", "parameters": [{"name": "id", "type": "integer"}]}),
    ] {
        let (status, body) = app.post("/api/v1/resources", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let prompt = json!({"name": "summarize", "description": "Summarise a topic", "template": "Summarise {topic}",
        "arguments": [{"name": "topic", "description": "What to summarise", "required": true}]});
    let (status, body) = app.post("/api/v1/prompts", &prompt).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let patch = json!({"server_name": "Shop MCP", "global_variables": {"region": "eu", "limit": 10, "ratio": 0.5}});
    let (status, body) = app.patch("/api/v1/server/config", &patch).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.post("/api/v1/server/tokens", &json!({"name": "ci"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.patch("/api/v1/server/config", &json!({"auth_mode": "bearer"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn export(app: &TestApp) -> Value {
    let (status, doc) = app.get(EXPORT).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

fn items(plan: &Value) -> Vec<(String, String, String)> {
    plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().into(),
                i["name"].as_str().unwrap().into(),
                i["action"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn has(plan: &Value, kind: &str, name: &str, action: &str) -> bool {
    items(plan).contains(&(kind.into(), name.into(), action.into()))
}

#[tokio::test]
async fn the_export_names_connections_by_name_and_holds_no_password_secret_or_token() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    seed(&app).await;
    let doc = export(&app).await;
    let text = doc.to_string();
    assert_eq!(doc["format_version"], 1);
    for secret in ["pg-secret-value", "extra-secret-value", "sslpassword", "\"password\"", "token"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(doc["connections"][0]["extra_params"], json!({"application_name": "quarry"}));
    assert_eq!(doc["connections"][0]["allowed_functions"], json!(["pg_catalog.pg_is_in_recovery"]));
    assert_eq!(doc["connections"][0]["read_only_role"], "quarry_reader");
    assert_eq!(doc["tools"][0]["connection"], "shop");
    assert!(doc["tools"][0].get("connection_id").is_none());
    assert_eq!(doc["resources"][0]["connection"], "shop");
    assert!(doc["resources"][1].get("connection").is_none(), "static content has no connection");
    assert_eq!(doc["server"]["server_name"], "Shop MCP");
    assert_eq!(doc["server"]["global_variables"], json!({"region": "eu", "limit": 10, "ratio": 0.5}));
    let (status, schema) = app.get("/api/v1/export-import/schema").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["title"], "Quarry configuration document");
    assert!(schema["properties"]["tools"].is_object(), "{schema}");
}

#[tokio::test]
async fn an_export_imported_into_an_empty_store_exports_the_same_document() {
    let source = TestApp::spawn().await;
    source.login_admin().await;
    seed(&source).await;
    let doc = export(&source).await;

    let target = TestApp::spawn().await;
    target.login_admin().await;
    let (status, plan) = target.post(IMPORT, &doc).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["applied"], true);
    assert_eq!(plan["summary"], json!({"create": 5, "update": 1, "unchanged": 0, "conflict": 0, "delete": 0}));
    let conn = plan["items"].as_array().unwrap().iter().find(|i| i["kind"] == "connection").unwrap();
    assert!(conn["reason"].as_str().unwrap().contains("no password"), "{conn}");
    let server = plan["items"].as_array().unwrap().iter().find(|i| i["kind"] == "server").unwrap();
    assert!(server["reason"].as_str().unwrap().contains("no MCP token yet"), "tokens do not travel: {server}");
    assert_eq!(export(&target).await, doc);

    // Importing it again changes nothing.
    let (status, again) = target.post(IMPORT, &doc).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["summary"]["unchanged"], 6, "{again}");
    let (_, conns) = target.get("/api/v1/connections").await;
    assert_eq!(conns["items"][0]["has_password"], false, "no password was invented");
}

#[tokio::test]
async fn a_dry_run_returns_the_plan_with_reasons_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    seed(&app).await;
    let before = export(&app).await;
    let mut doc = before.clone();
    doc["tools"][0]["description"] = json!("Orders of one customer, newest first");
    doc["prompts"].as_array_mut().unwrap().push(json!({"name": "greet", "description": "Greets", "template": "Hello"}));
    // Stored as "readme": a name differing only in case is a conflict, not a rename.
    doc["resources"][1]["name"] = json!("Readme");

    let (status, plan) = app.post(&format!("{IMPORT}?dry_run=true"), &doc).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["applied"], false);
    assert!(has(&plan, "tool", "orders", "update"), "{plan}");
    assert!(has(&plan, "prompt", "greet", "create"), "{plan}");
    assert!(has(&plan, "prompt", "summarize", "unchanged"), "{plan}");
    assert!(has(&plan, "resource", "Readme", "conflict"), "{plan}");
    assert!(has(&plan, "connection", "shop", "unchanged"), "{plan}");
    let tool = plan["items"].as_array().unwrap().iter().find(|i| i["name"] == "orders").unwrap();
    assert_eq!(tool["reason"], "changes description");
    let conn = plan["items"].as_array().unwrap().iter().find(|i| i["name"] == "shop").unwrap();
    assert!(conn["reason"].as_str().unwrap().contains("stored password is kept"), "{conn}");
    assert_eq!(export(&app).await, before, "a dry run changes nothing");

    // Applying a plan with a conflict is refused as a whole.
    let (status, body) = app.post(IMPORT, &doc).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("Readme"), "{body}");
    assert_eq!(export(&app).await, before, "a refused import changes nothing");

    // Without the clash it applies; the stored password survives the update.
    doc["resources"][1]["name"] = json!("readme");
    let (status, plan) = app.post(IMPORT, &doc).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let after = export(&app).await;
    assert_eq!(after["tools"][0]["description"], "Orders of one customer, newest first");
    assert_eq!(after["prompts"].as_array().unwrap().len(), 2);
    let (_, conns) = app.get("/api/v1/connections").await;
    assert_eq!(conns["items"][0]["has_password"], true);
    assert_eq!(conns["items"][0]["extra_params"]["sslpassword"], "••••••", "the secret extra parameter is kept");
}

#[tokio::test]
async fn a_document_with_problems_is_refused_with_every_path_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    seed(&app).await;
    let before = export(&app).await;

    let newer = json!({"format_version": 2, "tools": []});
    let (status, body) = app.post(&format!("{IMPORT}?dry_run=true"), &newer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "format_version", "{body}");

    let tool = |name: &str, conn: &str, sql: &str| {
        json!({"connection": conn, "name": name, "description": "d", "sql_query": sql,
            "parameters": [{"name": "id", "type": "integer"}]})
    };
    let mut bad_type = tool("typed", "shop", "SELECT :id");
    bad_type["parameters"][0]["type"] = json!("text");
    let doc = json!({
        "format_version": 1,
        "colour": "red",
        "tools": [
            tool("fine", "shop", "SELECT :id"),
            tool("dangling", "nowhere", "SELECT :id"),
            tool("undeclared", "shop", "SELECT :id, :other"),
            bad_type,
            {"connection": "shop", "name": "extra", "description": "d", "sql_query": "SELECT 1", "cache": 5},
        ],
        "server": {"server_name": ""},
    });
    for query in ["?dry_run=true", ""] {
        let (status, body) = app.post(&format!("{IMPORT}{query}"), &doc).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let paths: Vec<&str> =
            body["problems"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
        for want in [
            "colour",
            "server.server_name",
            "tools[1].connection",
            "tools[2].sql_query",
            "tools[3].parameters[0].type",
            "tools[4].cache",
        ] {
            assert!(paths.contains(&want), "{want} missing from {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.starts_with("tools[0]")), "{paths:?}");
    }
    assert_eq!(export(&app).await, before, "a refused import changes nothing");

    // When pruning, only the document's connections count: the store's are about to go.
    let mut pruned = before.clone();
    pruned["connections"] = json!([]);
    let (status, body) = app.post(&format!("{IMPORT}?dry_run=true&prune=true"), &pruned).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "tools[0].connection", "{body}");
    let (status, plan) = app.post(&format!("{IMPORT}?dry_run=true"), &pruned).await;
    assert_eq!(status, StatusCode::OK, "without pruning the stored connection serves: {plan}");

    // `${VAR}` secrets are for `quarry apply` only.
    let mut with_env = before.clone();
    with_env["connections"][0]["password"] = json!("${PGPASSWORD}");
    let (status, body) = app.post(IMPORT, &with_env).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "connections[0].password");
}

#[tokio::test]
async fn an_import_that_fails_part_way_leaves_the_store_unchanged() {
    let source = TestApp::spawn().await;
    source.login_admin().await;
    seed(&source).await;
    let doc: PortableDocument = serde_json::from_value(export(&source).await).unwrap();

    let app = TestApp::spawn().await;
    app.login_admin().await;
    let before = export(&app).await;
    let actor = Actor::admin(ADMIN_ID);
    let keyring = app.state.keyring.clone();
    // The import succeeds inside the write; a later step of the same write fails, so none of it stays.
    let failed = write(&app.state.db, &actor, |w| {
        Box::pin(async move {
            let plan = portable::apply(w, &keyring, doc, Options::default()).await?;
            assert_eq!(plan.summary.create, 5);
            let patch = json!({"server_name": ""}).as_object().cloned().unwrap();
            settings::update(w, &keyring, patch).await
        })
    })
    .await;
    assert!(matches!(failed, Err(StoreError::Invalid(_))), "{failed:?}");
    assert_eq!(export(&app).await, before);
}

#[tokio::test]
async fn an_applied_import_is_one_write_that_records_each_change_with_its_actor() {
    let source = TestApp::spawn().await;
    source.login_admin().await;
    seed(&source).await;
    let doc: PortableDocument = serde_json::from_value(export(&source).await).unwrap();

    let app = TestApp::spawn().await;
    let actor = Actor::admin(ADMIN_ID);
    let mut w = Write::begin(&app.state.db, &actor).await.unwrap();
    portable::apply(&mut w, &app.state.keyring, doc, Options::default()).await.unwrap();
    assert_eq!(w.actor(), &actor);
    let edits = w.commit().await.unwrap();
    let got: Vec<(Kind, &str, Action)> = edits.iter().map(|e| (e.kind, e.name.as_str(), e.action)).collect();
    assert_eq!(
        got,
        [
            (Kind::ServerSettings, "Shop MCP", Action::Updated),
            (Kind::Connection, "shop", Action::Created),
            (Kind::Tool, "orders", Action::Created),
            (Kind::Resource, "customer", Action::Created),
            (Kind::Resource, "readme", Action::Created),
            (Kind::Prompt, "summarize", Action::Created),
        ]
    );
}

/// Runs the `quarry` binary against `app`'s store.
fn quarry(app: &TestApp, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(args)
        .env_clear()
        .env("QUARRY_DATA_DIR", &app.data_dir)
        .env("QUARRY_DATABASE_URL", &app.state.config.database_url)
        .env("QUARRY_LOG", "off")
        .envs(env.iter().copied())
        .output()
        .expect("quarry runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test]
async fn quarry_apply_plans_in_a_dry_run_then_applies_and_prunes_with_passwords_from_the_environment() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    seed(&app).await;
    let file = app.data_dir.join("quarry.yaml");
    std::fs::write(
        &file,
        "format_version: 1\n\
         connections:\n\
         - name: warehouse\n  db_type: postgres\n  host: 127.0.0.1\n  database: postgres\n  username: postgres\n  password: ${WAREHOUSE_PASSWORD}\n\
         tools:\n\
         - connection: warehouse\n  name: stock\n  description: Stock of an item\n  sql_query: SELECT :item AS item\n  parameters:\n  - {name: item, type: string}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let before = export(&app).await;

    let (ok, _, err) = quarry(&app, &["apply", path, "--dry-run"], &[]);
    assert!(!ok);
    assert!(err.contains("connections[0].password: the environment variable WAREHOUSE_PASSWORD is not set"), "{err}");

    let env = [("WAREHOUSE_PASSWORD", "wh-secret-value")];
    let (ok, out, err) = quarry(&app, &["apply", path, "--dry-run", "--prune"], &env);
    assert!(ok, "{err}");
    assert!(out.contains("create     connection warehouse"), "{out}");
    assert!(out.contains("delete     tool       orders"), "{out}");
    assert!(out.contains("Dry run, nothing was changed"), "{out}");
    assert_eq!(export(&app).await, before, "a dry run changes nothing");

    let (ok, out, err) = quarry(&app, &["apply", path, "--prune"], &env);
    assert!(ok, "{err}");
    assert!(out.contains("Applied: 2 create"), "{out}");
    let after = export(&app).await;
    let names =
        |kind: &str| -> Vec<Value> { after[kind].as_array().unwrap().iter().map(|e| e["name"].clone()).collect() };
    assert_eq!(names("connections"), [json!("warehouse")]);
    assert_eq!(names("tools"), [json!("stock")]);
    assert!(names("resources").is_empty() && names("prompts").is_empty(), "{after}");
    assert_eq!(after["server"], before["server"], "a file without settings leaves them alone");
    let (_, conns) = app.get("/api/v1/connections").await;
    assert_eq!(conns["items"][0]["has_password"], true);

    // The same password is no change; a new one in the environment updates just the password.
    let (ok, out, err) = quarry(&app, &["apply", path, "--dry-run"], &env);
    assert!(ok, "{err}");
    assert!(out.contains("unchanged  connection warehouse same as stored\n"), "{out}");
    let (ok, out, err) = quarry(&app, &["apply", path], &[("WAREHOUSE_PASSWORD", "rotated-value")]);
    assert!(ok, "{err}");
    assert!(out.contains("update     connection warehouse changes password\n"), "{out}");
    let stored = connections::all(&app.state.db).await.unwrap().remove(0);
    assert_eq!(app.state.keyring.decrypt(stored.password.as_deref().unwrap()).unwrap(), "rotated-value");

    // Export writes the document back without the password; applying it again changes nothing.
    let (ok, yaml, err) = quarry(&app, &["export"], &[]);
    assert!(ok, "{err}");
    assert!(!yaml.contains("wh-secret-value") && !yaml.contains("password"), "{yaml}");
    std::fs::write(&file, &yaml).unwrap();
    let (ok, out, err) = quarry(&app, &["apply", path], &[]);
    assert!(ok, "{err}");
    assert!(out.contains("0 create, 0 update, 3 unchanged"), "{out}");
    let (ok, json_doc, _) = quarry(&app, &["export", "--format", "json"], &[]);
    assert!(ok);
    assert_eq!(serde_json::from_str::<Value>(&json_doc).unwrap(), export(&app).await);
}

#[tokio::test]
async fn quarry_apply_takes_the_introspection_secret_from_the_environment_and_never_moves_it_to_a_new_endpoint() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let file = app.data_dir.join("quarry.yaml");
    let write_doc = |endpoint: &str, secret: Option<&str>| {
        let secret = secret.map(|s| format!("\n      client_secret: {s}")).unwrap_or_default();
        std::fs::write(
            &file,
            format!(
                "format_version: 1\n\
                 server:\n  server_name: Quarry\n  auth_mode: oauth\n  public_url: https://mcp.example.com\n  oauth:\n    \
                 introspection:\n      endpoint: {endpoint}\n      client_id: quarry-rs{secret}\n"
            ),
        )
        .unwrap();
    };
    let path = file.to_str().unwrap();
    let stored_secret = || async {
        let s = settings::load_all(&app.state.db).await.unwrap().secrets.introspection_client_secret;
        s.map(|sealed| app.state.keyring.decrypt(&sealed).unwrap())
    };

    write_doc("https://login.example.com/introspect", Some("${INTROSPECTION_SECRET}"));
    let (ok, _, err) = quarry(&app, &["apply", path], &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "server.oauth.introspection.client_secret: the environment variable INTROSPECTION_SECRET is not set"
        ),
        "{err}"
    );
    assert_eq!(stored_secret().await, None);

    let env = [("INTROSPECTION_SECRET", "from-the-environment")];
    let (ok, out, err) = quarry(&app, &["apply", path], &env);
    assert!(ok, "{err}");
    assert!(out.contains("update     server"), "{out}");
    assert_eq!(stored_secret().await.as_deref(), Some("from-the-environment"));
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!(cfg["oauth"]["introspection"]["client_secret_set"], true, "{cfg}");

    // The same secret is no change; a rotated one is, and only the secret changes.
    let (ok, out, err) = quarry(&app, &["apply", path, "--dry-run"], &env);
    assert!(ok, "{err}");
    assert!(out.contains("unchanged  server     Quarry same as stored"), "{out}");
    let (ok, out, err) = quarry(&app, &["apply", path], &[("INTROSPECTION_SECRET", "rotated")]);
    assert!(ok, "{err}");
    assert!(out.contains("update     server     Quarry changes oauth.introspection.client_secret\n"), "{out}");
    assert_eq!(stored_secret().await.as_deref(), Some("rotated"));

    // The export writes neither the secret nor the reference.
    let (ok, yaml, err) = quarry(&app, &["export"], &[]);
    assert!(ok, "{err}");
    assert!(!yaml.contains("rotated") && !yaml.contains("client_secret:"), "{yaml}");

    // Another endpoint without the secret is refused, in the dry run already, and nothing changes.
    write_doc("https://other.example.net/introspect", None);
    let before = export(&app).await;
    for args in [&["apply", path, "--dry-run"][..], &["apply", path]] {
        let (ok, _, err) = quarry(&app, args, &[]);
        assert!(!ok, "{args:?}");
        assert!(
            err.contains("server.oauth.introspection.client_secret: the introspection endpoint changed: enter the client secret again"),
            "{err}"
        );
    }
    assert_eq!(export(&app).await, before);
    assert_eq!(stored_secret().await.as_deref(), Some("rotated"));
    // With its own secret it moves.
    write_doc("https://other.example.net/introspect", Some("${OTHER_SECRET}"));
    let (ok, _, err) = quarry(&app, &["apply", path], &[("OTHER_SECRET", "other")]);
    assert!(ok, "{err}");
    assert_eq!(stored_secret().await.as_deref(), Some("other"));

    // The HTTP import refuses the reference: the server's environment is not the caller's to read.
    let mut doc = export(&app).await;
    doc["server"]["oauth"]["introspection"]["client_secret"] = json!("${OTHER_SECRET}");
    let (status, body) = app.post(IMPORT, &doc).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], "server.oauth.introspection.client_secret", "{body}");
}
