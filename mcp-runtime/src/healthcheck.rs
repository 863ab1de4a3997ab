//! `quarry-runtime healthcheck`: exits 0 when the local runtime answers
//! `GET /healthz` with 200 (over HTTPS when `QUARRY_RUNTIME_TLS_CERT` is set). Images have no shell or curl, so their
//! `HEALTHCHECK` runs the binary itself.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::config::EnvSource;

/// Checks the runtime at `QUARRY_RUNTIME_BIND` (loopback when it binds all
/// addresses); `Err` says what failed.
pub fn check(env: &dyn EnvSource) -> Result<(), String> {
    let bind: SocketAddr = env
        .get("QUARRY_RUNTIME_BIND")
        .unwrap_or_else(|| "127.0.0.1:8080".into())
        .parse()
        .map_err(|e| format!("QUARRY_RUNTIME_BIND: {e}"))?;
    let ip = match bind.ip() {
        IpAddr::V4(v) if v.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v) if v.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, bind.port());
    let timeout = Duration::from_secs(3);
    if env.get("QUARRY_RUNTIME_TLS_CERT").is_some() {
        return check_https(addr, timeout);
    }
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let request = format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..n]);
    if line.starts_with("HTTP/1.0 200") || line.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("{addr} answered {:?}", line.lines().next().unwrap_or("")))
    }
}

/// Over HTTPS: liveness on loopback, so the certificate (issued for the public
/// name) is not verified here.
fn check_https(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        let res = client.get(format!("https://{addr}/healthz")).send().await.map_err(|e| format!("{addr}: {e}"))?;
        if res.status().is_success() { Ok(()) } else { Err(format!("{addr} answered {}", res.status())) }
    })
}
