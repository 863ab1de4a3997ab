//! Result columns and output schemas through the API, against a real
//! PostgreSQL database: derived when a tool is saved, derived again when its
//! SQL changes, carried by the release as `output_schema`, filled in by a
//! deploy when they are missing, advertised by a pulling runtime as the
//! `outputSchema` its results validate against, and a deploy problem once the
//! table changed.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::deploy::{TOKEN, pull, spawn_pull_app, start_runtime, wait_for_release};
use crate::engine_routes::{PgFixture, pg_connection, sqlite_connection};
use crate::harness::{TestApp, pg_database_url};
use crate::transforms::{call_tool, mcp_request};

async fn alter(fx: &PgFixture, sql: &str) {
    let db = Database::connect(&pg_database_url(&fx.name)).await.unwrap();
    db.execute_unprepared(sql).await.unwrap();
    db.close().await.unwrap();
}

async fn save_tool(app: &TestApp, conn: &str, name: &str, sql: &str, return_type: &str) -> Value {
    let body = json!({"connection_id": conn, "name": name, "description": "Orders", "sql_query": sql,
        "return_type": return_type, "parameters": [{"name": "c", "type": "integer"}]});
    let (status, tool) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{tool}");
    tool
}

async fn manifest_tool(app: &TestApp, name: &str) -> Value {
    let manifest: Value = pull(app, Some(TOKEN), None, 0).await.json().await.unwrap();
    manifest["tools"].as_array().unwrap().iter().find(|t| t["name"] == name).cloned().unwrap()
}

#[tokio::test]
async fn saving_a_tool_derives_its_result_columns_and_changing_its_sql_derives_them_again() {
    let fx = PgFixture::new().await;
    let (app, _) = spawn_pull_app().await;
    let conn = pg_connection(&app, &fx.name).await;
    let tool = save_tool(&app, &conn, "totals", "SELECT id, total FROM orders WHERE customer_id = :c", "rows").await;
    assert_eq!(
        tool["result_columns"],
        json!([{"name": "id", "sql_type": "int8", "nullable": false},
               {"name": "total", "sql_type": "numeric", "nullable": true}])
    );
    let id = tool["id"].as_str().unwrap();
    // The columns are the server's: a client's are ignored, the SQL's are described again.
    let bogus = json!({"result_columns": [{"name": "x", "sql_type": "text"}], "description": "Totals"});
    let (status, same) = app.patch(&format!("/api/v1/tools/{id}"), &bogus).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["result_columns"], tool["result_columns"]);
    let (_, changed) = app
        .patch(&format!("/api/v1/tools/{id}"), &json!({"sql_query": "SELECT note FROM orders WHERE customer_id = :c"}))
        .await;
    assert_eq!(changed["result_columns"], json!([{"name": "note", "sql_type": "text", "nullable": true}]));
    // SQL the database cannot describe leaves the tool without columns (the deploy tries again).
    let (status, undescribed) =
        app.patch(&format!("/api/v1/tools/{id}"), &json!({"sql_query": "SELECT nope FROM missing WHERE 1 = :c"})).await;
    assert_eq!(status, StatusCode::OK, "{undescribed}");
    assert!(undescribed.get("result_columns").is_none(), "{undescribed}");
}

#[tokio::test]
async fn the_release_carries_the_output_schema_and_a_table_changed_after_the_save_is_a_deploy_problem() {
    let fx = PgFixture::new().await;
    let (app, key) = spawn_pull_app().await;
    let conn = pg_connection(&app, &fx.name).await;
    let tool =
        save_tool(&app, &conn, "first_order", "SELECT id, total FROM orders WHERE customer_id = :c", "row").await;
    // A tool saved before its table existed gets its columns from the deploy.
    let later = save_tool(&app, &conn, "later", "SELECT n FROM later WHERE n = :c", "scalar").await;
    assert!(later.get("result_columns").is_none(), "{later}");
    alter(&fx, "CREATE TABLE later (n int4 NOT NULL)").await;

    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A runtime pulls the release, lists the schema and returns what it describes.
    let port = start_runtime(&app, &key, "pod-a").await;
    wait_for_release(&app, 1, 1).await;
    let token = body["token"].as_str().expect("the first deploy returns the minted token");
    let listed = mcp_request(port, token, "tools/list", json!({})).await;
    let listed = listed["result"]["tools"].as_array().unwrap();
    let schema = &listed.iter().find(|t| t["name"] == "first_order").unwrap()["outputSchema"];
    assert_eq!(schema, &manifest_tool(&app, "first_order").await["output_schema"]);
    let validator = jsonschema::draft202012::new(schema).expect("a valid schema");
    for customer in [1, 99] {
        let called = call_tool(port, token, "first_order", json!({"c": customer})).await;
        let content = &called["result"]["structuredContent"];
        let errors: Vec<String> = validator.iter_errors(content).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?} in {content}");
    }
    let row = &manifest_tool(&app, "first_order").await["output_schema"]["properties"]["row"];
    assert_eq!(row["type"], json!(["object", "null"]));
    assert_eq!(row["properties"]["id"], json!({"type": ["integer", "string"], "pattern": "^-?[0-9]+$"}));
    assert_eq!(row["required"], json!(["id", "total"]));
    let value = &manifest_tool(&app, "later").await["output_schema"]["properties"]["value"];
    assert_eq!(value, &json!({"type": ["integer", "null"]}));
    let (_, filled) = app.get(&format!("/api/v1/tools/{}", later["id"].as_str().unwrap())).await;
    assert_eq!(filled["result_columns"], json!([{"name": "n", "sql_type": "int4", "nullable": false}]));

    // The table changes under the saved tool: the deploy says which tool and column, and deploys nothing.
    alter(&fx, "DROP VIEW big_orders; ALTER TABLE orders ALTER COLUMN total TYPE text").await;
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["path"], json!("tools.first_order.sql_query"));
    let message = problems[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`total` is text instead of numeric") && message.contains("save the tool again"),
        "{message}"
    );
    let (_, releases) = app.get("/api/v1/releases").await;
    assert_eq!(releases["total"], json!(1), "nothing was deployed");

    // Saving the tool again derives the new columns; the next release carries them.
    let id = tool["id"].as_str().unwrap();
    let (status, saved) = app.patch(&format!("/api/v1/tools/{id}"), &json!({"description": "First order"})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let row = &manifest_tool(&app, "first_order").await["output_schema"]["properties"]["row"];
    assert_eq!(row["properties"]["total"], json!({"type": ["string", "null"]}));
}

/// The deploy log's lines.
fn deploy_log(app: &TestApp) -> Vec<String> {
    app.state.deploy.logs.tail(1000).into_iter().map(|l| l.line).collect()
}

#[tokio::test]
async fn redeploying_a_release_whose_output_schema_the_table_no_longer_matches_is_a_422_naming_the_tool() {
    let fx = PgFixture::new().await;
    let (app, _) = spawn_pull_app().await;
    let conn = pg_connection(&app, &fx.name).await;
    let tool =
        save_tool(&app, &conn, "first_order", "SELECT id, total FROM orders WHERE customer_id = :c", "row").await;
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let old_schema = manifest_tool(&app, "first_order").await["output_schema"].clone();

    // The table changes; the tool is saved again and release 2 carries the new schema.
    alter(&fx, "DROP VIEW big_orders; ALTER TABLE orders ALTER COLUMN total TYPE text").await;
    let id = tool["id"].as_str().unwrap();
    let (status, saved) = app.patch(&format!("/api/v1/tools/{id}"), &json!({"description": "First order"})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, before) = app.get("/api/v1/releases").await;
    assert_eq!(before["total"], json!(2));
    let (_, status_before) = app.get("/api/v1/deploy/status").await;

    // Rolling back to release 1 would advertise `total` as a number again: refused, naming the tool.
    let (status, body) = app.post("/api/v1/releases/1/redeploy", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let problems = body["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{body}");
    assert_eq!(problems[0]["path"], json!("tools.first_order.sql_query"));
    let message = problems[0]["message"].as_str().unwrap();
    assert!(
        message.contains("(`id` int8, `total` text)")
            && message.contains("than release 1 was built with")
            && message.contains("deploy the current tools instead"),
        "{message}"
    );
    let (_, after) = app.get("/api/v1/releases").await;
    assert_eq!(after, before, "nothing was redeployed");
    let (_, status_after) = app.get("/api/v1/deploy/status").await;
    assert_eq!(status_before["release"], json!(2), "{status_before}");
    assert_eq!(status_after["release"], status_before["release"], "{status_after}");
    assert!(deploy_log(&app).iter().any(|l| l.starts_with("Redeploy refused: 1 tool(s)")), "{:?}", deploy_log(&app));
    assert_eq!(
        manifest_tool(&app, "first_order").await["output_schema"]["properties"]["row"]["properties"]["total"],
        json!({"type": ["string", "null"]})
    );

    // Release 2 matches the table: redeployed as release 3.
    let (status, body) = app.post("/api/v1/releases/2/redeploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["number"], json!(3), "{body}");

    // The table is restored: release 1 can be redeployed again, with its own schema.
    alter(&fx, "ALTER TABLE orders ALTER COLUMN total TYPE numeric USING total::numeric").await;
    let (status, body) = app.post("/api/v1/releases/1/redeploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(manifest_tool(&app, "first_order").await["output_schema"], old_schema);

    // A database that cannot be reached is logged, not refused.
    let (status, moved) = app.patch(&format!("/api/v1/connections/{conn}"), &json!({"port": 1})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, body) = app.post("/api/v1/releases/2/redeploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        deploy_log(&app)
            .iter()
            .any(|l| l.starts_with("Result columns of tool first_order:") && l.contains("not checked")),
        "{:?}",
        deploy_log(&app)
    );
}

#[tokio::test]
async fn the_preview_shows_the_output_schema_the_release_will_carry() {
    let fx = PgFixture::new().await;
    let (app, _) = spawn_pull_app().await;
    let conn = pg_connection(&app, &fx.name).await;
    let sql = "SELECT id, total FROM orders WHERE customer_id = :c";
    save_tool(&app, &conn, "first_order", sql, "row").await;
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let carried = manifest_tool(&app, "first_order").await["output_schema"].clone();
    assert!(carried.is_object(), "{carried}");

    let preview = |return_type: &str, pageable: bool| {
        json!({"connection_id": conn, "sql_query": sql, "parameters": {"c": 1},
            "parameter_definitions": [{"name": "c", "type": "integer"}],
            "return_type": return_type, "pageable": pageable})
    };
    let (status, res) = app.post("/api/v1/preview/execute", &preview("row", false)).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    assert_eq!(res["output_schema"], carried, "the schema previewed is the one the release carries");
    // Paging adds the cursor to a `rows` schema; a row cannot page.
    let (_, rows) = app.post("/api/v1/preview/execute", &preview("rows", true)).await;
    assert_eq!(rows["output_schema"]["properties"]["next_cursor"]["type"], "string", "{rows}");
    assert_eq!(rows["output_schema"]["properties"]["columns"]["const"], json!(["id", "total"]));
    let (_, row) = app.post("/api/v1/preview/execute", &preview("row", true)).await;
    assert_eq!(row["output_schema"], carried);
    let (status, bad) = app.post("/api/v1/preview/execute", &preview("table", false)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["problems"][0]["path"], "return_type", "{bad}");
}

/// The redeploy check on SQLite, whose connections hold the schema they last
/// read: a column retyped by another process after the release is seen as it
/// is now, and the rollback is refused.
#[tokio::test]
async fn redeploying_a_sqlite_release_whose_table_another_process_retyped_is_a_422() {
    let (app, _) = spawn_pull_app().await;
    let (conn, file) = sqlite_connection(&app, "shop", "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL)").await;
    let body = json!({"connection_id": conn, "name": "list_items", "description": "Items",
        "sql_query": "SELECT id, price FROM items"});
    let (status, tool) = app.post("/api/v1/tools", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{tool}");
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let carried = manifest_tool(&app, "list_items").await["output_schema"].clone();
    assert_eq!(
        carried["properties"]["rows"]["items"]["properties"]["price"]["type"],
        json!(["number", "string", "null"])
    );

    let outside = Database::connect(format!("sqlite://{}", file.display())).await.unwrap();
    outside.execute_unprepared("ALTER TABLE items DROP COLUMN price").await.unwrap();
    outside.execute_unprepared("ALTER TABLE items ADD COLUMN price TEXT").await.unwrap();
    // The tool is deleted and the rest deployed: only release 1 still has it.
    let (status, body) = app.delete(&format!("/api/v1/tools/{}", tool["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.post("/api/v1/releases/1/redeploy", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["problems"][0]["path"], json!("tools.list_items.sql_query"), "{body}");
    assert!(body["problems"][0]["message"].as_str().unwrap().contains("`price` TEXT"), "{body}");
}
