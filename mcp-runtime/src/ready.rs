//! Readiness and connection health. An instance is **ready** when it serves a
//! release (number ≥ 1): a database that does not answer is one connection's
//! problem, reported per connection (`quarry_connection_up`, `/internal/ready`
//! and the tool's own error), and does not take the instance out of its load
//! balancer — every replica would be taken out together, and the tools on the
//! other connections with them.
//!
//! The connection probe behind it is kept cheap: the answer is cached for an
//! interval (`QUARRY_RUNTIME_READY_INTERVAL_SECONDS`, default 5 s) and only one
//! probe runs at a time, so however often `/readyz` is asked, each connection
//! gets at most one `SELECT 1` per interval (a new release probes at once).
//! Which connection failed and why is logged and shown on `/internal/ready`,
//! which needs the same auth as `/mcp`; `/readyz` names no connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The default interval between probes.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Each connection's answer to one probe: its id, and why it failed.
pub type ConnectionHealth = Vec<(String, Result<(), String>)>;

/// One probe's outcome.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The release probed.
    pub release: u64,
    /// Each connection's answer (errors are never sent unauthenticated).
    pub connections: ConnectionHealth,
    at: Instant,
}

impl Readiness {
    /// Whether the instance serves a release (what `/readyz` answers).
    pub fn ready(&self) -> bool {
        self.release > 0
    }

    /// The failing connections and why, if any.
    pub fn problems(&self) -> Option<String> {
        let failed: Vec<&str> =
            self.connections.iter().filter_map(|(_, r)| r.as_ref().err()).map(String::as_str).collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

/// The cached readiness and the single-flight probe lock.
#[derive(Debug)]
pub struct ReadyCache {
    interval: Duration,
    last: Mutex<Option<Readiness>>,
    probes: AtomicU64,
}

impl ReadyCache {
    /// A cache answering from a probe at most `interval` old.
    pub fn new(interval: Duration) -> ReadyCache {
        ReadyCache { interval, last: Mutex::new(None), probes: AtomicU64::new(0) }
    }

    /// The readiness of `release`: cached when fresh, else probed with
    /// `probe` (callers queue behind a running probe and reuse its answer).
    pub async fn get<F>(&self, release: u64, probe: F) -> Readiness
    where
        F: std::future::Future<Output = ConnectionHealth>,
    {
        let mut last = self.last.lock().await;
        if let Some(r) = last.as_ref().filter(|r| r.release == release && r.at.elapsed() < self.interval) {
            return r.clone();
        }
        self.probes.fetch_add(1, Ordering::Relaxed);
        let fresh = Readiness { release, connections: probe.await, at: Instant::now() };
        if let Some(problem) = fresh.problems() {
            tracing::warn!(release, %problem, "A connection did not answer its health probe.");
        }
        *last = Some(fresh.clone());
        fresh
    }

    /// The latest probe's answer, without probing (none yet, or a probe is running).
    pub fn latest(&self) -> Option<Readiness> {
        self.last.try_lock().ok().and_then(|last| last.clone())
    }

    /// How many probes ran since the process started (`quarry_ready_probes_total`).
    pub fn probes(&self) -> u64 {
        self.probes.load(Ordering::Relaxed)
    }
}

impl Default for ReadyCache {
    fn default() -> Self {
        ReadyCache::new(DEFAULT_INTERVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_probes_once_and_a_new_release_probes_again() {
        let cache = ReadyCache::new(Duration::from_secs(60));
        for _ in 0..100 {
            let r = cache.get(1, async { vec![("pg".into(), Err("connection pg: refused".into()))] }).await;
            assert_eq!(r.problems().as_deref(), Some("connection pg: refused"));
            assert!(r.ready(), "a failing connection does not make the instance unready");
        }
        assert_eq!(cache.probes(), 1);
        let r = cache.get(2, async { vec![("pg".into(), Ok(()))] }).await;
        assert!(r.problems().is_none());
        assert_eq!(cache.probes(), 2);
        assert!(!cache.get(0, async { vec![] }).await.ready(), "nothing served: not ready");
    }
}
