//! The runtime over the real SQL engine, against the real PostgreSQL and
//! MariaDB in per-test databases: rows through `tools/call`, read-only
//! enforcement, truncation, readiness, pool metrics and pool reuse on reload.

use std::sync::Arc;

use mcp_runtime::db::ConnectionSpec;
use mcp_runtime::engine_adapter::EngineFactory;
use serde_json::{Value, json};
use shared_model::secret::Keyring;

use crate::harness::TestApp;
use crate::support::{mysql, pg};

/// A manifest connection for a test database; `sealed` is the password sealed for the runtime.
pub fn connection(id: &str, spec: &ConnectionSpec, sealed: Option<String>, queue: Value) -> Value {
    let mut c = json!({
        "id": id, "db_type": spec.db_type, "host": spec.host, "port": spec.port, "database": spec.database,
        "username": spec.username, "ssl_mode": "disable", "pool": {"min": 0, "max": 2}, "queue": queue,
    });
    if let Some(p) = sealed {
        c["password"] = json!(p);
    }
    c
}

/// A release over `connections` and `tools`.
pub fn release(n: u64, connections: Vec<Value>, tools: Value) -> Value {
    json!({"format_version": 1, "release": n, "server": {"name": "real", "expose_db_errors": true},
           "connections": connections, "tools": tools})
}

/// The runtime over the real engine.
pub async fn spawn(manifest: Value, key: Option<&str>) -> (TestApp, EngineFactory) {
    let factory = EngineFactory::new(key);
    let env: Vec<(&str, &str)> = key.map(|k| ("QUARRY_RUNTIME_KEY", k)).into_iter().collect();
    (TestApp::spawn_with(manifest, &env, Arc::new(factory.clone())).await, factory)
}

pub fn text(r: &Value) -> String {
    r["result"]["content"][0]["text"].as_str().unwrap_or_default().to_string()
}

fn rows(r: &Value) -> Vec<Value> {
    r["result"]["structuredContent"]["rows"].as_array().cloned().unwrap_or_else(|| panic!("no rows: {r}"))
}

fn orders_tools(conn: &str, prefix: &str) -> Vec<Value> {
    vec![
        json!({"name": format!("{prefix}_orders"), "connection": conn,
               "sql": "SELECT id, status, amount FROM orders WHERE customer_id = :customer_id ORDER BY id",
               "parameters": [{"name": "customer_id", "type": "integer", "min": 1}]}),
        json!({"name": format!("{prefix}_delete"), "connection": conn, "sql": "DELETE FROM orders"}),
        json!({"name": format!("{prefix}_add"), "connection": conn,
               "annotations": {"read_only": false, "idempotent": false},
               "sql": "INSERT INTO orders (id, customer_id, status, amount) VALUES (:id, 9, 'new', 1.50)",
               "parameters": [{"name": "id", "type": "integer"}]}),
    ]
}

const ORDERS: &str =
    "CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT, status VARCHAR(10), amount NUMERIC(10,2));
    INSERT INTO orders VALUES (1, 7, 'paid', 12.50), (2, 7, 'open', 3.00), (3, 8, 'paid', 1.00);";

#[tokio::test]
async fn sql_tools_return_rows_from_postgresql_and_mariadb_with_sealed_passwords() {
    let (Some(p), Some(m)) = (pg().await, mysql().await) else { return };
    p.setup(ORDERS).await;
    m.setup(ORDERS).await;
    // The password is sealed for the runtime; trust/empty-password logins ignore it.
    let key = Keyring::generate_key();
    let sealed = Keyring::from_base64_list(&key).unwrap().encrypt("unused-but-sealed");
    let conns = vec![connection("pg", &p.spec, Some(sealed), json!({})), connection("maria", &m.spec, None, json!({}))];
    let mut tools = orders_tools("pg", "pg");
    tools.extend(orders_tools("maria", "my"));
    let (app, _) = spawn(release(1, conns, json!(tools)), Some(&key)).await;
    let mut s = app.session(None).await;
    for prefix in ["pg", "my"] {
        let r = s.call(&format!("{prefix}_orders"), json!({"customer_id": 7})).await;
        assert_eq!(r["result"]["isError"], json!(false), "{r}");
        let got: Vec<(i64, String, String)> = rows(&r)
            .iter()
            .map(|o| (o["id"].as_i64().unwrap(), o["status"].as_str().unwrap().into(), o["amount"].to_string()))
            .collect();
        assert_eq!(got, [(1, "paid".into(), "12.50".into()), (2, "open".into(), "3.00".into())], "{r}");
        assert_eq!(r["result"]["structuredContent"]["columns"], json!(["id", "status", "amount"]));
        // Rows and the text keep the SELECT's column order (not sorted by name).
        let keys: Vec<String> = rows(&r)[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "status", "amount"], "{r}");
        assert!(text(&r).starts_with(r#"[{"id":1,"status":"paid","amount":12.50}"#), "{r}");
        assert!(text(&r).contains("\"paid\""), "{r}");
        // Read-only tools cannot write; read-write tools can.
        let refused = s.call(&format!("{prefix}_delete"), json!({})).await;
        assert_eq!(refused["result"]["isError"], json!(true), "{refused}");
        let added = s.call(&format!("{prefix}_add"), json!({"id": 10})).await;
        assert_eq!(added["result"]["isError"], json!(false), "{added}");
        let invalid = s.call(&format!("{prefix}_orders"), json!({"customer_id": 0})).await;
        assert!(text(&invalid).contains("customer_id"), "{invalid}");
    }
    for db in [&p, &m] {
        assert_eq!(db.scalar("SELECT COUNT(*) FROM orders").await.as_deref(), Some("4"), "only the insert landed");
    }
    let ready = app.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    for conn in ["pg", "maria"] {
        assert!(metrics.contains(&format!("quarry_connection_up{{connection=\"{conn}\"}} 1\n")), "{metrics}");
    }
    assert!(metrics.contains("quarry_pool_connections{connection=\"pg\",state=\"idle\"} 1"), "{metrics}");
    assert!(metrics.contains("quarry_pool_connections{connection=\"maria\",state=\"in_use\"} 0"), "{metrics}");
}

#[tokio::test]
async fn a_row_cap_cuts_the_result_with_a_truncation_notice() {
    let Some(p) = pg().await else { return };
    let tools = json!([{"name": "numbers", "connection": "pg", "sql": "SELECT g AS n FROM generate_series(1, 50) g",
                        "limits": {"max_rows": 3}}]);
    let (app, _) = spawn(release(1, vec![connection("pg", &p.spec, None, json!({}))], tools), None).await;
    let r = app.session(None).await.call("numbers", json!({})).await;
    let sc = &r["result"]["structuredContent"];
    assert_eq!((sc["row_count"].clone(), sc["truncated"].clone()), (json!(3), json!(true)), "{r}");
    assert_eq!(rows(&r), [json!({"n": 1}), json!({"n": 2}), json!({"n": 3})]);
    let notice = r["result"]["content"][1]["text"].as_str().unwrap_or_default();
    assert!(notice.starts_with("[truncated]") && notice.contains("first 3 rows"), "{r}");
}

#[tokio::test]
async fn row_and_scalar_tools_take_the_first_row_and_its_first_column_in_query_order() {
    let (Some(p), Some(m)) = (pg().await, mysql().await) else { return };
    p.setup(ORDERS).await;
    m.setup(ORDERS).await;
    let mut tools = Vec::new();
    for conn in ["pg", "maria"] {
        // `status` comes first in the query though `id` sorts first by name.
        let sql = "SELECT status, id FROM orders WHERE customer_id = :customer_id ORDER BY id";
        let params = json!([{"name": "customer_id", "type": "integer"}]);
        tools.push(json!({"name": format!("{conn}_first"), "connection": conn, "sql": sql, "parameters": params, "return_type": "row"}));
        tools.push(json!({"name": format!("{conn}_status"), "connection": conn, "sql": sql, "parameters": params, "return_type": "scalar"}));
        tools.push(json!({"name": format!("{conn}_count"), "connection": conn, "sql": "SELECT COUNT(*) AS n FROM orders", "return_type": "scalar"}));
        tools.push(json!({"name": format!("{conn}_total"), "connection": conn, "sql": "SELECT amount, status FROM orders ORDER BY id",
            "transform_template": "{{ vars.currency }} {{ rows | sum_attr('amount') }} over {{ rows | map_attr('status') | unique | join('/') }}"}));
    }
    let mut manifest = release(
        1,
        vec![connection("pg", &p.spec, None, json!({})), connection("maria", &m.spec, None, json!({}))],
        json!(tools),
    );
    manifest["vars"] = json!({"currency": "EUR"});
    let (app, _) = spawn(manifest, None).await;
    let mut s = app.session(None).await;
    for conn in ["pg", "maria"] {
        let first = s.call(&format!("{conn}_first"), json!({"customer_id": 7})).await;
        assert_eq!(first["result"]["structuredContent"], json!({"row": {"status": "paid", "id": 1}}), "{first}");
        let status = s.call(&format!("{conn}_status"), json!({"customer_id": 7})).await;
        assert_eq!(status["result"]["structuredContent"], json!({"value": "paid"}), "{status}");
        assert_eq!(text(&status), "\"paid\"");
        let none = s.call(&format!("{conn}_status"), json!({"customer_id": 99})).await;
        assert_eq!(none["result"]["structuredContent"], json!({"value": null}), "{none}");
        let count = s.call(&format!("{conn}_count"), json!({})).await;
        assert_eq!(count["result"]["structuredContent"], json!({"value": 3}), "{count}");
        let total = s.call(&format!("{conn}_total"), json!({})).await;
        assert_eq!(text(&total), "EUR 16.5 over paid/open", "{total}");
    }
}

#[tokio::test]
async fn an_unreachable_database_leaves_the_instance_ready_and_is_reported_per_connection() {
    let spec = ConnectionSpec::new(mcp_runtime::db::DbType::Postgresql, "127.0.0.1", 1, "nope", "postgres");
    let tools = json!([{"name": "q", "connection": "pg", "sql": "SELECT 1 AS one"}]);
    let mut manifest = release(1, vec![connection("pg", &spec, None, json!({}))], tools);
    manifest["server"]["expose_db_errors"] = json!(false);
    let (app, _) = spawn(manifest, None).await;
    // 100 asks, one probe (the default interval is 5 s); the instance serves release 1, so it is ready: a
    // database that does not answer must not take every replica out of its load balancer.
    for _ in 0..100 {
        let res = app.get("/readyz").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, json!({"status": "ready", "release": 1}), "no connection is named");
    }
    let metrics = app.get("/metrics").send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("quarry_ready_probes_total 1\n"), "{metrics}");
    assert!(metrics.contains("quarry_connection_up{connection=\"pg\"} 0\n"), "{metrics}");
    // The detail is there for those who may call the runtime.
    let detail: Value = app.get("/internal/ready").send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["connections"]["pg"]["up"], false, "{detail}");
    assert!(detail["detail"].as_str().is_some_and(|d| d.contains("connection pg")), "{detail}");
    let r = app.session(None).await.call("q", json!({})).await;
    assert!(text(&r).contains("unavailable"), "{r}");
    // Without expose_db_errors the client learns neither the address nor the driver's words.
    assert!(text(&r).contains("error id") && !text(&r).contains("127.0.0.1") && !text(&r).contains("refused"), "{r}");
}

#[tokio::test]
async fn reloads_keep_unchanged_pools_rebuild_changed_ones_and_drop_removed_ones() {
    let (Some(p), Some(m)) = (pg().await, mysql().await) else { return };
    let pid = |conn: &str| json!({"name": format!("pid_{conn}"), "connection": conn, "sql": "SELECT pg_backend_pid() AS pid"});
    let my = json!({"name": "my_id", "connection": "maria", "sql": "SELECT CONNECTION_ID() AS id"});
    let conns = |app_name: &str| {
        let mut c = connection("pg", &p.spec, None, json!({}));
        c["extra_params"] = json!({"application_name": app_name});
        vec![c, connection("maria", &m.spec, None, json!({}))]
    };
    let (app, factory) = spawn(release(1, conns("a"), json!([pid("pg"), my])), None).await;
    let backend = |r: &Value| rows(r)[0]["pid"].clone();
    let first = backend(&app.session(None).await.call("pid_pg", json!({})).await);
    app.session(None).await.call("my_id", json!({})).await;
    assert!(factory.engine().pool_state("maria").is_some());
    let reload = |n: u64, body: Value| {
        std::fs::write(&app.manifest_path, body.to_string()).unwrap();
        assert_eq!(mcp_runtime::reload::reload_file(&app.shared, &app.manifest_path), Ok(n));
    };
    reload(
        2,
        release(
            2,
            conns("a")[..1].to_vec(),
            json!([pid("pg"), {"name": "extra", "connection": "pg", "sql": "SELECT 1"}]),
        ),
    );
    let same = backend(&app.session(None).await.call("pid_pg", json!({})).await);
    assert_eq!(same, first, "an unchanged connection keeps its pooled backend");
    assert!(factory.engine().pool_state("maria").is_none(), "the removed connection's pool is gone");
    reload(3, release(3, conns("b")[..1].to_vec(), json!([pid("pg")])));
    let changed = backend(&app.session(None).await.call("pid_pg", json!({})).await);
    assert_ne!(changed, first, "a changed connection gets a new pool");
    let name = p.scalar(&format!("SELECT application_name FROM pg_stat_activity WHERE pid = {changed}")).await;
    assert_eq!(name.as_deref(), Some("b"));
}

#[tokio::test]
async fn tools_list_advertises_the_output_schema_each_call_result_validates_against() {
    let (Some(p), Some(m)) = (pg().await, mysql().await) else { return };
    p.setup(ORDERS).await;
    m.setup(ORDERS).await;
    let engine = mcp_runtime::db::Engine::new();
    let mut tools = Vec::new();
    for (conn, db) in [("pg", &p), ("maria", &m)] {
        for (suffix, return_type) in [("rows", "rows"), ("row", "row"), ("scalar", "scalar")] {
            let mut tool = orders_tools(conn, conn).remove(0);
            let sql = tool["sql"].as_str().unwrap().to_string();
            let params = serde_json::from_value::<Vec<shared_model::ParamDef>>(tool["parameters"].clone()).unwrap();
            let columns = engine.describe(&db.id, &db.spec, &sql, &params, std::time::Duration::from_secs(10)).await;
            let rt = serde_json::from_value(json!(return_type)).unwrap();
            let schema =
                mcp_runtime::shape::output_schema(db.spec.db_type, &columns.unwrap(), rt, Default::default(), false);
            tool["name"] = json!(format!("{conn}_{suffix}"));
            tool["return_type"] = json!(return_type);
            tool["output_schema"] = Value::Object(schema);
            tools.push(tool);
        }
    }
    tools.push(orders_tools("pg", "plain").remove(0));
    let conns = vec![connection("pg", &p.spec, None, json!({})), connection("maria", &m.spec, None, json!({}))];
    let (app, _) = spawn(release(1, conns, json!(tools)), None).await;
    let mut s = app.session(None).await;
    let listed = s.request("tools/list", json!({})).await;
    let listed = listed["result"]["tools"].as_array().cloned().unwrap();
    let plain = listed.iter().find(|t| t["name"] == "plain_orders").unwrap();
    assert!(plain.get("outputSchema").is_none(), "a tool without a derived schema advertises none: {plain}");
    for tool in listed.iter().filter(|t| t["name"] != "plain_orders") {
        let schema = &tool["outputSchema"];
        assert_eq!(schema["type"], json!("object"), "{tool}");
        assert_eq!(schema["$schema"], json!(mcp_runtime::shape::JSON_SCHEMA_2020_12));
        let validator = jsonschema::draft202012::new(schema).expect("a valid schema");
        for customer in [7, 99] {
            let r = s.call(tool["name"].as_str().unwrap(), json!({"customer_id": customer})).await;
            let content = &r["result"]["structuredContent"];
            let errors: Vec<String> = validator.iter_errors(content).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?} in {content}", tool["name"]);
        }
    }
    let pg_rows = listed.iter().find(|t| t["name"] == "pg_rows").unwrap();
    let item = &pg_rows["outputSchema"]["properties"]["rows"]["items"]["properties"];
    // The key is NOT NULL; numeric may arrive as a string when a double cannot hold it.
    assert_eq!(item["id"], json!({"type": "integer"}));
    assert_eq!(item["amount"]["type"], json!(["number", "string", "null"]));
}
