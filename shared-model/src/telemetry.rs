//! What a runtime delivers to the control plane besides its heartbeat:
//! `POST /api/v1/runtime/telemetry`, on the same street as the manifest pull
//! and the heartbeat (the runtime calls the plane; the plane never calls it).
//!
//! Each runtime *process* names itself with a fresh `instance_id` at start
//! and numbers its deliveries `1, 2, 3…`. A delivery carries per-minute deltas
//! (per tool / resource / prompt and connection), the current queue snapshot
//! and a batch of request-log records. A delivery that got no answer is resent
//! unchanged, with the same number, until one arrives; the control plane
//! applies `(instance_id, sequence)` once, so a retry is never counted twice,
//! and a restarted runtime is a new instance whose counts add to the old ones.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sketch::Sketch;

/// Path of the delivery, under the control plane's base URL.
pub const TELEMETRY_PATH: &str = "/api/v1/runtime/telemetry";

/// Most metric deltas one delivery may carry.
pub const MAX_DELTAS: usize = 5_000;
/// Most request-log records one delivery may carry.
pub const MAX_RECORDS: usize = 1_000;

/// What a call was made on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Subject {
    /// `tools/call`.
    #[default]
    Tool,
    /// `resources/read`.
    Resource,
    /// `prompts/get`.
    Prompt,
}

impl Subject {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Tool => "tool",
            Subject::Resource => "resource",
            Subject::Prompt => "prompt",
        }
    }

    /// Parses [`Subject::as_str`]'s form.
    pub fn parse(s: &str) -> Option<Subject> {
        match s {
            "tool" => Some(Subject::Tool),
            "resource" => Some(Subject::Resource),
            "prompt" => Some(Subject::Prompt),
            _ => None,
        }
    }
}

/// One delivery of one runtime process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// This process's id: the heartbeat's instance name plus a random suffix
    /// drawn at start (≤ 100 characters).
    pub instance_id: String,
    /// 1 for the first delivery of the process, then +1 per new delivery; a
    /// resend keeps its number.
    pub sequence: u64,
    /// The release served when the delivery was cut (0: none).
    #[serde(default)]
    pub release: u64,
    /// Calls finished since the previous delivery, per minute and subject.
    #[serde(default)]
    pub metrics: Vec<MinuteDelta>,
    /// The queues as they are now (absolute values, not deltas).
    #[serde(default)]
    pub queues: Vec<QueueSnapshot>,
    /// Request-log records, oldest first.
    #[serde(default)]
    pub records: Vec<CallRecord>,
    /// Records the runtime dropped since it started because its buffer was full.
    #[serde(default)]
    pub dropped_records: u64,
    /// Metric deltas the runtime dropped since it started (buffer full).
    #[serde(default)]
    pub dropped_deltas: u64,
}

/// Calls of one subject on one connection that finished within one minute.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MinuteDelta {
    /// Start of the minute, Unix seconds (a multiple of 60).
    pub minute: i64,
    /// Tool, resource or prompt.
    pub subject: Subject,
    /// Its name in the manifest.
    pub name: String,
    /// The connection id it ran on (empty for prompts).
    #[serde(default)]
    pub connection: String,
    /// Calls finished.
    pub calls: u64,
    /// Failed calls by error class (`invalid_argument`, `timeout`, `busy`, …).
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// Calls answered from the result cache.
    #[serde(default)]
    pub cache_hits: u64,
    /// Rows returned, summed.
    #[serde(default)]
    pub rows: u64,
    /// Bytes of result text returned, summed.
    #[serde(default)]
    pub bytes: u64,
    /// Latency of the calls (queue wait included).
    #[serde(default)]
    pub latency: Sketch,
}

/// One connection's queue and pool, as one instance sees it now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    /// Connection id.
    pub connection: String,
    /// Queries running now.
    pub running: u64,
    /// Calls waiting for a slot now.
    pub waiting: u64,
    /// `max_concurrent_queries`.
    pub limit: u64,
    /// `max_waiters`.
    pub max_waiters: u64,
    /// Calls refused because the line was full, since the process started.
    pub rejected: u64,
    /// Calls that gave up waiting, since the process started.
    pub timed_out: u64,
    /// Admission waits since the previous delivery.
    #[serde(default)]
    pub wait: Sketch,
    /// Pool connections in use.
    #[serde(default)]
    pub pool_in_use: u64,
    /// Pool connections idle.
    #[serde(default)]
    pub pool_idle: u64,
}

/// One MCP call, as the request log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// When the call finished.
    pub at: DateTime<Utc>,
    /// The release that served it.
    pub release: u64,
    /// Tool, resource or prompt.
    pub subject: Subject,
    /// Its name in the manifest (a resource's URI template name).
    pub name: String,
    /// `token:<id>` for a bearer token, else `anonymous`.
    pub client: String,
    /// Whole duration in microseconds.
    pub duration_us: u64,
    /// Of which waiting for a queue slot.
    pub queue_wait_us: u64,
    /// Of which running on the database.
    pub db_us: u64,
    /// Rows returned.
    pub rows: u64,
    /// Bytes of result text returned.
    pub bytes: u64,
    /// `None` when it succeeded, else the error class.
    pub error_class: Option<String>,
    /// The arguments, with `sensitive` parameters replaced by [`REDACTED`].
    pub arguments: Value,
}

/// What stands in the request log for a `sensitive` argument.
pub const REDACTED: &str = "[redacted]";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_round_trips_and_an_empty_one_reads_with_defaults() {
        let mut latency = Sketch::default();
        latency.observe_micros(1500);
        let d = Delivery {
            instance_id: "pod-1.ab12".into(),
            sequence: 3,
            metrics: vec![MinuteDelta {
                minute: 60,
                subject: Subject::Tool,
                name: "t".into(),
                calls: 1,
                latency,
                ..Default::default()
            }],
            ..Default::default()
        };
        let back: Delivery = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
        let empty: Delivery = serde_json::from_str(r#"{"instance_id":"x","sequence":1}"#).unwrap();
        assert!(empty.metrics.is_empty() && empty.records.is_empty());
        assert_eq!(Subject::parse(Subject::Prompt.as_str()), Some(Subject::Prompt));
    }
}
