//! Password logins on PostgreSQL. The machine's server trusts local TCP, so it
//! never asks for a password; these tests start a scratch cluster of their own
//! (`initdb` + `pg_ctl`, as the `postgres` user when run as root) whose
//! `pg_hba.conf` asks for SCRAM-SHA-256, MD5 and a cleartext password, with
//! TLS on from the machine's snakeoil certificate.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use mcp_runtime::db::{ConnectionSpec, DbType, Engine, Limits, Query, SslMode};
use serde_json::{Map, json};

/// A throwaway cluster, stopped and removed on drop.
struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn command(&self, tool: &str) -> Command {
        command(&self.bin, tool, self.as_postgres)
    }

    fn spec(&self, user: &str, password: Option<&str>, ssl_mode: SslMode) -> ConnectionSpec {
        let mut spec = ConnectionSpec::new(DbType::Postgresql, "127.0.0.1", self.port, "postgres", user);
        spec.password = password.map(str::to_string);
        spec.ssl_mode = ssl_mode;
        spec
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.dir.join("data")).args(["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn command(bin: &std::path::Path, tool: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        Command::new(bin.join(tool))
    }
}

fn run(c: &mut Command, what: &str) {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the cluster, or `None` (skip) where PostgreSQL's server binaries are
/// not installed and `REQUIRE_DB_TESTS` is not set.
fn start() -> Option<Cluster> {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|versions| versions.flatten().map(|v| v.path().join("bin")).find(|b| b.join("initdb").exists()));
    let Some(bin) = bin else {
        assert!(std::env::var("REQUIRE_DB_TESTS").as_deref() != Ok("1"), "initdb is required (REQUIRE_DB_TESTS=1)");
        eprintln!("skipping: no PostgreSQL server binaries");
        return None;
    };
    let as_postgres = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let dir = std::env::temp_dir().join(format!("quarry-pg-logins-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    if as_postgres {
        run(Command::new("chown").arg("postgres:postgres").arg(&dir), "chown");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let cluster = Cluster { dir: dir.clone(), bin, port, as_postgres };
    let data = dir.join("data");
    let mut init = cluster.command("initdb");
    init.arg("-D").arg(&data).args(["-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-N"]);
    run(&mut init, "initdb");
    let hba = "local all all trust\n\
               host all md5_user 127.0.0.1/32 md5\n\
               host all clear_user 127.0.0.1/32 password\n\
               host all all 127.0.0.1/32 scram-sha-256\n";
    let hba_file = dir.join("pg_hba.conf");
    std::fs::write(&hba_file, hba).expect("pg_hba.conf");
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={d} -c hba_file={h} -c ssl=on \
         -c ssl_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem -c ssl_key_file=/etc/ssl/private/ssl-cert-snakeoil.key \
         -c fsync=off",
        d = dir.display(),
        h = hba_file.display()
    );
    let mut ctl = cluster.command("pg_ctl");
    ctl.arg("-D").arg(&data).arg("-l").arg(dir.join("log")).args(["-w", "-o", &options, "start"]);
    run(&mut ctl, "pg_ctl start");
    let roles = "CREATE ROLE scram_user LOGIN PASSWORD 'scram-pw'; SET password_encryption = 'md5'; \
                 CREATE ROLE md5_user LOGIN PASSWORD 'md5-pw'; CREATE ROLE clear_user LOGIN PASSWORD 'clear-pw';";
    let mut psql = cluster.command("psql");
    psql.arg("-h").arg(&dir).args(["-p", &port.to_string(), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c", roles]);
    run(&mut psql, "create the roles");
    Some(cluster)
}

#[tokio::test]
async fn scram_md5_and_cleartext_logins_work_and_a_wrong_or_missing_password_is_refused() {
    let Some(cluster) = start() else { return };
    let engine = Engine::new();
    for (user, password, mode) in [
        ("scram_user", "scram-pw", SslMode::Disable),
        ("scram_user", "scram-pw", SslMode::Require),
        ("md5_user", "md5-pw", SslMode::Require),
        ("clear_user", "clear-pw", SslMode::Require),
    ] {
        let outcome = engine.test_connection(&cluster.spec(user, Some(password), mode)).await;
        assert!(outcome.success, "{user} with {mode:?}: {}", outcome.message);
    }
    // MD5 without TLS only when the connection opts in.
    let mut opted_in = cluster.spec("md5_user", Some("md5-pw"), SslMode::Disable);
    opted_in.allow_cleartext_password = true;
    let outcome = engine.test_connection(&opted_in).await;
    assert!(outcome.success, "md5 opted in: {}", outcome.message);
    let outcome = engine.test_connection(&cluster.spec("md5_user", Some("md5-pw"), SslMode::Disable)).await;
    assert!(!outcome.success && outcome.message.contains("allow_cleartext_password"), "{}", outcome.message);
    let mut wrong = cluster.spec("md5_user", Some("wrong"), SslMode::Disable);
    wrong.allow_cleartext_password = true;
    let outcome = engine.test_connection(&wrong).await;
    assert_eq!(outcome.message, "authentication failed: check the username and password");
    for (user, password) in [("scram_user", Some("wrong")), ("scram_user", None)] {
        let outcome = engine.test_connection(&cluster.spec(user, password, SslMode::Disable)).await;
        assert_eq!(outcome.message, "authentication failed: check the username and password", "{user} {password:?}");
    }
    // A pooled query after a SCRAM login over TLS: prepare, bind and the pipelined call.
    let spec = cluster.spec("scram_user", Some("scram-pw"), SslMode::Require);
    let limits = Limits { max_rows: 10, max_bytes: 1 << 20, timeout: Duration::from_secs(5) };
    let sql = "SELECT current_user AS who, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let args = Map::new();
    let q = Query::new(sql, &[], &args, true, limits);
    let result = engine.execute("scram", &spec, &q).await.expect("a query after a SCRAM login");
    assert_eq!(result.rows[0]["who"], json!("scram_user"));
    assert_eq!(result.rows[0]["ssl"], json!(true));
}

/// A server that speaks just enough of the PostgreSQL protocol to ask for the
/// password (`3`: cleartext, `5`: MD5) and then records every byte the client sends.
async fn fake_server_asking(method: u32) -> (u16, tokio::task::JoinHandle<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        loop {
            let len = sock.read_u32().await.unwrap() as usize;
            let mut rest = vec![0u8; len - 4];
            sock.read_exact(&mut rest).await.unwrap();
            if rest[..4] == 80_877_103u32.to_be_bytes() {
                sock.write_all(b"N").await.unwrap(); // no TLS here
                continue;
            }
            break; // the startup message
        }
        let mut request = vec![b'R'];
        let body: Vec<u8> =
            if method == 5 { [5u32.to_be_bytes(), *b"salt"].concat() } else { 3u32.to_be_bytes().to_vec() };
        request.extend(((body.len() + 4) as u32).to_be_bytes());
        request.extend(body);
        sock.write_all(&request).await.unwrap();
        let mut seen = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), sock.read_to_end(&mut seen)).await;
        seen
    });
    (port, task)
}

#[tokio::test]
async fn a_server_asking_for_a_cleartext_or_md5_password_without_tls_gets_no_password() {
    let engine = Engine::new();
    for (method, mode) in [(3, SslMode::Disable), (3, SslMode::Prefer), (5, SslMode::Disable), (5, SslMode::Prefer)] {
        let (port, seen) = fake_server_asking(method).await;
        let mut spec = ConnectionSpec::new(DbType::Postgresql, "127.0.0.1", port, "app", "reader");
        spec.password = Some("stored-secret-pw".into());
        spec.ssl_mode = mode;
        let outcome = engine.test_connection(&spec).await;
        assert!(!outcome.success, "method {method} {mode:?}");
        assert!(outcome.message.contains("allow_cleartext_password"), "{}", outcome.message);
        let seen = seen.await.unwrap();
        assert!(!seen.contains(&b'p'), "method {method} {mode:?}: the client sent a password message: {seen:?}");
        assert!(!String::from_utf8_lossy(&seen).contains("stored-secret-pw"));
    }
    // Opted in, the password is sent (so the check above can fail).
    let (port, seen) = fake_server_asking(3).await;
    let mut spec = ConnectionSpec::new(DbType::Postgresql, "127.0.0.1", port, "app", "reader");
    spec.password = Some("stored-secret-pw".into());
    spec.ssl_mode = SslMode::Disable;
    spec.allow_cleartext_password = true;
    let _ = engine.test_connection(&spec).await;
    assert!(String::from_utf8_lossy(&seen.await.unwrap()).contains("stored-secret-pw"));
}
