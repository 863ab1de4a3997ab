//! What pulling runtimes see: the active release (or nothing, when stopped),
//! published through a watch channel so long-polls wake as soon as it
//! changes; and what they last said about themselves (heartbeats).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
pub use shared_model::protocol::Heartbeat;
use tokio::sync::{Semaphore, watch};

/// Longest a pull may wait for a change.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Most pulls waiting at once; beyond it they are answered immediately.
pub const MAX_WAITERS: usize = 512;
/// Most runtime instances remembered.
pub const MAX_INSTANCES: usize = 1000;
/// A runtime not heard from for this long is no longer counted.
pub const STALE_AFTER: Duration = Duration::from_secs(90);

/// The release runtimes should serve.
#[derive(Debug)]
pub struct Publication {
    /// Release number.
    pub number: u64,
    /// Its content hash, used as the `ETag`.
    pub hash: String,
    /// The manifest JSON (secrets sealed).
    pub body: String,
}

/// The channel and the heartbeats.
pub struct Hub {
    tx: watch::Sender<Option<Arc<Publication>>>,
    /// Bounds the pulls waiting at once.
    pub waiters: Semaphore,
    beats: Mutex<HashMap<String, Heartbeat>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub { tx: watch::channel(None).0, waiters: Semaphore::new(MAX_WAITERS), beats: Mutex::new(HashMap::new()) }
    }
}

impl Hub {
    /// Makes `published` what runtimes pull (`None`: nothing, they unload).
    pub fn publish(&self, published: Option<Publication>) {
        self.tx.send_replace(published.map(Arc::new));
    }

    /// The current publication.
    pub fn current(&self) -> Option<Arc<Publication>> {
        self.tx.borrow().clone()
    }

    /// Waits until the publication's hash differs from `etag`, at most `wait`.
    pub async fn wait_change(&self, etag: &str, wait: Duration) -> Option<Arc<Publication>> {
        let mut rx = self.tx.subscribe();
        let differs = |p: &Option<Arc<Publication>>| p.as_ref().map_or("", |p| p.hash.as_str()) != etag;
        let _ = tokio::time::timeout(wait.min(MAX_WAIT), rx.wait_for(differs)).await;
        self.current()
    }

    /// Records a heartbeat; the oldest instance is forgotten beyond the bound.
    pub fn beat(&self, mut beat: Heartbeat) {
        beat.instance_id.truncate(64);
        beat.runtime_version.truncate(64);
        beat.message.truncate(2000);
        beat.last_seen = Utc::now();
        let mut beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        if beats.len() >= MAX_INSTANCES
            && !beats.contains_key(&beat.instance_id)
            && let Some(oldest) = beats.values().min_by_key(|b| b.last_seen).map(|b| b.instance_id.clone())
        {
            beats.remove(&oldest);
        }
        beats.insert(beat.instance_id.clone(), beat);
    }

    /// Takes in a stored heartbeat (at start, and from other control planes
    /// through the store), keeping its time; stale and older ones are ignored.
    pub fn restore(&self, beat: Heartbeat) {
        let fresh = Utc::now() - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default() <= beat.last_seen;
        let mut beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        match beats.get(&beat.instance_id) {
            Some(known) if known.last_seen >= beat.last_seen => {}
            Some(_) => {
                beats.insert(beat.instance_id.clone(), beat);
            }
            None if fresh && beats.len() < MAX_INSTANCES => {
                beats.insert(beat.instance_id.clone(), beat);
            }
            None => {}
        }
    }

    /// Instances heard from recently, sorted by id.
    pub fn live(&self) -> Vec<Heartbeat> {
        let cutoff = Utc::now() - chrono::Duration::from_std(STALE_AFTER).unwrap_or_default();
        let beats = self.beats.lock().unwrap_or_else(|e| e.into_inner());
        let mut live: Vec<Heartbeat> = beats.values().filter(|b| b.last_seen >= cutoff).cloned().collect();
        live.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
        live
    }

    /// Forgets every instance (after a stop, so stale ones do not count as running).
    pub fn forget_all(&self) {
        self.beats.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_pull_wakes_when_a_release_is_published() {
        let hub = Arc::new(Hub::default());
        let h = hub.clone();
        let waiter = tokio::spawn(async move { h.wait_change("", Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        hub.publish(Some(Publication { number: 1, hash: "sha256:a".into(), body: "{}".into() }));
        let got = waiter.await.unwrap().unwrap();
        assert_eq!(got.number, 1);
        let same = hub.wait_change("sha256:a", Duration::from_millis(20)).await.unwrap();
        assert_eq!(same.hash, "sha256:a");
    }
}
