//! What pulling runtimes see: the active release (or nothing, when stopped)
//! and the access document (`release::access`), each published through a
//! watch channel so long-polls wake as soon as it changes; and what they last
//! said about themselves (heartbeats, with the latest use of each token).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
pub use shared_model::protocol::Heartbeat;
use shared_model::protocol::{AccessDocument, MAX_TOKEN_USES, TokenUse};
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

/// The access document as runtimes pull it.
#[derive(Debug)]
pub struct AccessPublication {
    /// Its hash, used as the `ETag`.
    pub etag: String,
    /// The JSON body.
    pub body: String,
}

/// Most token ids whose last use is remembered (the store keeps at most 100 tokens).
const MAX_USES: usize = 1000;

/// The channels and the heartbeats.
pub struct Hub {
    tx: watch::Sender<Option<Arc<Publication>>>,
    access: watch::Sender<Option<Arc<AccessPublication>>>,
    /// Bounds the pulls waiting at once (release and access pulls together).
    pub waiters: Semaphore,
    beats: Mutex<HashMap<String, Heartbeat>>,
    uses: Mutex<HashMap<String, TokenUse>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            tx: watch::channel(None).0,
            access: watch::channel(None).0,
            waiters: Semaphore::new(MAX_WAITERS),
            beats: Mutex::new(HashMap::new()),
            uses: Mutex::new(HashMap::new()),
        }
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
        wait_until_differs(&self.tx, wait, |p| p.as_ref().map_or("", |p| p.hash.as_str()) != etag).await
    }

    /// Makes `doc` what runtimes pull as access settings; waiting pulls wake
    /// only when it differs from the current one.
    pub fn publish_access(&self, doc: AccessDocument) {
        let etag = doc.etag();
        let body = serde_json::to_string(&doc).unwrap_or_default();
        self.access.send_if_modified(|cur| {
            if cur.as_ref().is_some_and(|c| c.etag == etag) {
                return false;
            }
            *cur = Some(Arc::new(AccessPublication { etag, body }));
            true
        });
    }

    /// The current access document (`None` until the store was first read).
    pub fn access(&self) -> Option<Arc<AccessPublication>> {
        self.access.borrow().clone()
    }

    /// Waits until the access document's hash differs from `etag`, at most `wait`.
    pub async fn wait_access_change(&self, etag: &str, wait: Duration) -> Option<Arc<AccessPublication>> {
        wait_until_differs(&self.access, wait, |p| p.as_ref().map_or("", |p| p.etag.as_str()) != etag).await
    }

    /// The latest reported use of each token, by id.
    pub fn token_uses(&self) -> HashMap<String, TokenUse> {
        self.uses.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn record_uses(&self, reported: &[TokenUse]) {
        let mut uses = self.uses.lock().unwrap_or_else(|e| e.into_inner());
        for u in reported.iter().take(MAX_TOKEN_USES) {
            if uses.get(&u.id).is_some_and(|known| known.last_used_at >= u.last_used_at) {
                continue;
            }
            if uses.len() >= MAX_USES
                && !uses.contains_key(&u.id)
                && let Some(oldest) = uses.values().min_by_key(|x| x.last_used_at).map(|x| x.id.clone())
            {
                uses.remove(&oldest);
            }
            let mut u = u.clone();
            u.id.truncate(64);
            u.address.truncate(64);
            uses.insert(u.id.clone(), u);
        }
    }

    /// Records a heartbeat; the oldest instance is forgotten beyond the bound.
    pub fn beat(&self, mut beat: Heartbeat) {
        self.record_uses(&beat.token_uses);
        beat.token_uses = Vec::new();
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

/// Waits until `differs` holds for the channel's value, at most `wait` (capped
/// at [`MAX_WAIT`]); returns the value then.
async fn wait_until_differs<T: Clone>(tx: &watch::Sender<T>, wait: Duration, differs: impl FnMut(&T) -> bool) -> T {
    let mut rx = tx.subscribe();
    let _ = tokio::time::timeout(wait.min(MAX_WAIT), rx.wait_for(differs)).await;
    tx.borrow().clone()
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
