//! Least privilege on PostgreSQL: the connection test warns about a login
//! that can do more than read, and a `read_only_role` makes read-only calls
//! run with that role's privileges (`SET LOCAL ROLE` inside the transaction).

use mcp_runtime::db::{Engine, EngineError};
use serde_json::Map;

use crate::support::{TestDb, first_row, pg, run};

/// A cluster-wide role for one test, dropped afterwards.
struct Role {
    db: TestDb,
    name: String,
}

impl Role {
    async fn create(db: &TestDb, suffix: &str, attributes: &str, grants: &str) -> Role {
        let name = format!("quarry_ro_{suffix}_{}", std::process::id());
        db.setup(&format!(
            "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} {attributes}; {}",
            grants.replace("{role}", &name)
        ))
        .await;
        Role { db: TestDb::borrowed(&db.id, db.spec.clone()), name }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        let (db, sql) =
            (TestDb::borrowed(&self.db.id, self.db.spec.clone()), format!("DROP ROLE IF EXISTS {}", self.name));
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(db.setup(&sql));
        })
        .join();
    }
}

#[tokio::test]
async fn the_connection_test_warns_about_a_superuser_login_and_not_about_a_plain_one() {
    let Some(db) = pg().await else { return };
    let engine = Engine::new();
    let outcome = engine.test_connection(&db.spec).await;
    assert!(outcome.success, "{}", outcome.message);
    let all = outcome.warnings.join(" | ");
    assert!(all.contains("SUPERUSER") && all.contains("REPLICATION"), "{all}");
    assert!(all.contains("CREATE ROLE quarry_reader NOLOGIN; GRANT pg_read_all_data"), "{all}");

    let plain = Role::create(&db, "plain", "LOGIN", "").await;
    let mut spec = db.spec.clone();
    spec.username = plain.name.clone();
    let outcome = engine.test_connection(&spec).await;
    assert!(outcome.success, "{}", outcome.message);
    assert_eq!(outcome.warnings, Vec::<String>::new());

    let signaller = Role::create(&db, "signal", "LOGIN", "GRANT pg_signal_backend TO {role};").await;
    spec.username = signaller.name.clone();
    let outcome = engine.test_connection(&spec).await;
    assert!(outcome.warnings.iter().any(|w| w.contains("pg_signal_backend")), "{:?}", outcome.warnings);

    let mut missing = db.spec.clone();
    missing.read_only_role = Some("quarry_ro_no_such_role".into());
    let outcome = engine.test_connection(&missing).await;
    assert!(
        outcome.warnings.iter().any(|w| w.contains("quarry_ro_no_such_role does not exist")),
        "{:?}",
        outcome.warnings
    );
}

#[tokio::test]
async fn read_only_calls_run_as_the_read_only_role_and_lose_the_superusers_reach() {
    let Some(mut db) = pg().await else { return };
    db.setup("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a');").await;
    let reader = Role::create(&db, "reader", "NOLOGIN", "GRANT pg_read_all_data TO {role};").await;
    db.spec.pool_max = 1;
    // Let the policy pass pg_read_file, so that only the role stands in the way.
    db.spec.allowed_functions = vec!["pg_read_file".into()];
    let engine = Engine::new();
    let as_login = first_row(&engine, &db, "SELECT length(pg_read_file('/etc/hostname')) > 0 AS read").await;
    assert_eq!(as_login["read"], true, "the superuser login can read server files");

    db.spec.read_only_role = Some(reader.name.clone());
    let who = first_row(&engine, &db, "SELECT current_user::text AS u, count(*) AS n FROM items").await;
    assert_eq!((who["u"].as_str(), who["n"].clone()), (Some(reader.name.as_str()), 1.into()));
    let err = run(&engine, &db, "SELECT pg_read_file('/etc/hostname') AS f", &[], &Map::new(), true).await.err();
    assert!(matches!(&err, Some(EngineError::Database(m)) if m.contains("permission denied")), "{err:?}");
    let sql = "SELECT setting FROM pg_settings WHERE name = 'data_directory'";
    let hidden = run(&engine, &db, sql, &[], &Map::new(), true).await.expect("pg_settings is readable");
    assert!(hidden.rows.is_empty() || hidden.rows[0]["setting"].is_null(), "{:?}", hidden.rows);

    // Read-write tools keep the login's identity; ROLLBACK ended the SET LOCAL ROLE.
    let rw = run(&engine, &db, "SELECT current_user::text AS u", &[], &Map::new(), false).await.unwrap();
    assert_eq!(rw.rows[0]["u"], "postgres");
}
