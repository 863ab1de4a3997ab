//! `/readyz`, kept cheap: the answer is cached for an interval
//! (`QUARRY_RUNTIME_READY_INTERVAL_SECONDS`, default 5 s) and only one probe
//! runs at a time, so however often `/readyz` is asked, each connection gets
//! at most one `SELECT 1` per interval (a new release probes at once).
//! The unauthenticated answer is generic (`ready` / `unavailable` and the
//! release number); which connection failed and why is logged, and shown on
//! `/internal/ready`, which needs the same auth as `/mcp`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// The default interval between probes.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// One probe's outcome.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The release probed.
    pub release: u64,
    /// `Err` names the failing connections and why (never sent unauthenticated).
    pub outcome: Result<(), String>,
    at: Instant,
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
        F: std::future::Future<Output = Result<(), String>>,
    {
        let mut last = self.last.lock().await;
        if let Some(r) = last.as_ref().filter(|r| r.release == release && r.at.elapsed() < self.interval) {
            return r.clone();
        }
        self.probes.fetch_add(1, Ordering::Relaxed);
        let outcome = probe.await;
        if let Err(e) = &outcome {
            tracing::warn!(release, problem = %e, "Readiness probe failed.");
        }
        let fresh = Readiness { release, outcome, at: Instant::now() };
        *last = Some(fresh.clone());
        fresh
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
            let r = cache.get(1, async { Err("connection pg: refused".into()) }).await;
            assert!(r.outcome.is_err());
        }
        assert_eq!(cache.probes(), 1);
        assert!(cache.get(2, async { Ok(()) }).await.outcome.is_ok());
        assert_eq!(cache.probes(), 2);
    }
}
