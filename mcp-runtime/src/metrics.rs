//! Runtime metrics. Handles are registered per manifest id (tool, resource,
//! connection) when a release loads, so labels are bounded by the manifest;
//! the hot path only touches atomics. Rendered as Prometheus text on
//! `/metrics` and as JSON aggregates on `/internal/stats`.

mod render;
mod series;
mod telemetry;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};
use std::time::Duration;

pub use render::{PoolStatus, connection_health};
use series::Series;
pub use telemetry::{Batch, FinishedCall, MAX_PENDING_DELTAS, MAX_PENDING_RECORDS, Telemetry};

use crate::histogram::{BUCKETS_SECONDS, Histogram, Snapshot};
use crate::queue::ConnStats;

/// Per tool (or `resource:<name>`) counters.
#[derive(Debug, Default)]
pub struct ToolStats {
    /// Completed calls, successful or not.
    pub calls: AtomicU64,
    /// Calls that returned an error result.
    pub errors: AtomicU64,
    /// Calls answered from the result cache.
    pub cache_hits: AtomicU64,
    /// Call latency, admission wait included.
    pub latency: Histogram,
}

/// The registry shared by every release of one runtime process.
#[derive(Debug, Default)]
pub struct Metrics {
    tools: RwLock<BTreeMap<String, Arc<ToolStats>>>,
    conns: RwLock<BTreeMap<String, Arc<ConnStats>>>,
    series: Series,
    /// Deltas and request-log records waiting for delivery to the control plane.
    pub telemetry: Telemetry,
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    /// The handle for `name`, created on first use. Call it when a release
    /// loads, never with client-supplied names.
    pub fn tool(&self, name: &str) -> Arc<ToolStats> {
        get_or_insert(&self.tools, name)
    }

    /// The handle for connection `id`, created on first use.
    pub fn connection(&self, id: &str) -> Arc<ConnStats> {
        get_or_insert(&self.conns, id)
    }

    /// Drops handles of ids absent from the current release, keeping labels bounded.
    pub fn retain(&self, tools: &[String], conns: &[String]) {
        if let Ok(mut m) = self.tools.write() {
            m.retain(|k, _| tools.contains(k));
        }
        if let Ok(mut m) = self.conns.write() {
            m.retain(|k, _| conns.contains(k));
        }
    }

    /// Records one finished call.
    pub fn record_call(&self, stats: &ToolStats, name: &str, elapsed: Duration, ok: bool) {
        stats.calls.fetch_add(1, Relaxed);
        if !ok {
            stats.errors.fetch_add(1, Relaxed);
        }
        stats.latency.observe(elapsed);
        self.series.record(name, elapsed, ok);
    }

    fn tools_snapshot(&self) -> Vec<(String, Arc<ToolStats>)> {
        self.tools.read().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }

    /// Every connection's counters, by id.
    pub fn conns_snapshot(&self) -> Vec<(String, Arc<ConnStats>)> {
        self.conns.read().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }
}

fn get_or_insert<T: Default>(map: &RwLock<BTreeMap<String, Arc<T>>>, key: &str) -> Arc<T> {
    if let Some(v) = map.read().ok().and_then(|m| m.get(key).cloned()) {
        return v;
    }
    match map.write() {
        Ok(mut m) => m.entry(key.to_string()).or_default().clone(),
        Err(_) => Arc::new(T::default()),
    }
}
