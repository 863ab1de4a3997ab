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

/// The MCP handshake a client would make: `POST BASE/mcp` with `initialize`.
/// Healthy when the runtime answers it with a JSON-RPC result naming its
/// server, or refuses it with `401` and a `WWW-Authenticate` challenge (client
/// auth is on: the endpoint is up and protected, and the checker holds no
/// token). How a Helm test pod checks the runtimes through their Service.
pub fn check_mcp(base: &str) -> Result<(), String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/mcp", base.trim_end_matches('/'));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
        let initialize = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "quarry-healthcheck", "version": env!("CARGO_PKG_VERSION")}}
        });
        let res = client
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = res.status();
        if status == reqwest::StatusCode::UNAUTHORIZED && res.headers().contains_key("www-authenticate") {
            return Ok(());
        }
        let body = res.text().await.map_err(|e| format!("{url}: {e}"))?;
        if status.is_success() && body.contains("\"serverInfo\"") {
            Ok(())
        } else {
            Err(format!("{url} answered {status}: {}", body.chars().take(200).collect::<String>()))
        }
    })
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
