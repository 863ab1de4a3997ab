//! Pull mode (`--control-plane URL`): fetch the active release from the
//! control plane, then follow it with conditional long-polls
//! (`If-None-Match` + `wait`), swapping each new release in atomically.
//! A refused release is reported in a heartbeat and the running one kept;
//! when nothing is published (stopped), an empty release is served.
//!
//! Access (who may call `/mcp`) is followed apart from releases, by a second
//! long-poll on `GET /api/v1/runtime/access` keyed by the document's hash:
//! a revoked token stops working as soon as the control plane answers that
//! poll (it re-reads its store at least every 2 s), with no reload, and an old
//! release's `auth` section is never applied. A control plane that answers
//! 404 there predates access documents: the release's `auth` applies then.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use shared_model::manifest::{AuthSettings, Manifest, ServerInfo};
use shared_model::protocol::{ACCESS_PATH, AccessDocument, HEARTBEAT_PATH, Heartbeat, MANIFEST_PATH};

use crate::auth::{Access, AuthCheck};

use crate::exec::ExecutorFactory;
use crate::metrics::Metrics;
use crate::release::{LoadContext, Release};
use crate::reload::{MAX_MANIFEST_BYTES, apply};
use crate::server::Shared;

/// How long one long-poll waits on the control plane.
pub const POLL_WAIT: Duration = Duration::from_secs(25);
/// Longest delay between failed attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The control plane could not be reached or answered oddly.
    #[error("control plane: {0}")]
    Http(String),
    /// The runtime token was refused.
    #[error("the control plane refused QUARRY_RUNTIME_TOKEN")]
    Unauthorized,
    /// The body is not a manifest.
    #[error("the control plane sent an unreadable manifest: {0}")]
    Manifest(String),
}

/// What a pull returned.
#[derive(Debug)]
pub enum Pulled {
    /// A release other than the one named by the ETag.
    New {
        /// The manifest.
        manifest: Box<Manifest>,
        /// Its ETag (content hash).
        etag: String,
    },
    /// Still the same release.
    NotModified,
    /// Nothing is published.
    Nothing,
}

/// Talks to the control plane's `/api/v1/runtime` routes.
#[derive(Clone)]
pub struct PullClient {
    http: reqwest::Client,
    base: String,
    token: String,
    instance: String,
}

impl PullClient {
    /// A client for the control plane at `base`, presenting `token`, naming
    /// itself `instance`, also trusting the PEM roots in `ca_file` (only them,
    /// without a host-name check, when `base` is a loopback address).
    pub fn new(base: &str, token: &str, instance: &str, ca_file: Option<&Path>) -> Result<PullClient, PullError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(POLL_WAIT + Duration::from_secs(15));
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|e| PullError::Http(format!("{}: {e}", path.display())))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| PullError::Http(e.to_string()))?;
            builder = if is_loopback(base) {
                // Over loopback the certificate names the public host, not
                // 127.0.0.1: the chain is verified against these roots only,
                // the name is not checked.
                builder.tls_certs_only(roots).tls_danger_accept_invalid_hostnames(true)
            } else {
                roots.into_iter().fold(builder, |b, c| b.add_root_certificate(c))
            };
        }
        let http = builder.build().map_err(|e| PullError::Http(e.to_string()))?;
        Ok(PullClient { http, base: base.trim_end_matches('/').into(), token: token.into(), instance: instance.into() })
    }

    /// A conditional long-poll of `path`: its status, and for a 200 the `ETag`
    /// and the body (at most [`MAX_MANIFEST_BYTES`]).
    async fn get(&self, path: &str, etag: &str, wait: Duration) -> Result<(StatusCode, String, String), PullError> {
        let url = format!("{}{path}?wait={}", self.base, wait.as_secs());
        let mut req = self.http.get(url).bearer_auth(&self.token);
        if !etag.is_empty() {
            req = req.header(IF_NONE_MATCH, format!("\"{etag}\""));
        }
        let res = req.send().await.map_err(|e| PullError::Http(e.to_string()))?;
        let status = res.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(PullError::Unauthorized),
            StatusCode::OK => {
                let etag =
                    res.headers().get(ETAG).and_then(|v| v.to_str().ok()).unwrap_or("").trim_matches('"').to_string();
                if res.content_length().is_some_and(|n| n > MAX_MANIFEST_BYTES) {
                    return Err(PullError::Manifest(format!("{path}: larger than {MAX_MANIFEST_BYTES} bytes")));
                }
                let text = res.text().await.map_err(|e| PullError::Http(e.to_string()))?;
                Ok((status, etag, text))
            }
            _ => Ok((status, String::new(), String::new())),
        }
    }

    /// Fetches the active release unless it is still `etag`, waiting up to `wait` for a change.
    pub async fn fetch(&self, etag: &str, wait: Duration) -> Result<Pulled, PullError> {
        match self.get(MANIFEST_PATH, etag, wait).await? {
            (StatusCode::NOT_MODIFIED, ..) => Ok(Pulled::NotModified),
            (StatusCode::NO_CONTENT, ..) => Ok(Pulled::Nothing),
            (StatusCode::OK, etag, text) => {
                let manifest = Manifest::from_json(&text).map_err(|e| PullError::Manifest(e.to_string()))?;
                Ok(Pulled::New { manifest: Box::new(manifest), etag })
            }
            (other, ..) => Err(PullError::Http(format!("unexpected status {other}"))),
        }
    }

    /// Fetches the access document unless it is still `etag`, waiting up to `wait` for a change.
    pub async fn fetch_access(&self, etag: &str, wait: Duration) -> Result<AccessPulled, PullError> {
        match self.get(ACCESS_PATH, etag, wait).await? {
            (StatusCode::NOT_MODIFIED, ..) => Ok(AccessPulled::NotModified),
            (StatusCode::NOT_FOUND, ..) => Ok(AccessPulled::Unsupported),
            (StatusCode::OK, etag, text) => {
                let doc: AccessDocument =
                    serde_json::from_str(&text).map_err(|e| PullError::Manifest(e.to_string()))?;
                Ok(AccessPulled::New { doc: Box::new(doc), etag })
            }
            (other, ..) => Err(PullError::Http(format!("unexpected status {other}"))),
        }
    }

    /// Tells the control plane which release this instance serves (or why it
    /// refused one) and when each token was last used.
    pub async fn beat(&self, shared: &Shared, refused: Option<&str>) {
        let release = shared.current().manifest.release;
        let mut body = Heartbeat::report(&self.instance, env!("CARGO_PKG_VERSION"), release, refused);
        body.token_uses = shared.token_uses.snapshot();
        body.connections_down = shared.ready.latest().filter(|r| r.release == release).map_or_else(Vec::new, |r| {
            r.connections.into_iter().filter(|(_, answer)| answer.is_err()).map(|(id, _)| id).collect()
        });
        let url = format!("{}{HEARTBEAT_PATH}", self.base);
        let sent = self.http.post(url).bearer_auth(&self.token).json(&body).send().await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "Could not send a heartbeat to the control plane.");
        }
    }
}

/// What an access pull returned.
#[derive(Debug)]
pub enum AccessPulled {
    /// A document other than the one named by the ETag.
    New {
        /// The document (boxed: an oauth rule makes it large).
        doc: Box<AccessDocument>,
        /// Its ETag.
        etag: String,
    },
    /// Still the same document.
    NotModified,
    /// The control plane has no access endpoint (older version): follow the release's `auth`.
    Unsupported,
}

/// Compiles an access document; a document that cannot be checked (no
/// runtime key, a malformed hash) closes access rather than opening it.
/// The rule in force is kept as `previous` so that an unchanged issuer keeps
/// its fetched keys (the control plane re-sends the document on any change).
fn compile_access(doc: &AccessDocument, shared: &Shared) -> AuthCheck {
    let previous = shared.auth_rule();
    AuthCheck::build_after(&doc.auth, shared.runtime_key.as_deref(), Some(&previous)).unwrap_or_else(|e| {
        tracing::error!(error = %e, "Refused the control plane's access settings; no client is admitted until valid ones come.");
        AuthCheck::Closed
    })
}

/// Fetches the access document once and applies it (one attempt: the release
/// pull before it already waited for a control plane that is down); until one
/// arrives — [`spawn_follow_access`] keeps trying — `/mcp` admits no one.
pub async fn first_access(shared: &Shared, client: &PullClient) -> String {
    shared.set_access(Access::Pulled(Arc::new(AuthCheck::Closed)));
    match client.fetch_access("", Duration::ZERO).await {
        Ok(AccessPulled::New { doc, etag }) => {
            let check = compile_access(&doc, shared);
            shared.set_access(Access::Pulled(Arc::new(check)));
            etag
        }
        Ok(AccessPulled::Unsupported) => {
            shared.set_access(Access::FromRelease);
            String::new()
        }
        Ok(AccessPulled::NotModified) => String::new(),
        Err(e) => {
            tracing::warn!(error = %e, "Cannot pull the access settings yet; admitting no client until they come.");
            String::new()
        }
    }
}

/// Follows the access document until the process ends.
pub fn spawn_follow_access(shared: Arc<Shared>, client: PullClient, mut etag: String) {
    tokio::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        loop {
            let started = Instant::now();
            match client.fetch_access(&etag, POLL_WAIT).await {
                Ok(AccessPulled::New { doc, etag: next }) => {
                    let check = compile_access(&doc, &shared);
                    shared.set_access(Access::Pulled(Arc::new(check)));
                    tracing::info!("Applied the control plane's access settings.");
                    etag = next;
                }
                Ok(AccessPulled::Unsupported) => {
                    shared.set_access(Access::FromRelease);
                    // Ask again now and then: the control plane may be upgraded.
                    tokio::time::sleep(MAX_BACKOFF).await;
                    continue;
                }
                Ok(AccessPulled::NotModified) => {}
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Access pull from the control plane failed; the last access settings stay.");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            backoff = Duration::from_secs(1);
            if started.elapsed() < Duration::from_secs(1) {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });
}

impl PullClient {
    /// POSTs `body` as JSON to `path` under the control plane's base URL with
    /// the runtime token (the telemetry delivery uses it); the status is the caller's to judge.
    pub async fn post_json<T: serde::Serialize>(&self, path: &str, body: &T) -> Result<StatusCode, PullError> {
        let url = format!("{}{path}", self.base);
        let res = self.http.post(url).bearer_auth(&self.token).json(body).send().await;
        res.map(|r| r.status()).map_err(|e| PullError::Http(e.to_string()))
    }
}

fn is_loopback(base: &str) -> bool {
    let host = base.split_once("://").map_or(base, |(_, r)| r).split('/').next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) || host == "localhost"
}

/// The release served while nothing is published.
pub fn empty_manifest() -> Manifest {
    Manifest {
        format_version: shared_model::manifest::FORMAT_VERSION,
        release: 0,
        content_hash: String::new(),
        server: ServerInfo {
            name: "Quarry (nothing deployed)".into(),
            version: "0.0.0".into(),
            instructions: None,
            expose_db_errors: false,
            exact_numerics: Default::default(),
            request_log: false,
        },
        auth: AuthSettings::None,
        connections: vec![],
        tools: vec![],
        resources: vec![],
        prompts: vec![],
        vars: Default::default(),
    }
}

/// Where following starts: the ETag of what was loaded (or refused) and why it was refused.
pub struct FollowFrom {
    etag: String,
    refused: Option<String>,
}

/// Pulls the first release (a few quick attempts); on failure or refusal
/// starts with the empty release and lets [`spawn_follow`] catch up.
pub async fn first_release(
    client: &PullClient,
    runtime_key: Option<&str>,
    metrics: &Metrics,
    factory: &dyn ExecutorFactory,
) -> (Release, FollowFrom) {
    let load = |m: Manifest| Release::load(m, LoadContext { runtime_key, metrics, factory, previous: None });
    let mut from = FollowFrom { etag: String::new(), refused: None };
    for attempt in 0..5u32 {
        match client.fetch("", Duration::ZERO).await {
            Ok(Pulled::New { manifest, etag }) => {
                from.etag = etag;
                match load(*manifest) {
                    Ok(r) => return (r, from),
                    Err(p) => {
                        tracing::error!(problems = %p, "Refused the control plane's release; serving nothing until a valid one comes.");
                        from.refused = Some(p.to_string());
                    }
                }
                break;
            }
            Ok(_) => break,
            Err(e) => {
                tracing::warn!(error = %e, attempt, "Cannot pull the first release yet.");
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
            }
        }
    }
    match load(empty_manifest()) {
        Ok(r) => (r, from),
        Err(p) => unreachable!("the empty manifest is valid: {p}"),
    }
}

/// How long a control plane may keep answering an older release than the one
/// served before the instance reports it as a problem: control planes on one
/// store pick up a deploy within about a second (`QUARRY_FOLLOW_INTERVAL_MS`),
/// so a longer disagreement is a store restored from a backup or a second
/// store, which an admin has to hear about.
const OLDER_GRACE: Duration = Duration::from_secs(10);

/// Follows the control plane until the process ends.
///
/// Release numbers only move forward: a redeploy or rollback publishes the old
/// content under a new, higher number, so an answer with a lower number than
/// the one served comes from a control plane that has not yet seen the latest
/// deploy (several control planes behind one load balancer). It is not loaded;
/// the poll is repeated a second later with the served release's ETag. Only a
/// stop (nothing published) resets the order: after it, any release is taken.
pub fn spawn_follow(shared: Arc<Shared>, client: PullClient, from: FollowFrom) {
    tokio::spawn(async move {
        let FollowFrom { mut etag, mut refused } = from;
        let mut backoff = Duration::from_secs(1);
        let mut older: Option<(Instant, String)> = None;
        loop {
            let held_back = older.as_ref().filter(|(since, _)| since.elapsed() >= OLDER_GRACE).map(|(_, m)| m.as_str());
            let problem = refused.as_deref().or(held_back);
            client.beat(&shared, problem).await;
            let started = Instant::now();
            let serving = shared.current().manifest.release;
            let outcome = match client.fetch(&etag, POLL_WAIT).await {
                Ok(Pulled::New { manifest, .. }) if manifest.release < serving => {
                    let message = format!(
                        "the control plane answered release {}, older than the served release {serving}; kept \
                         {serving} (a stop, then a deploy, resets the order)",
                        manifest.release
                    );
                    tracing::warn!(
                        release = manifest.release,
                        serving,
                        "Kept the served release: the control plane answered an older one."
                    );
                    older.get_or_insert((Instant::now(), String::new())).1 = message;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Ok(Pulled::New { manifest, etag: next }) => {
                    etag = next;
                    older = None;
                    Some(*manifest)
                }
                Ok(Pulled::Nothing) if serving != 0 => {
                    etag.clear();
                    older = None;
                    Some(empty_manifest())
                }
                Ok(_) => {
                    older = None;
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "Pull from the control plane failed.");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            backoff = Duration::from_secs(1);
            if let Some(manifest) = outcome {
                let number = manifest.release;
                match apply(&shared, manifest) {
                    Ok(_) => {
                        tracing::info!(release = number, "Now serving the pulled release.");
                        refused = None;
                    }
                    Err(p) => {
                        tracing::error!(release = number, problems = %p, "Refused the pulled release; the running one is kept.");
                        refused = Some(format!("release {number}: {p}"));
                    }
                }
            } else if started.elapsed() < Duration::from_secs(1) {
                // The control plane answered at once (busy): do not spin.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
}
