//! Delivery of metrics and the request log to the control plane (pull mode),
//! on the street the runtime already uses: every
//! `QUARRY_RUNTIME_DELIVERY_SECONDS` (default 10) it POSTs one
//! [`Delivery`] to `/api/v1/runtime/telemetry` with its runtime token. The
//! control plane never calls the runtime.
//!
//! Exactly-once: this process draws an instance id at start and numbers its
//! deliveries. A delivery that got no 2xx answer is resent *unchanged* (same
//! number) until one comes; the plane applies each `(instance, sequence)` once,
//! so a resend whose first copy did arrive is not counted twice. New calls
//! meanwhile gather into the next delivery (bounded, see
//! `metrics::Telemetry`). What a restart loses is what had not been
//! answered yet: at most one interval of calls plus an unanswered delivery.
//! A delivery the plane refuses as malformed (4xx other than 401) is dropped
//! and counted, so one bad batch cannot stall the ones after it.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use reqwest::StatusCode;
use shared_model::telemetry::{Delivery, QueueSnapshot, TELEMETRY_PATH};

use crate::pull::{PullClient, PullError};
use crate::server::Shared;

/// Default time between deliveries.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

/// A fresh id for this process: `base` (the heartbeat's instance name) and a random suffix.
pub fn instance_id(base: &str) -> String {
    let base: String = base.chars().take(80).collect();
    format!("{base}.{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// The queues of the current release as they are now; the waits since the last call.
pub fn queue_snapshots(shared: &Shared) -> Vec<QueueSnapshot> {
    let release = shared.current();
    let pools = release.executor.pools();
    let conns = shared.metrics.conns_snapshot();
    let mut out = Vec::new();
    for (id, stats) in conns {
        let Some(queue) = release.queues.get(&id) else { continue };
        let settings = queue.settings();
        let pool = pools.get(&id).copied().unwrap_or_default();
        out.push(QueueSnapshot {
            connection: id.clone(),
            running: u64::try_from(stats.active.load(Relaxed)).unwrap_or(0),
            waiting: u64::try_from(stats.waiting.load(Relaxed)).unwrap_or(0),
            limit: u64::from(settings.max_concurrent_queries),
            max_waiters: u64::from(settings.max_waiters),
            rejected: stats.rejected.load(Relaxed),
            timed_out: stats.timed_out.load(Relaxed),
            wait: stats.take_recent_wait(),
            pool_in_use: pool.in_use,
            pool_idle: pool.idle,
        });
    }
    out
}

/// Cuts the next delivery, numbered `sequence`.
fn cut(shared: &Shared, instance: &str, sequence: u64) -> Delivery {
    let batch = shared.metrics.telemetry.take();
    let (dropped_deltas, dropped_records) = shared.metrics.telemetry.dropped();
    Delivery {
        instance_id: instance.to_string(),
        sequence,
        release: shared.current().manifest.release,
        metrics: batch.deltas,
        queues: queue_snapshots(shared),
        records: batch.records,
        dropped_records,
        dropped_deltas,
    }
}

/// Sends one delivery; `Ok(false)` when the plane refused it as malformed.
async fn send(client: &PullClient, d: &Delivery) -> Result<bool, PullError> {
    match client.post_json(TELEMETRY_PATH, d).await? {
        s if s.is_success() => Ok(true),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(PullError::Unauthorized),
        s if s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS => Ok(false),
        s => Err(PullError::Http(format!("unexpected status {s}"))),
    }
}

/// Delivers every `every` until the process ends.
pub fn spawn(shared: Arc<Shared>, client: PullClient, instance: String, every: Duration) {
    shared.metrics.telemetry.enable();
    tokio::spawn(async move {
        let mut sequence = 0u64;
        let mut unanswered: Option<Delivery> = None;
        let mut refused = 0u64;
        loop {
            tokio::time::sleep(every).await;
            let delivery = match unanswered.take() {
                Some(mut d) => {
                    // Absolute values may be refreshed; the deltas and records stay as first cut.
                    d.queues = queue_snapshots(&shared);
                    d
                }
                None => {
                    sequence += 1;
                    cut(&shared, &instance, sequence)
                }
            };
            match send(&client, &delivery).await {
                Ok(true) => {}
                Ok(false) => {
                    refused += 1;
                    tracing::warn!(
                        sequence = delivery.sequence,
                        refused,
                        "The control plane refused a telemetry delivery; it is dropped."
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, sequence = delivery.sequence, "Could not deliver telemetry; it will be resent.");
                    unanswered = Some(delivery);
                }
            }
        }
    });
}
