//! A bounded map from a presented token to what was decided about it, until
//! a deadline. Keys are the token's SHA-256, so the cache never holds a
//! token; at most [`MAX_ENTRIES`] entries — when full, expired ones go first,
//! and then the whole cache (a burst of new tokens costs one full check each,
//! never unbounded memory).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Most tokens one cache remembers.
pub const MAX_ENTRIES: usize = 10_000;

/// The key of `token` in a [`TokenCache`].
pub type Key = [u8; 32];

/// Decisions about tokens, each valid until its own deadline.
#[derive(Debug)]
pub struct TokenCache<V>(Mutex<HashMap<Key, (V, Instant)>>);

impl<V> Default for TokenCache<V> {
    fn default() -> Self {
        TokenCache(Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> TokenCache<V> {
    /// The cache key of `token`.
    pub fn key(token: &str) -> Key {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The decision kept for `key`, unless its deadline has passed.
    pub fn get(&self, key: &Key) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(_, until)| *until > Instant::now()).map(|(v, _)| v.clone())
    }

    /// Keeps `value` for `key` during `keep` (nothing when `keep` is zero).
    pub fn put(&self, key: Key, value: V, keep: Duration) {
        if keep.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            map.retain(|_, (_, until)| *until > now);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(key, (value, now + keep));
    }

    /// How many decisions are kept (expired ones included until evicted).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_expire_and_the_cache_stays_bounded() {
        let cache = TokenCache::<u32>::default();
        let k = TokenCache::<u32>::key("a");
        cache.put(k, 1, Duration::from_secs(60));
        assert_eq!(cache.get(&k), Some(1));
        cache.put(TokenCache::<u32>::key("gone"), 2, Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(cache.get(&TokenCache::<u32>::key("gone")), None);
        cache.put(TokenCache::<u32>::key("zero"), 3, Duration::ZERO);
        assert_eq!(cache.get(&TokenCache::<u32>::key("zero")), None);
        for i in 0..MAX_ENTRIES + 5 {
            cache.put(TokenCache::<u32>::key(&i.to_string()), 0, Duration::from_secs(60));
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
