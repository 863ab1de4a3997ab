//! Metrics and the request log as the API shows them, and how long the store
//! keeps them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// How long delivered telemetry is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Minute rows (`QUARRY_METRICS_MINUTE_HOURS`, default 48).
    pub minute_hours: u32,
    /// Hourly rollups (`QUARRY_METRICS_HOUR_DAYS`, default 90).
    pub hour_days: u32,
    /// Request-log records (`QUARRY_REQUEST_LOG_DAYS`, default 30).
    pub log_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { minute_hours: 48, hour_days: 90, log_days: 30 }
    }
}

/// Aggregates of one tool, resource or prompt over a period.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SubjectStats {
    /// `tool`, `resource` or `prompt`.
    pub subject: String,
    /// Its manifest name.
    pub name: String,
    /// Calls finished.
    pub calls: u64,
    /// Failed calls.
    pub errors: u64,
    /// Failed calls by class (`invalid_argument`, `database_error`, `timeout`, `busy`, …).
    pub errors_by_class: BTreeMap<String, u64>,
    /// `errors / calls` (0 without calls).
    pub error_rate: f64,
    /// Latency percentiles in ms from the merged distribution of every instance (±1 %); null without calls.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Rows per call.
    pub mean_rows: f64,
    /// Result bytes per call.
    pub mean_bytes: f64,
    /// Calls answered from the cache.
    pub cache_hits: u64,
    /// Start of the last minute with a call.
    pub last_called: Option<DateTime<Utc>>,
}

/// One point of a time series.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TimePoint {
    /// Start of the step.
    pub at: DateTime<Utc>,
    /// Calls finished in the step.
    pub calls: u64,
    /// Of which failed.
    pub errors: u64,
    /// Median latency, ms (null without calls).
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
}

/// A series of points.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TimeSeries {
    /// Seconds per point.
    pub step_seconds: u64,
    /// Oldest first; steps without calls are included with zeros.
    pub points: Vec<TimePoint>,
}

/// One connection's queue, as one instance or summed over all.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct QueueFigures {
    /// Queries running now.
    pub running: u64,
    /// Calls waiting for a slot now.
    pub waiting: u64,
    /// `max_concurrent_queries` (summed: the capacity of all instances).
    pub limit: u64,
    /// Calls refused, line full (since each instance started).
    pub rejected: u64,
    /// Calls that gave up waiting (since each instance started).
    pub timed_out: u64,
    /// Median admission wait over the last delivery interval, ms.
    pub wait_p50_ms: Option<f64>,
    /// 95th percentile admission wait, ms.
    pub wait_p95_ms: Option<f64>,
    /// Pool connections in use.
    pub pool_in_use: u64,
    /// Pool connections idle.
    pub pool_idle: u64,
}

/// One instance's view of a connection's queue.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct InstanceQueue {
    /// The runtime process.
    pub instance_id: String,
    /// When its snapshot arrived.
    pub reported_at: DateTime<Utc>,
    /// Its figures.
    #[serde(flatten)]
    pub figures: QueueFigures,
}

/// A connection's queue across the instances that reported in the last two minutes.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ConnectionQueue {
    /// Connection id.
    pub connection_id: String,
    /// Summed over instances; wait percentiles from the merged distributions.
    pub total: QueueFigures,
    /// Per instance.
    pub instances: Vec<InstanceQueue>,
}

/// One MCP call in the request log.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct LogEntry {
    /// Increasing id.
    pub id: i64,
    /// When the call finished.
    pub at: DateTime<Utc>,
    /// The runtime process that served it.
    pub instance_id: String,
    /// The release that served it.
    pub release: u64,
    /// `tool`, `resource` or `prompt`.
    pub subject: String,
    /// Its manifest name.
    pub name: String,
    /// The token's name, or `anonymous` (`token:<id>` when the token no longer exists).
    pub client: String,
    /// Whole duration, ms.
    pub duration_ms: f64,
    /// Of which waiting for a queue slot, ms.
    pub queue_wait_ms: f64,
    /// Of which on the database, ms.
    pub db_ms: f64,
    /// Rows returned.
    pub rows: u64,
    /// Result bytes returned.
    pub bytes: u64,
    /// `ok` or `error`.
    pub outcome: String,
    /// The error class, for `error`.
    pub error_class: Option<String>,
    /// The arguments; parameters marked `sensitive` show `[redacted]`.
    #[schema(value_type = Object)]
    pub arguments: Value,
}

/// Filters of the request log.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Exact manifest name.
    pub name: Option<String>,
    /// `Some(true)`: only failures; `Some(false)`: only successes.
    pub failed: Option<bool>,
    /// Exact stored client (`anonymous` or `token:<id>`).
    pub client: Option<String>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Text contained in the name, error class or arguments.
    pub text: Option<String>,
}
