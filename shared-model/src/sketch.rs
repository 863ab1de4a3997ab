//! A mergeable latency distribution with fixed logarithmic buckets (the
//! DDSketch mapping): bucket `i` holds durations in `(γ^(i-1), γ^i]`
//! microseconds with `γ = (1 + α) / (1 − α)` and `α` = [`RELATIVE_ERROR`] (1 %).
//! A quantile read from any sum of these buckets is within 1 % of the exact
//! nearest-rank quantile of the durations put in, so minute buckets of many
//! runtime instances add up (bucket by bucket) to the distribution of all
//! their calls — percentiles are never averaged. Buckets are sparse: only the
//! non-empty ones are kept and sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The guaranteed relative error of a quantile (`α`).
pub const RELATIVE_ERROR: f64 = 0.01;

/// The highest bucket index: durations of an hour or more share it.
pub const MAX_INDEX: u32 = 1100;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
}

/// The bucket of a duration in microseconds (0 and 1 µs share bucket 0).
pub fn index_of(micros: u64) -> u32 {
    if micros <= 1 {
        return 0;
    }
    let i = ((micros as f64).ln() / gamma().ln()).ceil();
    (i as u32).min(MAX_INDEX)
}

/// The value, in microseconds, that stands for bucket `index`: within
/// [`RELATIVE_ERROR`] of every duration the bucket holds.
pub fn value_of(index: u32) -> f64 {
    if index == 0 {
        return 1.0;
    }
    let g = gamma();
    2.0 * g.powi(index as i32) / (g + 1.0)
}

/// Counts per bucket index, only non-empty buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sketch {
    /// Bucket index → observations.
    pub buckets: BTreeMap<u32, u64>,
}

impl Sketch {
    /// Adds one duration in microseconds.
    pub fn observe_micros(&mut self, micros: u64) {
        *self.buckets.entry(index_of(micros)).or_insert(0) += 1;
    }

    /// Adds every observation of `other`.
    pub fn merge(&mut self, other: &Sketch) {
        for (i, n) in &other.buckets {
            *self.buckets.entry(*i).or_insert(0) += n;
        }
    }

    /// Observations in all.
    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// The nearest-rank `q` quantile (0–1) in milliseconds, `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in &self.buckets {
            seen += n;
            if seen >= rank {
                return Some(value_of(*i) / 1e3);
            }
        }
        self.buckets.keys().next_back().map(|i| value_of(*i) / 1e3)
    }

    /// The compact text form stored on disk: `index:count` pairs joined by `,`.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.buckets.len() * 8);
        for (i, n) in &self.buckets {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&format!("{i}:{n}"));
        }
        out
    }

    /// Reads [`Sketch::encode`]'s form; malformed pairs are skipped.
    pub fn decode(text: &str) -> Sketch {
        let buckets = text
            .split(',')
            .filter_map(|p| p.split_once(':'))
            .filter_map(|(i, n)| Some((i.trim().parse::<u32>().ok()?.min(MAX_INDEX), n.trim().parse::<u64>().ok()?)))
            .fold(BTreeMap::new(), |mut m, (i, n)| {
                *m.entry(i).or_insert(0) += n;
                m
            });
        Sketch { buckets }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(sorted: &[u64], q: f64) -> f64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1] as f64 / 1e3
    }

    #[test]
    fn quantiles_of_merged_sketches_are_within_the_stated_error_of_the_exact_ones() {
        let mut a = Sketch::default();
        let mut b = Sketch::default();
        let mut all = Vec::new();
        // Two skewed populations, as two replicas with different loads would see.
        for k in 1..=3000u64 {
            let fast = 200 + (k * 7919) % 5000;
            let slow = 20_000 + (k * 104_729) % 900_000;
            a.observe_micros(fast);
            b.observe_micros(slow);
            all.extend([fast, slow]);
        }
        all.sort_unstable();
        a.merge(&b);
        assert_eq!(a.count(), 6000);
        for q in [0.5, 0.9, 0.95, 0.99] {
            let got = a.quantile_ms(q).unwrap();
            let want = exact(&all, q);
            assert!((got - want).abs() <= want * RELATIVE_ERROR, "q{q}: {got} vs {want}");
        }
        assert_eq!(Sketch::default().quantile_ms(0.5), None);
    }

    #[test]
    fn the_text_form_round_trips_and_bounds_every_index() {
        let mut s = Sketch::default();
        for us in [0, 1, 2, 999, 1_000_000, u64::MAX] {
            s.observe_micros(us);
        }
        assert_eq!(Sketch::decode(&s.encode()), s);
        assert_eq!(index_of(u64::MAX), MAX_INDEX);
        assert_eq!(Sketch::decode("x,3:2,9999:1").buckets, BTreeMap::from([(3, 2), (MAX_INDEX, 1)]));
    }
}
