use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::harness::TestApp;

#[tokio::test]
async fn the_raw_store_holds_no_plaintext_secret_and_responses_mask_them() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let body = json!({"name": "secretive", "db_type": "postgresql", "host": "db", "port": 5432, "database": "d",
        "username": "u", "password": "hunter2-plaintext", "extra_params": {"ssl_key_password": "key-plaintext", "application_name": "quarry"}});
    let (status, created) = app.post("/api/v1/connections", &body).await;
    assert_eq!(status.as_u16(), 201, "{created}");
    assert_eq!(created["extra_params"]["ssl_key_password"], "••••••");
    assert_eq!(created["extra_params"]["application_name"], "quarry");

    let dump = raw_store_dump(&app).await;
    assert!(dump.contains("v1:"), "the password is stored encrypted");
    assert!(!dump.contains("hunter2-plaintext") && !dump.contains("key-plaintext"), "plaintext secret in the store");

    // Sending the mask back keeps the stored secret instead of overwriting it.
    let id = created["id"].as_str().unwrap();
    let (status, _) =
        app.patch(&format!("/api/v1/connections/{id}"), &json!({"extra_params": created["extra_params"]})).await;
    assert_eq!(status.as_u16(), 200);
    let backend = app.state.db.get_database_backend();
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(backend, "SELECT extra_params FROM connections"))
        .await
        .unwrap();
    let stored: serde_json::Value = rows[0].try_get("", "extra_params").unwrap();
    let sealed = stored["ssl_key_password"].as_str().unwrap();
    assert_eq!(app.state.keyring.decrypt(sealed).unwrap(), "key-plaintext");
}

/// Everything the store holds for connections, read below the ORM: the SQLite
/// files byte for byte, or each PostgreSQL row as text.
async fn raw_store_dump(app: &TestApp) -> String {
    let backend = app.state.db.get_database_backend();
    if backend == DbBackend::Sqlite {
        let mut bytes = Vec::new();
        for file in ["quarry.db", "quarry.db-wal"] {
            bytes.extend(std::fs::read(app.data_dir.join(file)).unwrap_or_default());
        }
        assert!(bytes.len() > 4096, "the store files were found");
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(backend, "SELECT c::text AS t FROM connections c"))
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "t").unwrap()).collect::<Vec<_>>().join("\n")
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_private_and_the_sqlite_store_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&app.data_dir), 0o700);
    let store = app.data_dir.join("quarry.db");
    if store.exists() {
        assert_eq!(mode(&store), 0o600);
    } else {
        assert_eq!(std::env::var("QUARRY_TEST_STORE").as_deref(), Ok("postgres"), "the SQLite store is missing");
    }
}

#[tokio::test]
async fn moving_a_connection_with_a_stored_password_needs_the_password_again_or_an_explicit_keep() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let body = json!({"name": "moved", "db_type": "postgresql", "host": "db.internal", "port": 5432, "database": "d",
        "username": "u", "password": "stored-pw"});
    let (status, created) = app.post("/api/v1/connections", &body).await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/connections/{id}");

    for repoint in [json!({"host": "attacker.example"}), json!({"port": 5433})] {
        let (status, refused) = app.patch(&path, &repoint).await;
        assert_eq!(status.as_u16(), 422, "{refused}");
        assert!(refused["detail"].as_str().unwrap().contains("keep_password"), "{refused}");
        assert_eq!(refused["problems"][0]["path"], "password", "{refused}");
    }
    // The refused edits changed nothing.
    let (_, now) = app.get(&path).await;
    assert_eq!(
        (now["host"].as_str(), now["port"].as_i64(), now["version"].as_i64()),
        (Some("db.internal"), Some(5432), Some(1))
    );

    // Other fields move freely; a new password or the explicit flag allows the move.
    assert_eq!(app.patch(&path, &json!({"database": "d2"})).await.0.as_u16(), 200);
    let (status, b) = app.patch(&path, &json!({"host": "db2.internal", "keep_password": true})).await;
    assert_eq!(status.as_u16(), 200, "{b}");
    assert_eq!(b["has_password"], true);
    let (status, b) = app.patch(&path, &json!({"port": 6432, "password": "new-pw"})).await;
    assert_eq!(status.as_u16(), 200, "{b}");
}
