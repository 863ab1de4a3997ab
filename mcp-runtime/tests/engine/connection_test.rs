//! Connection tests give messages a user can act on, and never hang.

use std::time::Duration;

use mcp_runtime::db::{ConnectionSpec, DbType, Engine, SslMode};
use mysql_async::prelude::Queryable;

use crate::support::{mysql, pg, sqlite};

#[tokio::test]
async fn a_reachable_database_reports_success_with_its_latency() {
    let engine = Engine::new();
    let lite = sqlite().await;
    lite.setup("CREATE TABLE t (a INT);").await;
    let mut dbs = vec![lite];
    dbs.extend(pg().await);
    dbs.extend(mysql().await);
    for db in dbs {
        let outcome = engine.test_connection(&db.spec).await;
        assert!(outcome.success, "{:?}: {}", db.spec.db_type, outcome.message);
        assert!(outcome.latency_ms < 10_000);
    }
}

#[tokio::test]
async fn an_unknown_database_is_reported_as_missing() {
    let engine = Engine::new();
    for db in [pg().await, mysql().await].into_iter().flatten() {
        let mut spec = db.spec.clone();
        spec.database = "quarry_no_such_database".into();
        let outcome = engine.test_connection(&spec).await;
        assert!(!outcome.success);
        assert!(outcome.message.contains("database does not exist"), "{:?}: {}", spec.db_type, outcome.message);
    }
    let missing = ConnectionSpec::sqlite("/nonexistent/dir/quarry.db");
    let outcome = engine.test_connection(&missing).await;
    assert!(!outcome.success && outcome.message.contains("does not exist"), "{}", outcome.message);
}

#[tokio::test]
async fn a_wrong_password_is_reported_as_an_authentication_failure() {
    let Some(db) = mysql().await else { return };
    let user = format!("q{}", db.id.len() + std::process::id() as usize);
    let admin = mysql_async::Opts::from_url(
        &std::env::var("TEST_MYSQL_URL").unwrap_or("mysql://root@127.0.0.1:3306/mysql".into()),
    )
    .unwrap();
    let mut conn = mysql_async::Conn::new(admin).await.unwrap();
    conn.query_drop(format!("CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY 'right'; CREATE USER IF NOT EXISTS '{user}'@'localhost' IDENTIFIED BY 'right'")).await.unwrap();
    let mut spec = db.spec.clone();
    spec.username = user.clone();
    spec.password = Some("wrong".into());
    let outcome = Engine::new().test_connection(&spec).await;
    conn.query_drop(format!("DROP USER IF EXISTS '{user}'@'%'; DROP USER IF EXISTS '{user}'@'localhost'"))
        .await
        .unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.message, "authentication failed: check the username and password");
}

#[tokio::test]
async fn a_closed_port_is_reported_as_unreachable() {
    let engine = Engine::new();
    for ty in [DbType::Postgresql, DbType::Mysql] {
        let spec = ConnectionSpec::new(ty, "127.0.0.1", 1, "x", "u");
        let outcome = engine.test_connection(&spec).await;
        assert!(!outcome.success);
        assert!(outcome.message.starts_with("host unreachable"), "{ty:?}: {}", outcome.message);
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let engine = Engine::new();
    for ty in [DbType::Postgresql, DbType::Mysql] {
        let spec = ConnectionSpec::new(ty, "127.0.0.1", port, "x", "u");
        let outcome = engine.test_connection_within(&spec, Duration::from_secs(1)).await;
        assert!(!outcome.success);
        assert!(outcome.message.starts_with("timed out after 1 s"), "{ty:?}: {}", outcome.message);
        assert!(outcome.latency_ms < 3000);
    }
    hold.abort();
}

#[tokio::test]
async fn tls_modes_encrypt_verify_or_fail_with_a_tls_message() {
    let engine = Engine::new();
    let Some(db) = pg().await else { return };
    let with = |mode: SslMode, host: &str, ca: Option<&str>| {
        let mut spec = db.spec.clone();
        spec.ssl_mode = mode;
        spec.host = host.into();
        if let Some(ca) = ca {
            spec.extra_params.insert("ssl_ca".into(), ca.into());
        }
        spec
    };
    // The local server presents a self-signed "localhost" certificate.
    let ssl_on = db.scalar("SHOW ssl").await.as_deref() == Some("on");
    if ssl_on {
        for mode in [SslMode::Prefer, SslMode::Require] {
            let outcome = engine.test_connection(&with(mode, "127.0.0.1", None)).await;
            assert!(outcome.success, "{mode:?}: {}", outcome.message);
        }
        let outcome = engine.test_connection(&with(SslMode::VerifyFull, "localhost", None)).await;
        assert!(!outcome.success && outcome.message.starts_with("TLS failure"), "{}", outcome.message);
        if let Ok(pem) = std::fs::read_to_string("/etc/ssl/certs/ssl-cert-snakeoil.pem") {
            let outcome = engine.test_connection(&with(SslMode::VerifyCa, "127.0.0.1", Some(&pem))).await;
            assert!(outcome.success, "verify-ca with the server's certificate as CA: {}", outcome.message);
            let outcome = engine.test_connection(&with(SslMode::VerifyFull, "localhost", Some(&pem))).await;
            assert!(outcome.success, "verify-full with the right name: {}", outcome.message);
            let outcome = engine.test_connection(&with(SslMode::VerifyFull, "127.0.0.1", Some(&pem))).await;
            assert!(!outcome.success && outcome.message.starts_with("TLS failure"), "wrong name: {}", outcome.message);
        }
    }
    let bad_ca = engine.test_connection(&with(SslMode::VerifyCa, "127.0.0.1", Some("not a pem"))).await;
    assert!(!bad_ca.success && bad_ca.message.contains("ssl_ca"), "{}", bad_ca.message);
    // MariaDB here has TLS disabled: requiring it must fail clearly.
    if let Some(my) = mysql().await {
        let mut spec = my.spec.clone();
        spec.ssl_mode = SslMode::Require;
        let outcome = engine.test_connection(&spec).await;
        assert!(!outcome.success && outcome.message.starts_with("TLS failure"), "{}", outcome.message);
    }
}

#[tokio::test]
async fn a_mariadb_root_login_is_warned_about_privileges_beyond_select() {
    let Some(db) = mysql().await else { return };
    let outcome = Engine::new().test_connection(&db.spec).await;
    assert!(outcome.success, "{}", outcome.message);
    let all = outcome.warnings.join(" | ");
    assert!(all.contains("ALL PRIVILEGES on *.*") && all.contains("GRANT OPTION"), "{all}");
    let lite = sqlite().await;
    assert_eq!(Engine::new().test_connection(&lite.spec).await.warnings, Vec::<String>::new());
}
