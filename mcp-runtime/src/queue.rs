//! The per-connection admission queue, after meilisearch's `search_queue.rs`:
//! at most `max_concurrent_queries` run at once, callers wait in FIFO order
//! (tokio's semaphore is fair), at most `max_waiters` wait, and a waiter gives
//! up after `queue_timeout_seconds`. A caller whose request is cancelled drops
//! its future, which takes it out of the line.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shared_model::manifest::QueueSettings;
use shared_model::sketch::Sketch;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::histogram::Histogram;

/// Why a call was not admitted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    /// The waiting line is full.
    #[error("connection {connection} is busy ({waiters} calls already waiting); retry shortly")]
    Full {
        /// Connection id.
        connection: String,
        /// The configured `max_waiters`.
        waiters: u32,
    },
    /// No slot freed up in time.
    #[error("connection {connection} is busy: no query slot freed up within {seconds} s; retry shortly")]
    Timeout {
        /// Connection id.
        connection: String,
        /// The configured `queue_timeout_seconds`.
        seconds: u32,
    },
}

/// The counters of one connection's queue. The queue owns and updates them;
/// the metrics exporter only reads them.
#[derive(Debug, Default)]
pub struct ConnStats {
    /// Queries running now.
    pub active: AtomicI64,
    /// Calls waiting for a slot now.
    pub waiting: AtomicI64,
    /// Most queries that ran at once.
    pub peak_active: AtomicI64,
    /// Calls admitted to run.
    pub admitted: AtomicU64,
    /// Calls refused because the waiting line was full.
    pub rejected: AtomicU64,
    /// Calls that gave up after `queue_timeout_seconds`.
    pub timed_out: AtomicU64,
    /// Calls that left the line because the client cancelled.
    pub cancelled: AtomicU64,
    /// Time spent waiting for a slot.
    pub wait: Histogram,
    /// The same waits, since the last delivery to the control plane took them
    /// (a mergeable sketch, for the plane's p50/p95 across instances).
    pub recent_wait: Mutex<Sketch>,
}

impl ConnStats {
    fn observe_wait(&self, d: Duration) {
        self.wait.observe(d);
        if let Ok(mut s) = self.recent_wait.lock() {
            s.observe_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        }
    }

    /// Takes the waits recorded since the previous call.
    pub fn take_recent_wait(&self) -> Sketch {
        self.recent_wait.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default()
    }
}

/// The admission queue of one connection.
#[derive(Debug)]
pub struct ConnectionQueue {
    id: String,
    settings: QueueSettings,
    slots: Arc<Semaphore>,
    stats: Arc<ConnStats>,
}

/// A running query's slot; dropping it frees the slot for the next waiter.
#[derive(Debug)]
pub struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
    stats: Arc<ConnStats>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.stats.active.fetch_sub(1, Relaxed);
    }
}

/// Keeps the `waiting` gauge right however the wait ends, including cancellation.
struct Waiting<'a> {
    stats: &'a ConnStats,
    finished: bool,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.stats.waiting.fetch_sub(1, Relaxed);
        if !self.finished {
            self.stats.cancelled.fetch_add(1, Relaxed);
        }
    }
}

impl ConnectionQueue {
    /// A queue for connection `id` reporting into `stats`.
    pub fn new(id: &str, settings: QueueSettings, stats: Arc<ConnStats>) -> ConnectionQueue {
        let slots = Arc::new(Semaphore::new(settings.max_concurrent_queries.max(1) as usize));
        ConnectionQueue { id: id.to_string(), settings, slots, stats }
    }

    /// The settings this queue was built with.
    pub fn settings(&self) -> &QueueSettings {
        &self.settings
    }

    /// Waits for a slot, in FIFO order, within the configured bounds.
    pub async fn admit(&self) -> Result<Slot, QueueError> {
        if !self.settings.queue_enabled {
            return Ok(self.running(None));
        }
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            self.stats.observe_wait(Duration::ZERO);
            return Ok(self.running(Some(permit)));
        }
        if self.stats.waiting.fetch_add(1, Relaxed) >= i64::from(self.settings.max_waiters) {
            self.stats.waiting.fetch_sub(1, Relaxed);
            self.stats.rejected.fetch_add(1, Relaxed);
            return Err(QueueError::Full { connection: self.id.clone(), waiters: self.settings.max_waiters });
        }
        let mut waiting = Waiting { stats: &self.stats, finished: false };
        let started = Instant::now();
        let limit = Duration::from_secs(u64::from(self.settings.queue_timeout_seconds));
        let outcome = tokio::time::timeout(limit, self.slots.clone().acquire_owned()).await;
        waiting.finished = true;
        self.stats.observe_wait(started.elapsed());
        match outcome {
            Ok(Ok(permit)) => Ok(self.running(Some(permit))),
            // The semaphore is never closed; treat it like a timeout if it ever is.
            Ok(Err(_)) | Err(_) => {
                self.stats.timed_out.fetch_add(1, Relaxed);
                Err(QueueError::Timeout { connection: self.id.clone(), seconds: self.settings.queue_timeout_seconds })
            }
        }
    }

    fn running(&self, permit: Option<OwnedSemaphorePermit>) -> Slot {
        let now = self.stats.active.fetch_add(1, Relaxed) + 1;
        self.stats.peak_active.fetch_max(now, Relaxed);
        self.stats.admitted.fetch_add(1, Relaxed);
        Slot { _permit: permit, stats: self.stats.clone() }
    }
}
