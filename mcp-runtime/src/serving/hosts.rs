//! The `Host` check (DNS-rebinding guard) in front of every route of a
//! listener: a request whose `Host` (or HTTP/2 `:authority`) names a host that
//! is not ours gets `403 {"detail"}` before any routing.
//!
//! IP literals always pass: a rebinding attack needs a DNS name the attacker
//! controls, so a browser that sends an IP literal is talking to the address it
//! navigated to. Names must be listed; a name without a port matches any port.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The host names a listener answers to.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedHosts {
    any: bool,
    names: Vec<(String, Option<u16>)>,
    /// The setting that lists them, named in the refusal.
    setting: &'static str,
}

impl AllowedHosts {
    /// From a configured list (`*` allows any host), reported as `setting`.
    pub fn parse(list: &[String], setting: &'static str) -> AllowedHosts {
        let mut hosts = AllowedHosts { any: false, names: Vec::new(), setting };
        for item in list {
            if item.trim() == "*" {
                hosts.any = true;
            } else if let Some(entry) = split(item) {
                hosts.names.push(entry);
            }
        }
        hosts
    }

    /// The default when nothing is configured: the host of each URL in `urls`,
    /// and `localhost` when `bind` is a loopback or wildcard address (the
    /// machine's own browser reaches it that way).
    pub fn defaults(bind: SocketAddr, urls: &[&str], setting: &'static str) -> AllowedHosts {
        let mut hosts = AllowedHosts { any: false, names: Vec::new(), setting };
        if bind.ip().is_loopback() || bind.ip().is_unspecified() {
            hosts.names.push(("localhost".into(), None));
        }
        hosts.add_url_hosts(urls);
        hosts
    }

    /// Also allows the host (any port) of each URL in `urls`.
    pub fn add_url_hosts(&mut self, urls: &[&str]) {
        for url in urls {
            let authority = url.split_once("://").map_or(*url, |(_, rest)| rest).split(['/', '?', '#']).next();
            if let Some((name, _)) = authority.and_then(split) {
                self.names.push((name, None));
            }
        }
    }

    /// Whether a `Host` value is ours.
    pub fn allows(&self, host: &str) -> bool {
        if self.any {
            return true;
        }
        let Some((name, port)) = split(host) else { return false };
        if name.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
            return true;
        }
        self.names.iter().any(|(n, p)| *n == name && (p.is_none() || *p == port))
    }
}

/// `name[:port]` lowercased, without a trailing dot; `None` when malformed.
fn split(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let port = host[end + 1..].strip_prefix(':');
        (host[..=end].to_string(), port)
    } else if host.matches(':').count() > 1 {
        (format!("[{host}]"), None)
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n.to_string(), Some(p)),
            None => (host.clone(), None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    let name = name.trim_end_matches('.').to_string();
    (!name.is_empty()).then_some((name, port))
}

impl AllowedHosts {
    /// The answer to a request for a host that is not ours (403), or without
    /// a host at all (400); `None` when it may go on.
    pub fn refusal(&self, req: &Request) -> Option<Response> {
        let claimed = match req.uri().authority() {
            Some(a) => Some(a.as_str()),
            None => req.headers().get(header::HOST).and_then(|v| v.to_str().ok()),
        };
        match claimed {
            Some(host) if self.allows(host) => None,
            Some(host) => {
                let clipped: String = host.chars().take(100).collect();
                let detail = format!("host {clipped:?} is not served here; list it in {} to allow it", self.setting);
                Some((StatusCode::FORBIDDEN, axum::Json(serde_json::json!({ "detail": detail }))).into_response())
            }
            None => {
                let detail = "the request has no Host header";
                Some((StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "detail": detail }))).into_response())
            }
        }
    }
}

/// Middleware: refuses requests for a host that is not ours ([`AllowedHosts::refusal`]).
pub async fn check_host(State(hosts): State<Arc<AllowedHosts>>, req: Request, next: Next) -> Response {
    match hosts.refusal(&req) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_names_and_ip_literals_pass_other_names_do_not() {
        let bind: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let h = AllowedHosts::defaults(bind, &["https://Quarry.example.com/", "http://quarry:3000"], "X");
        for ok in ["quarry.example.com", "QUARRY.example.com.:443", "quarry:3000", "localhost:3000", "10.1.2.3:3000"] {
            assert!(h.allows(ok), "{ok}");
        }
        for ok in ["[::1]:3000", "[fd00::1]", "127.0.0.1"] {
            assert!(h.allows(ok), "{ok}");
        }
        for bad in ["evil.example", "quarry.example.com.evil", "", "localhost:notaport", "[::1"] {
            assert!(!h.allows(bad), "{bad}");
        }
        let public: SocketAddr = "10.0.0.5:3000".parse().unwrap();
        assert!(!AllowedHosts::defaults(public, &[], "X").allows("localhost"));
    }

    #[test]
    fn a_configured_list_can_pin_ports_or_allow_everything() {
        let h = AllowedHosts::parse(&["mcp.example.com:8443".into(), "svc".into()], "X");
        assert!(h.allows("mcp.example.com:8443") && h.allows("svc:1") && !h.allows("mcp.example.com:80"));
        assert!(AllowedHosts::parse(&["*".into()], "X").allows("anything.example"));
    }
}
