//! The one HTTP serving loop of both binaries (`quarry` and `quarry-runtime`),
//! plain or TLS, and the request hygiene both apply before routing.
//!
//! On the wire, per listener:
//! - a connection is accepted only while a permit of [`Limits::max_connections`]
//!   is free; beyond the cap new connections wait in the kernel's accept
//!   backlog (nothing is read from them, nothing is refused) until one closes;
//! - a TLS handshake, a new connection's first request and every request head
//!   (from its first byte until it reaches the router) must complete within
//!   [`Limits::header_read_timeout`], else the connection is closed (slowloris);
//! - a connection with no request in flight and no byte moved for
//!   [`Limits::idle_timeout`] is closed gracefully (idle keep-alive);
//! - at shutdown the listener closes at once, every connection is asked to
//!   finish its current exchange, and whatever is still open after
//!   [`Limits::shutdown_grace`] is dropped.
//!
//! Handlers can extract `ConnectInfo<SocketAddr>` (the TCP peer).

mod conn;
pub mod headers;
pub mod hosts;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::tls_rustls::RustlsConfig;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use headers::security_headers;
pub use hosts::AllowedHosts;

/// Bounds on connections; see the module doc for what each does on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Longest time for a TLS handshake, a first request or a complete request head (default 10 s).
    pub header_read_timeout: Duration,
    /// A connection with nothing in flight and no traffic for this long is closed (default 60 s).
    pub idle_timeout: Duration,
    /// Open connections at most; further ones wait in the accept backlog (default 4096).
    pub max_connections: usize,
    /// Longest wait for open connections at shutdown (default 10 s).
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// Reads `{prefix}HEADER_READ_TIMEOUT_SECONDS` (1–300), `{prefix}IDLE_TIMEOUT_SECONDS`
    /// (1–86400) and `{prefix}MAX_CONNECTIONS` (1–1000000) through `get`; unset
    /// values keep their default. The error names the variable and its range.
    pub fn from_source(prefix: &str, get: impl Fn(&str) -> Option<String>) -> Result<Limits, String> {
        let mut limits = Limits::default();
        let number = |name: &str, max: u64| -> Result<Option<u64>, String> {
            let key = format!("{prefix}{name}");
            match get(&key).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .map(Some)
                    .ok_or_else(|| format!("{key} must be a whole number from 1 to {max}")),
            }
        };
        if let Some(s) = number("HEADER_READ_TIMEOUT_SECONDS", 300)? {
            limits.header_read_timeout = Duration::from_secs(s);
        }
        if let Some(s) = number("IDLE_TIMEOUT_SECONDS", 86_400)? {
            limits.idle_timeout = Duration::from_secs(s);
        }
        if let Some(n) = number("MAX_CONNECTIONS", 1_000_000)? {
            limits.max_connections = n as usize;
        }
        Ok(limits)
    }
}

/// Serves `router` on `listener` (over TLS when `tls` is given; the config may
/// be reloaded behind it) until `shutdown` completes, then drains as the
/// module doc says.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<RustlsConfig>,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        // Take the permit first: at the cap, connections stay in the backlog.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Without TCP_NODELAY, a response written in two segments waits for the
        // client's delayed ACK (~40 ms per call).
        let _ = tcp.set_nodelay(true);
        let cx = conn::Context { router: router.clone(), peer, limits: limits.clone(), stop: stop_rx.clone() };
        let tls = tls.as_ref().map(RustlsConfig::get_inner);
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => conn::serve(tcp, cx).await,
                Some(config) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(config);
                    match tokio::time::timeout(cx.limits.header_read_timeout, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => conn::serve(stream, cx).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "A TLS handshake failed."),
                        Err(_) => tracing::debug!(%peer, "A TLS handshake timed out."),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit: when all are back, all are closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.shutdown_grace, permits.acquire_many(all)).await.is_err() {
        tracing::warn!(grace = ?limits.shutdown_grace, "Connections still open at the end of the shutdown grace; dropping them.");
    }
    Ok(())
}

/// Accept errors are per connection (`ECONNABORTED`) or resource exhaustion
/// (`EMFILE`): either way the listener lives on, after a pause for the latter.
async fn accept_error(e: io::Error) {
    let per_connection = matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset
    );
    if !per_connection {
        tracing::error!(error = %e, "Accepting a connection failed; retrying in 1 s.");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The TCP peer of a request, as handlers see it.
pub type Peer = axum::extract::ConnectInfo<SocketAddr>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn limits_come_from_prefixed_variables_and_bad_values_name_the_variable() {
        let env: HashMap<&str, &str> =
            [("QUARRY_RUNTIME_IDLE_TIMEOUT_SECONDS", "5"), ("QUARRY_RUNTIME_MAX_CONNECTIONS", "10")].into();
        let l = Limits::from_source("QUARRY_RUNTIME_", |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(l.idle_timeout, Duration::from_secs(5));
        assert_eq!(l.max_connections, 10);
        assert_eq!(l.header_read_timeout, Limits::default().header_read_timeout);
        let e = Limits::from_source("QUARRY_", |k| (k == "QUARRY_MAX_CONNECTIONS").then(|| "0".into())).unwrap_err();
        assert!(e.contains("QUARRY_MAX_CONNECTIONS"), "{e}");
    }
}
