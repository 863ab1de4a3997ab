//! The read-only policy: what a read-only statement may do beyond what the
//! database's own READ ONLY transaction forbids, and the least-privilege
//! warnings of the connection test.
//!
//! A READ ONLY transaction that is rolled back stops writes to tables, but not
//! everything a function can do: PostgreSQL lets a read-only transaction
//! signal other sessions, create replication slots, reset statistics, read
//! server files or run SQL text handed to it as a string. [`pg::PgPolicy`]
//! therefore decides, from the server's own grammar and catalog, which
//! functions a statement may call (see its module doc for the rule).
//!
//! Deciding costs a parse and, for names not seen before, one catalog query.
//! Both are paid once per pool and SQL text: verdicts are kept in a
//! [`TtlCache`] keyed by the SQL text, so a deployed tool pays one hash lookup
//! per call. Caches are emptied after [`CACHE_TTL`] (a function whose
//! volatility the owner changed is seen again within that time) and when the
//! connection's settings change (the pool, and its policy, are rebuilt).

pub(crate) mod pg;
mod pg_parse;
pub(crate) mod privileges;

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long a verdict or a catalog answer is kept.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(300);

/// A bounded map from text keys to values that forgets everything after
/// [`CACHE_TTL`] or when full (a cheap bound; refilling costs one parse per
/// distinct statement, and tools are few).
pub(crate) struct TtlCache<V> {
    inner: RwLock<Entries<V>>,
    max: usize,
}

struct Entries<V> {
    since: Instant,
    map: HashMap<Box<str>, V>,
}

impl<V: Clone> TtlCache<V> {
    /// An empty cache holding at most `max` entries.
    pub(crate) fn new(max: usize) -> Self {
        TtlCache { inner: RwLock::new(Entries { since: Instant::now(), map: HashMap::new() }), max }
    }

    /// The value kept for `key`, unless it expired.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let e = self.inner.read().unwrap_or_else(|p| p.into_inner());
        if e.since.elapsed() > CACHE_TTL {
            return None;
        }
        e.map.get(key).cloned()
    }

    /// Keeps `value` for `key`, first emptying the cache when it expired or is full.
    pub(crate) fn put(&self, key: &str, value: V) {
        let mut e = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if e.since.elapsed() > CACHE_TTL || e.map.len() >= self.max {
            e.map.clear();
            e.since = Instant::now();
        }
        e.map.insert(key.into(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_over_instead_of_growing() {
        let c = TtlCache::new(2);
        c.put("a", 1);
        c.put("b", 2);
        assert_eq!((c.get("a"), c.get("b")), (Some(1), Some(2)));
        c.put("c", 3);
        assert_eq!((c.get("a"), c.get("c")), (None, Some(3)));
    }

    #[test]
    fn a_cached_verdict_costs_a_hash_lookup_not_a_parse() {
        // The benchmark tool's SQL after compilation, among 1,000 other verdicts.
        let sql = "SELECT id, status, amount, created_at FROM orders WHERE customer_id = $1 \
                   ORDER BY created_at DESC LIMIT 20";
        let c: TtlCache<Result<(), crate::db::EngineError>> = TtlCache::new(4096);
        for i in 0..1000 {
            c.put(&format!("SELECT {i}"), Ok(()));
        }
        c.put(sql, Ok(()));
        let n = 200_000;
        let started = Instant::now();
        for _ in 0..n {
            assert!(std::hint::black_box(c.get(std::hint::black_box(sql))).is_some());
        }
        let per_call = started.elapsed() / n;
        println!("cached verdict: {per_call:?} per call");
        // Loose bound (a debug build on a loaded machine): far below the
        // ~200 µs of server CPU a call costs.
        assert!(per_call < Duration::from_micros(20), "{per_call:?}");
        let parse = Instant::now();
        pg_parse::analyse(sql).unwrap();
        println!("one parse and tree walk: {:?}", parse.elapsed());
    }
}
