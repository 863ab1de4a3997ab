//! The per-tool result cache (`cache_ttl_seconds`): keyed by tool name and
//! the canonical JSON of the validated arguments, bounded in entries and
//! bytes, expired entries evicted first, then the oldest.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::model::CallToolResult;

/// Most entries kept.
pub const MAX_ENTRIES: usize = 1024;
/// Most bytes of results kept (approximate: the size of the structured content).
pub const MAX_BYTES: usize = 64 << 20;

struct Entry {
    expires: Instant,
    inserted: Instant,
    bytes: usize,
    result: Arc<CallToolResult>,
}

/// A bounded TTL cache of tool results.
#[derive(Default)]
pub struct ResultCache {
    inner: Mutex<(HashMap<String, Entry>, usize)>,
}

impl std::fmt::Debug for ResultCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResultCache")
    }
}

/// The cache key of a call: release, tool and canonical arguments.
pub fn key(release: u64, tool: &str, args: &serde_json::Value) -> String {
    format!("{release}\u{0}{tool}\u{0}{}", shared_model::manifest::canonical_json(args))
}

impl ResultCache {
    /// A live entry for `key`.
    pub fn get(&self, key: &str) -> Option<Arc<CallToolResult>> {
        let guard = self.inner.lock().ok()?;
        guard.0.get(key).filter(|e| e.expires > Instant::now()).map(|e| e.result.clone())
    }

    /// Stores `result` for `ttl`, evicting to stay within bounds.
    pub fn put(&self, key: String, ttl: Duration, bytes: usize, result: Arc<CallToolResult>) {
        if bytes > MAX_BYTES / 8 {
            return; // one huge result must not flush everything else
        }
        let Ok(mut guard) = self.inner.lock() else { return };
        let (map, used) = &mut *guard;
        let now = Instant::now();
        if map.len() >= MAX_ENTRIES || *used + bytes > MAX_BYTES {
            let before = map.len();
            map.retain(|_, e| e.expires > now);
            if map.len() == before {
                // Nothing expired: drop the oldest eighth.
                let mut ages: Vec<(Instant, String)> = map.iter().map(|(k, e)| (e.inserted, k.clone())).collect();
                ages.sort();
                for (_, k) in ages.into_iter().take(MAX_ENTRIES / 8 + 1) {
                    map.remove(&k);
                }
            }
            *used = map.values().map(|e| e.bytes).sum();
        }
        let entry = Entry { expires: now + ttl, inserted: now, bytes, result };
        *used += bytes;
        if let Some(old) = map.insert(key, entry) {
            *used -= old.bytes;
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.0.len()).unwrap_or(0)
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_expire_and_the_cache_stays_bounded() {
        let cache = ResultCache::default();
        let r = Arc::new(CallToolResult::success(vec![]));
        let k = key(1, "t", &json!({"b": 1, "a": 2}));
        assert_eq!(k, key(1, "t", &json!({"a": 2, "b": 1})), "argument order does not matter");
        cache.put(k.clone(), Duration::from_secs(60), 10, r.clone());
        assert!(cache.get(&k).is_some());
        cache.put("gone".into(), Duration::ZERO, 10, r.clone());
        assert!(cache.get("gone").is_none());
        for i in 0..MAX_ENTRIES * 2 {
            cache.put(format!("k{i}"), Duration::from_secs(60), 10, r.clone());
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
