//! Minute time series for the control plane's charts: the last 24 hours,
//! one bucket per minute, bounded at 1440 buckets.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Buckets kept: one day of minutes.
pub const MAX_MINUTES: usize = 1440;

/// Calls finished within one minute.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MinuteBucket {
    /// Start of the minute, Unix seconds.
    pub minute: u64,
    /// Calls finished.
    pub calls: u64,
    /// Of which failed.
    pub errors: u64,
    /// Summed latency, ms.
    pub total_ms: f64,
    /// Calls per tool (names from the manifest only).
    pub per_tool: BTreeMap<String, u64>,
}

/// A bounded ring of minute buckets.
#[derive(Debug, Default)]
pub struct Series(Mutex<VecDeque<MinuteBucket>>);

fn now_minute() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 60 * 60)
}

impl Series {
    /// Adds one call to the current minute.
    pub fn record(&self, tool: &str, elapsed: Duration, ok: bool) {
        let minute = now_minute();
        let Ok(mut ring) = self.0.lock() else { return };
        if ring.back().is_none_or(|b| b.minute != minute) {
            if ring.len() == MAX_MINUTES {
                ring.pop_front();
            }
            ring.push_back(MinuteBucket { minute, ..MinuteBucket::default() });
        }
        if let Some(b) = ring.back_mut() {
            b.calls += 1;
            b.errors += u64::from(!ok);
            b.total_ms += elapsed.as_secs_f64() * 1e3;
            match b.per_tool.get_mut(tool) {
                Some(n) => *n += 1,
                None => {
                    b.per_tool.insert(tool.to_string(), 1);
                }
            }
        }
    }

    /// Buckets with `minute >= since` (Unix seconds), oldest first.
    pub fn since(&self, since: u64) -> Vec<MinuteBucket> {
        self.0.lock().map(|r| r.iter().filter(|b| b.minute >= since).cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_in_one_minute_share_a_bucket() {
        let s = Series::default();
        s.record("a", Duration::from_millis(2), true);
        s.record("b", Duration::from_millis(4), false);
        let all = s.since(0);
        assert_eq!(all.len(), 1);
        assert_eq!((all[0].calls, all[0].errors), (2, 1));
        assert_eq!(all[0].per_tool["a"], 1);
        assert!((all[0].total_ms - 6.0).abs() < 1e-9);
    }
}
