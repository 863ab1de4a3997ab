//! What this process owes the control plane: per-minute deltas of every
//! finished call and request-log records, held in memory until the delivery
//! task (`crate::delivery`) takes them. Both are bounded — at most
//! [`MAX_PENDING_DELTAS`] minute keys and [`MAX_PENDING_RECORDS`] records —
//! and what does not fit is dropped and counted, never waited for: a slow or
//! absent control plane costs a call one short mutex section, nothing more.
//! Nothing is kept unless pull mode turned delivery on.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared_model::telemetry::{CallRecord, MAX_DELTAS, MAX_RECORDS, MinuteDelta, Subject};

/// Most minute keys held between deliveries (a key is minute × subject × connection).
pub const MAX_PENDING_DELTAS: usize = 20_000;
/// Most request-log records held between deliveries.
pub const MAX_PENDING_RECORDS: usize = 10_000;

type Key = (i64, Subject, String, String);

/// One finished call, as the metrics see it.
#[derive(Debug, Clone, Copy)]
pub struct FinishedCall<'a> {
    /// Tool, resource or prompt.
    pub subject: Subject,
    /// Its manifest name.
    pub name: &'a str,
    /// Connection id (empty for prompts).
    pub connection: &'a str,
    /// Whole duration, queue wait included.
    pub elapsed: Duration,
    /// Rows returned.
    pub rows: u64,
    /// Bytes of result text returned.
    pub bytes: u64,
    /// Answered from the cache.
    pub cached: bool,
    /// `None` on success, else the error class.
    pub error_class: Option<&'a str>,
}

/// The pending deltas and records of this process.
#[derive(Debug, Default)]
pub struct Telemetry {
    enabled: AtomicBool,
    deltas: Mutex<HashMap<Key, MinuteDelta>>,
    records: Mutex<VecDeque<CallRecord>>,
    dropped_deltas: AtomicU64,
    dropped_records: AtomicU64,
}

/// What one delivery takes.
#[derive(Debug, Default)]
pub struct Batch {
    /// Minute deltas, at most [`MAX_DELTAS`].
    pub deltas: Vec<MinuteDelta>,
    /// Records, oldest first, at most [`MAX_RECORDS`].
    pub records: Vec<CallRecord>,
}

fn now_minute() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64 / 60 * 60)
}

impl Telemetry {
    /// Starts keeping deltas and records (pull mode).
    pub fn enable(&self) {
        self.enabled.store(true, Relaxed);
    }

    /// Whether deltas and records are kept.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Relaxed)
    }

    /// Adds `call` to its minute.
    pub fn record(&self, call: &FinishedCall<'_>) {
        if !self.enabled() {
            return;
        }
        let key = (now_minute(), call.subject, call.name.to_string(), call.connection.to_string());
        let Ok(mut map) = self.deltas.lock() else { return };
        if !map.contains_key(&key) && map.len() >= MAX_PENDING_DELTAS {
            self.dropped_deltas.fetch_add(1, Relaxed);
            return;
        }
        let d = map.entry(key).or_insert_with(|| MinuteDelta {
            minute: now_minute(),
            subject: call.subject,
            name: call.name.to_string(),
            connection: call.connection.to_string(),
            ..MinuteDelta::default()
        });
        d.calls += 1;
        if let Some(class) = call.error_class {
            *d.errors.entry(class.to_string()).or_insert(0) += 1;
        }
        d.cache_hits += u64::from(call.cached);
        d.rows += call.rows;
        d.bytes += call.bytes;
        d.latency.observe_micros(u64::try_from(call.elapsed.as_micros()).unwrap_or(u64::MAX));
    }

    /// Queues one request-log record, or counts it dropped when the buffer is full.
    pub fn log(&self, record: CallRecord) {
        if !self.enabled() {
            return;
        }
        let Ok(mut q) = self.records.lock() else { return };
        if q.len() >= MAX_PENDING_RECORDS {
            self.dropped_records.fetch_add(1, Relaxed);
            return;
        }
        q.push_back(record);
    }

    /// Takes what one delivery may carry; the rest waits for the next one.
    pub fn take(&self) -> Batch {
        let mut batch = Batch::default();
        if let Ok(mut map) = self.deltas.lock() {
            if map.len() <= MAX_DELTAS {
                batch.deltas = map.drain().map(|(_, d)| d).collect();
            } else {
                let keys: Vec<Key> = map.keys().take(MAX_DELTAS).cloned().collect();
                batch.deltas = keys.iter().filter_map(|k| map.remove(k)).collect();
            }
        }
        if let Ok(mut q) = self.records.lock() {
            let n = q.len().min(MAX_RECORDS);
            batch.records = q.drain(..n).collect();
        }
        batch
    }

    /// `(deltas, records)` dropped since the process started.
    pub fn dropped(&self) -> (u64, u64) {
        (self.dropped_deltas.load(Relaxed), self.dropped_records.load(Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &'static str, error_class: Option<&'static str>) -> FinishedCall<'static> {
        FinishedCall {
            subject: Subject::Tool,
            name,
            connection: "c",
            elapsed: Duration::from_millis(3),
            rows: 2,
            bytes: 10,
            cached: false,
            error_class,
        }
    }

    #[test]
    fn nothing_is_kept_until_delivery_is_enabled_and_calls_of_a_minute_merge() {
        let t = Telemetry::default();
        t.record(&call("a", None));
        assert!(t.take().deltas.is_empty());
        t.enable();
        t.record(&call("a", None));
        t.record(&call("a", Some("timeout")));
        t.record(&call("b", None));
        let mut batch = t.take();
        batch.deltas.sort_by(|x, y| x.name.cmp(&y.name));
        assert_eq!(batch.deltas.len(), 2);
        let a = &batch.deltas[0];
        assert_eq!((a.calls, a.rows, a.bytes, a.errors["timeout"], a.latency.count()), (2, 4, 20, 1, 2));
        assert!(t.take().deltas.is_empty(), "a batch is taken once");
    }

    #[test]
    fn a_full_record_buffer_drops_and_counts_instead_of_growing() {
        let t = Telemetry::default();
        t.enable();
        let record = CallRecord {
            at: chrono::Utc::now(),
            release: 1,
            subject: Subject::Tool,
            name: "a".into(),
            client: "anonymous".into(),
            duration_us: 1,
            queue_wait_us: 0,
            db_us: 1,
            rows: 0,
            bytes: 0,
            error_class: None,
            arguments: serde_json::json!({}),
        };
        for _ in 0..MAX_PENDING_RECORDS + 5 {
            t.log(record.clone());
        }
        assert_eq!(t.dropped(), (0, 5));
        assert_eq!(t.take().records.len(), MAX_RECORDS);
    }
}
