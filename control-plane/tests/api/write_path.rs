//! The one write path: every change runs in one transaction that names its
//! actor; a write that fails part way leaves the store as it was.

use control_plane::auth::ADMIN_ID;
use control_plane::model::Actor;
use control_plane::model::connection::ConnectionInput;
use control_plane::model::tool::ToolFields;
use control_plane::storage::write::{Action, Kind};
use control_plane::storage::{StoreError, Write, connections, published, settings, write};
use serde_json::json;

use crate::harness::TestApp;

fn connection(name: &str) -> ConnectionInput {
    serde_json::from_value(json!({"name": name, "db_type": "sqlite", "database": "/tmp/quarry-write-path.db",
        "password": "s3cret"}))
    .unwrap()
}

fn tool(connection_id: uuid::Uuid, name: &str) -> ToolFields {
    serde_json::from_value(json!({"connection_id": connection_id, "name": name, "description": "Counts.",
        "sql_query": "SELECT 1"}))
    .unwrap()
}

async fn totals(app: &TestApp) -> [u64; 3] {
    let mut out = [0; 3];
    for (i, kind) in ["connections", "tools", "server/config"].iter().enumerate() {
        let (_, body) = app.get(&format!("/api/v1/{kind}")).await;
        out[i] = body["total"].as_u64().unwrap_or_else(|| body["tokens"].as_array().map_or(0, |t| t.len() as u64));
    }
    out
}

#[tokio::test]
async fn a_write_that_fails_part_way_leaves_no_trace() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let actor = Actor::admin(ADMIN_ID);
    let before = totals(&app).await;

    // A connection and a tool are written, then a third step is refused: none of it stays.
    let mut w = Write::begin(&app.state.db, &actor).await.unwrap();
    let conn = connections::create(&mut w, &app.state.keyring, connection("main")).await.unwrap();
    published::create(&mut w, tool(conn.id, "count_rows")).await.unwrap();
    let refused = published::create(&mut w, tool(conn.id, "Count-Rows")).await.unwrap_err();
    assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
    drop(w);
    assert_eq!(totals(&app).await, before);

    // The same through `write`: the closure's error rolls back what it did first.
    let keyring = app.state.keyring.clone();
    let failed = write(&app.state.db, &actor, |w| {
        Box::pin(async move {
            connections::create(w, &keyring, connection("other")).await?;
            let patch = json!({"server_name": ""}).as_object().cloned().unwrap();
            settings::update(w, &keyring, patch).await
        })
    })
    .await
    .unwrap_err();
    let StoreError::Invalid(problems) = failed else { panic!("expected problems, got {failed:?}") };
    assert_eq!(problems.0[0].path, "server_name");
    assert_eq!(totals(&app).await, before);
    let (_, listed) = app.get("/api/v1/connections").await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn every_edit_is_recorded_with_its_actor_including_cascades() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let actor = Actor::admin(ADMIN_ID);
    let mut w = Write::begin(&app.state.db, &actor).await.unwrap();
    assert_eq!(w.actor(), &actor);
    let conn = connections::create(&mut w, &app.state.keyring, connection("main")).await.unwrap();
    published::create(&mut w, tool(conn.id, "a")).await.unwrap();
    published::create(&mut w, tool(conn.id, "b")).await.unwrap();
    let edits = w.commit().await.unwrap();
    let seen: Vec<_> = edits.iter().map(|e| (e.kind, e.name.as_str(), e.action)).collect();
    assert_eq!(
        seen,
        [
            (Kind::Connection, "main", Action::Created),
            (Kind::Tool, "a", Action::Created),
            (Kind::Tool, "b", Action::Created)
        ]
    );

    let mut w = Write::begin(&app.state.db, &Actor::System).await.unwrap();
    connections::delete(&mut w, conn.id).await.unwrap();
    let edits = w.commit().await.unwrap();
    let mut seen: Vec<_> = edits.iter().map(|e| (e.kind, e.name.clone(), e.action)).collect();
    seen.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        seen,
        [
            (Kind::Tool, "a".into(), Action::Deleted),
            (Kind::Tool, "b".into(), Action::Deleted),
            (Kind::Connection, "main".into(), Action::Deleted)
        ]
    );
    let (_, tools) = app.get("/api/v1/tools").await;
    assert_eq!(tools["total"], 0);
}

#[tokio::test]
async fn a_refused_update_changes_neither_the_fields_nor_the_version() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("main").await;
    let created = app.create_tool(conn["id"].as_str().unwrap(), "count_rows").await;
    let path = format!("/api/v1/tools/{}", created["id"].as_str().unwrap());
    let (status, _) = app.patch(&path, &json!({"description": "", "sql_query": "SELECT :nope"})).await;
    assert_eq!(status, 422);
    let (status, _) = app.patch(&path, &json!({"description": "stale", "version": 7})).await;
    assert_eq!(status, 409);
    let (_, now) = app.get(&path).await;
    assert_eq!(now, created);
}

#[tokio::test]
async fn concurrent_writes_queue_instead_of_failing() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    app.login_admin().await;
    let conn = app.create_connection("main").await;
    let conn_id = conn["id"].as_str().unwrap().to_string();
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (app, conn_id) = (app.clone(), conn_id.clone());
            tokio::spawn(async move {
                let (status, body) =
                    app.post("/api/v1/tools", &crate::harness::tool_body(&conn_id, &format!("t{i}"))).await;
                let path = format!("/api/v1/tools/{}", body["id"].as_str().unwrap_or_default());
                let (patched, _) = app.patch(&path, &json!({"description": format!("edited {i}")})).await;
                (status.as_u16(), patched.as_u16())
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), (201, 200));
    }
    let (_, tools) = app.get("/api/v1/tools").await;
    assert_eq!(tools["total"], 24);
}
