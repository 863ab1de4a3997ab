//! The agent activity log's domain: one [`ActivityEntry`] per agent tool call
//! (credential, tool, arguments with secret-named values redacted, outcome,
//! duration), its filters and per-tool / per-credential statistics. Stored by
//! `storage::agent_activity`, kept as long as the request log
//! (`QUARRY_REQUEST_LOG_DAYS`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// What became of a call.
pub mod outcome {
    /// The tool ran and succeeded.
    pub const OK: &str = "ok";
    /// The tool ran (or its arguments were checked) and failed.
    pub const ERROR: &str = "error";
    /// The credential lacks the tool's scope; nothing ran.
    pub const REFUSED: &str = "refused";
    /// Over the per-credential rate; nothing ran.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Every outcome.
    pub const ALL: [&str; 4] = [OK, ERROR, REFUSED, RATE_LIMITED];
}

/// One agent tool call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityEntry {
    /// Increasing id.
    pub id: i64,
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The credential's id (an agent token's id).
    pub credential_id: String,
    /// The credential's name when it called.
    pub credential_name: String,
    /// The agent tool.
    pub tool: String,
    /// Its arguments; values under names like password, secret or token are `"***"`.
    pub arguments: Value,
    /// `ok`, `error`, `refused` or `rate_limited`.
    pub outcome: String,
    /// The error's `detail`, when it did not succeed.
    pub detail: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: f64,
}

/// A call about to be recorded.
#[derive(Debug, Clone)]
pub struct NewActivity {
    /// The credential's id.
    pub credential_id: String,
    /// The credential's name.
    pub credential_name: String,
    /// The agent tool.
    pub tool: String,
    /// Arguments, already redacted.
    pub arguments: Value,
    /// One of [`outcome::ALL`].
    pub outcome: &'static str,
    /// The error's `detail`.
    pub detail: Option<String>,
    /// Duration in microseconds.
    pub duration_us: i64,
}

/// Which calls to list or count.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Only this credential (id).
    pub credential_id: Option<String>,
    /// Only this tool.
    pub tool: Option<String>,
    /// Only this outcome.
    pub outcome: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Counts and latencies of one tool or one credential.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityStatsRow {
    /// The tool name, or the credential id.
    pub key: String,
    /// For a credential: its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Calls.
    pub calls: u64,
    /// Calls that did not succeed (error, refused, rate limited).
    pub errors: u64,
    /// Median duration, ms.
    pub p50_ms: f64,
    /// 95th-percentile duration, ms.
    pub p95_ms: f64,
}

/// Statistics of the calls a filter selects.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityStats {
    /// Calls counted (at most [`STATS_MAX_CALLS`], the newest).
    pub calls: u64,
    /// Per tool, most called first.
    pub by_tool: Vec<ActivityStatsRow>,
    /// Per credential, most calling first.
    pub by_credential: Vec<ActivityStatsRow>,
}

/// Most calls a statistics answer reads (the newest), so it stays bounded.
pub const STATS_MAX_CALLS: u64 = 100_000;

/// `arguments` with every value under a secret-looking name (see
/// `shared_model::is_secret_key`) replaced by `"***"`, at any depth.
pub fn redact(arguments: &Value) -> Value {
    match arguments {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if shared_model::is_secret_key(k) { Value::String("***".into()) } else { redact(v) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

/// The `q` quantile (0–1) of sorted `values` (nearest rank).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_named_values_are_redacted_at_any_depth() {
        let args =
            json!({"name": "pg", "password": "pw", "patch": {"api_token": "t", "host": "h"}, "list": [{"secret": 1}]});
        assert_eq!(
            redact(&args),
            json!({"name": "pg", "password": "***", "patch": {"api_token": "***", "host": "h"}, "list": [{"secret": "***"}]})
        );
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.95), 95.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
