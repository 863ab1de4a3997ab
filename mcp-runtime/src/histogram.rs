//! A lock-free latency histogram with fixed buckets, plus min/max/sum, from
//! which both Prometheus output and interpolated percentiles are derived.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (the last bucket is +Inf).
pub const BUCKETS_SECONDS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Durations observed, in microseconds.
#[derive(Debug)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS_SECONDS.len() + 1],
    count: AtomicU64,
    sum_us: AtomicU64,
    min_us: AtomicU64,
    max_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
            min_us: AtomicU64::new(u64::MAX),
            max_us: AtomicU64::new(0),
        }
    }
}

/// A point-in-time copy of a histogram.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Non-cumulative count per bucket; the last is the +Inf bucket.
    pub buckets: Vec<u64>,
    /// Observations.
    pub count: u64,
    /// Sum in seconds.
    pub sum_seconds: f64,
    /// Smallest observation in ms (0 when empty).
    pub min_ms: f64,
    /// Largest observation in ms.
    pub max_ms: f64,
}

impl Histogram {
    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let secs = d.as_secs_f64();
        let idx = BUCKETS_SECONDS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS_SECONDS.len());
        self.buckets[idx].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
        self.min_us.fetch_min(us, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
    }

    /// Copies the current values.
    pub fn snapshot(&self) -> Snapshot {
        let count = self.count.load(Relaxed);
        let min = self.min_us.load(Relaxed);
        Snapshot {
            buckets: self.buckets.iter().map(|b| b.load(Relaxed)).collect(),
            count,
            sum_seconds: self.sum_us.load(Relaxed) as f64 / 1e6,
            min_ms: if count == 0 { 0.0 } else { min as f64 / 1e3 },
            max_ms: self.max_us.load(Relaxed) as f64 / 1e3,
        }
    }
}

impl Snapshot {
    /// Mean in ms (0 when empty).
    pub fn avg_ms(&self) -> f64 {
        if self.count == 0 { 0.0 } else { self.sum_seconds * 1e3 / self.count as f64 }
    }

    /// The `q` quantile in ms, interpolated linearly inside its bucket and
    /// clamped to the observed min/max.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = q * self.count as f64;
        let mut seen = 0.0;
        for (i, &n) in self.buckets.iter().enumerate() {
            let n = n as f64;
            if n > 0.0 && seen + n >= rank {
                let lo = if i == 0 { 0.0 } else { BUCKETS_SECONDS[i - 1] * 1e3 };
                let hi = BUCKETS_SECONDS.get(i).map_or(self.max_ms, |b| b * 1e3);
                let v = lo + (hi - lo) * ((rank - seen) / n);
                return v.clamp(self.min_ms, self.max_ms);
            }
            seen += n;
        }
        self.max_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_interpolated_and_clamped_to_observations() {
        let h = Histogram::default();
        for ms in 1..=100u64 {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.count, 100);
        assert_eq!((s.min_ms, s.max_ms), (1.0, 100.0));
        assert!((s.avg_ms() - 50.5).abs() < 1e-9);
        let p95 = s.quantile_ms(0.95);
        assert!((50.0..=100.0).contains(&p95), "{p95}");
        assert_eq!(Histogram::default().snapshot().quantile_ms(0.95), 0.0);
    }
}
