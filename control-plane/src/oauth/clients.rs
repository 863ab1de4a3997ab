//! Who an MCP client is. A `client_id` is either one this server issued
//! through dynamic registration (RFC 7591, `/oauth/register`), or an `https`
//! URL naming the client's Client ID Metadata Document, which Quarry fetches:
//!
//! - only `https`, a host name that resolves to public addresses only
//!   (loopback, private, link-local, CGNAT, multicast and unspecified
//!   addresses are refused, so the fetch cannot reach into the operator's
//!   network), the connection pinned to the address checked; with
//!   `QUARRY_OAUTH_ALLOW_LOOPBACK_CLIENTS=1` loopback hosts (`http` too) are
//!   allowed, for tests and local development;
//! - no redirects followed, a 5-second timeout, at most 64 KiB;
//! - the document's `client_id` must equal the URL exactly; its
//!   `redirect_uris` are matched exactly; only public clients
//!   (`token_endpoint_auth_method` absent or `none`) are accepted;
//! - a good document is cached for five minutes (at most 256 documents).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::storage::{Conn, authorization};

/// How long to wait for a metadata document.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata document read.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// How long a fetched document is trusted.
pub const CACHE_FOR: Duration = Duration::from_secs(300);
/// Most documents cached.
pub const MAX_CACHED: usize = 256;
/// Most redirect URIs a client may have.
pub const MAX_REDIRECT_URIS: usize = 20;

/// A client as the authorization endpoint needs it.
#[derive(Debug, Clone)]
pub struct Client {
    /// Its `client_id`.
    pub client_id: String,
    /// Its name, for the consent page.
    pub name: String,
    /// Its redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
}

/// Fetched documents by URL.
pub struct DocumentCache {
    allow_loopback: bool,
    entries: Mutex<HashMap<String, (Instant, Client)>>,
}

impl DocumentCache {
    /// An empty cache; `allow_loopback` lets documents come from loopback hosts.
    pub fn new(allow_loopback: bool) -> DocumentCache {
        DocumentCache { allow_loopback, entries: Mutex::default() }
    }

    fn get(&self, url: &str) -> Option<Client> {
        let entries = self.entries.lock().ok()?;
        entries.get(url).filter(|(at, _)| at.elapsed() < CACHE_FOR).map(|(_, c)| c.clone())
    }

    fn put(&self, url: &str, c: &Client) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            if entries.len() < MAX_CACHED {
                entries.insert(url.to_string(), (Instant::now(), c.clone()));
            }
        }
    }
}

/// Why a client is refused (shown to the user; never redirected).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Unknown or unusable client (the description).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
}

/// Whether `client_id` looks like a metadata document URL rather than an issued id.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

/// The client `client_id`: registered here, or described by its metadata document.
pub async fn resolve(db: &impl Conn, cache: &DocumentCache, client_id: &str) -> Result<Client, ClientError> {
    if is_document_url(client_id) {
        if let Some(c) = cache.get(client_id) {
            return Ok(c);
        }
        let c = fetch_document(client_id, cache.allow_loopback).await.map_err(ClientError::Invalid)?;
        cache.put(client_id, &c);
        return Ok(c);
    }
    match authorization::find_registered(db, client_id).await? {
        Some(r) => Ok(Client { client_id: r.client_id, name: r.client_name, redirect_uris: r.redirect_uris }),
        None => Err(ClientError::Invalid(format!(
            "unknown client_id `{}`: register the client at /oauth/register or use the https URL of its Client ID \
             Metadata Document",
            client_id.chars().take(80).collect::<String>()
        ))),
    }
}

/// Whether `ip` is an address a metadata fetch must not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[derive(Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// Fetches and checks the metadata document at `url`; the reason when refused.
async fn fetch_document(url: &str, allow_loopback: bool) -> Result<Client, String> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "the client_id is not a valid URL".to_string())?;
    let host = parsed.host_str().ok_or("the client_id URL has no host")?.to_string();
    let loopback_host = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    let scheme_ok = parsed.scheme() == "https" || (allow_loopback && loopback_host && parsed.scheme() == "http");
    if !scheme_ok || parsed.fragment().is_some() || !parsed.username().is_empty() || parsed.path() == "/" {
        return Err("a client_id URL must be an https URL with a path, without fragment or credentials".into());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let lookup_host = host.trim_start_matches('[').trim_end_matches(']').to_string();
    let addrs: Vec<std::net::SocketAddr> =
        tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((lookup_host.as_str(), port)))
            .await
            .map_err(|_| "resolving the client's host timed out".to_string())?
            .map_err(|_| format!("the client's host {host} does not resolve"))?
            .collect();
    let allowed = |ip: IpAddr| !is_internal(ip) || (allow_loopback && ip.is_loopback());
    let Some(addr) = addrs.first().copied() else { return Err(format!("the client's host {host} does not resolve")) };
    if !addrs.iter().all(|a| allowed(a.ip())) {
        return Err(format!("the client's host {host} resolves to an internal address; Quarry does not fetch from it"));
    }
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&lookup_host, addr)
        .build()
        .map_err(|_| "could not prepare the metadata fetch".to_string())?;
    let mut res = client
        .get(parsed.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|_| format!("could not fetch the client's metadata document from {host}"))?;
    if !res.status().is_success() {
        return Err(format!("the client's metadata document answered HTTP {}", res.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) =
        res.chunk().await.map_err(|_| "reading the client's metadata document failed".to_string())?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("the client's metadata document is larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
    }
    let doc: Document = serde_json::from_slice(&body)
        .map_err(|_| "the client's metadata document is not valid JSON metadata".to_string())?;
    if doc.client_id != url {
        return Err("the metadata document's client_id is not the URL it was fetched from".into());
    }
    if doc.token_endpoint_auth_method.as_deref().is_some_and(|m| m != "none") {
        return Err("only public clients (token_endpoint_auth_method `none`, with PKCE) are supported".into());
    }
    check_redirect_uris(&doc.redirect_uris)?;
    let name = doc.client_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| host.clone());
    Ok(Client { client_id: doc.client_id, name: name.chars().take(200).collect(), redirect_uris: doc.redirect_uris })
}

/// Checks a client's redirect URIs: 1–20 absolute URIs without fragment;
/// `http` only on loopback hosts (native apps and local tools).
pub fn check_redirect_uris(uris: &[String]) -> Result<(), String> {
    if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("redirect_uris must list 1–{MAX_REDIRECT_URIS} URIs"));
    }
    for u in uris {
        let Ok(parsed) = reqwest::Url::parse(u) else {
            return Err(format!("redirect URI `{u}` is not an absolute URI"));
        };
        if parsed.fragment().is_some() || u.len() > 2000 {
            return Err(format!("redirect URI `{u}` must not have a fragment (and at most 2000 characters)"));
        }
        let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if parsed.scheme() == "http" && !loopback {
            return Err(format!("redirect URI `{u}` must use https (http only on localhost)"));
        }
        if matches!(parsed.scheme(), "javascript" | "data" | "file" | "vbscript") {
            return Err(format!("redirect URI `{u}` has a scheme that is not allowed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn redirect_uris_must_be_https_or_loopback_http_without_fragments() {
        assert!(check_redirect_uris(&["http://127.0.0.1:3333/cb".into(), "https://app.example/cb".into()]).is_ok());
        assert!(check_redirect_uris(&["http://app.example/cb".into()]).is_err());
        assert!(check_redirect_uris(&["https://app.example/cb#x".into()]).is_err());
        assert!(check_redirect_uris(&["javascript:alert(1)".into()]).is_err());
        assert!(check_redirect_uris(&[]).is_err());
    }
}
