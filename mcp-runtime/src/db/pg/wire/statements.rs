//! The prepared statements of one connection.
//!
//! A call prepares its statement and the ones around it (`BEGIN`,
//! `set_config`, `ROLLBACK` …) one after the other, then binds them all in one
//! pipeline, so each must stay on the server from the moment the call gets it
//! until the call ends. The cache therefore never closes a statement a call
//! still holds: a call keeps an `Arc` of every statement it uses, and only
//! entries whose `Arc` is the cache's own are evicted (least recently used
//! first, when the cache is full) or, once forgotten, closed. The `Close`
//! messages go out with the next `Parse`, so they cost no round trip.

use std::collections::HashMap;
use std::sync::Arc;

use super::Statement;

/// Prepared statements kept per connection (previews run arbitrary SQL).
/// A call may hold a few more while it runs.
pub(crate) const MAX_STATEMENTS: usize = 256;

/// Statements by SQL text, with their last use.
#[derive(Debug, Default)]
pub(super) struct StatementCache {
    entries: HashMap<String, Entry>,
    /// Out of the cache, still on the server: closed once no call holds them.
    retired: Vec<Arc<Statement>>,
    /// Counts lookups; an entry's `used` is the count at its last lookup.
    clock: u64,
    /// Makes server-side names unique for the connection's lifetime.
    names: u64,
}

#[derive(Debug)]
struct Entry {
    stmt: Arc<Statement>,
    used: u64,
}

impl StatementCache {
    /// The statement prepared for `sql`, if any, marked as just used.
    pub(super) fn get(&mut self, sql: &str) -> Option<Arc<Statement>> {
        self.clock += 1;
        let entry = self.entries.get_mut(sql)?;
        entry.used = self.clock;
        Some(entry.stmt.clone())
    }

    /// Whether `sql` is prepared on this connection.
    pub(super) fn contains(&self, sql: &str) -> bool {
        self.entries.contains_key(sql)
    }

    /// A server-side name never used before on this connection.
    pub(super) fn new_name(&mut self) -> String {
        self.names += 1;
        format!("q{}", self.names)
    }

    /// Before a new statement is prepared: while the cache is full, retires
    /// the least recently used statement no call holds, so that it is closed
    /// in the same exchange as the new one's `Parse`.
    pub(super) fn make_room(&mut self) {
        while self.entries.len() >= MAX_STATEMENTS {
            let idle = self.entries.iter().filter(|(_, e)| Arc::strong_count(&e.stmt) == 1);
            let Some(oldest) = idle.min_by_key(|(_, e)| e.used).map(|(sql, _)| sql.clone()) else { break };
            self.forget(&oldest);
        }
    }

    /// Adds a freshly prepared statement.
    pub(super) fn insert(&mut self, sql: &str, stmt: Arc<Statement>) {
        self.clock += 1;
        self.entries.insert(sql.to_string(), Entry { stmt, used: self.clock });
    }

    /// Takes `sql` out of the cache; its server copy is closed once no call holds it.
    pub(super) fn forget(&mut self, sql: &str) {
        if let Some(e) = self.entries.remove(sql) {
            self.retired.push(e.stmt);
        }
    }

    /// The names of retired statements no call holds any more, to close now.
    pub(super) fn take_closable(&mut self) -> Vec<String> {
        let (free, held): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.retired).into_iter().partition(|s| Arc::strong_count(s) == 1);
        self.retired = held;
        free.into_iter().map(|s| s.name.clone()).collect()
    }

    /// Statements on the server: cached and retired.
    #[cfg(test)]
    fn on_server(&self) -> usize {
        self.entries.len() + self.retired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare(cache: &mut StatementCache, sql: &str) -> Arc<Statement> {
        if let Some(s) = cache.get(sql) {
            return s;
        }
        cache.make_room();
        let stmt = Arc::new(Statement { name: cache.new_name(), columns: Vec::new(), origins: Vec::new() });
        cache.insert(sql, stmt.clone());
        stmt
    }

    #[test]
    fn a_full_cache_retires_the_least_recently_used_statement() {
        let mut cache = StatementCache::default();
        for i in 0..MAX_STATEMENTS {
            prepare(&mut cache, &format!("SELECT {i}"));
        }
        prepare(&mut cache, "SELECT 0"); // used again: now the most recent
        let first = prepare(&mut cache, "SELECT 1").name.clone();
        prepare(&mut cache, "SELECT 1000");
        assert!(cache.contains("SELECT 0") && !cache.contains("SELECT 2"));
        assert_eq!(cache.take_closable().len(), 1);
        assert_eq!(cache.get("SELECT 1").map(|s| s.name.clone()), Some(first));
        assert_eq!(cache.on_server(), MAX_STATEMENTS);
    }

    #[test]
    fn a_statement_a_call_holds_is_never_closed() {
        let mut cache = StatementCache::default();
        // A call holds every statement it has prepared so far …
        let held: Vec<_> = (0..MAX_STATEMENTS).map(|i| prepare(&mut cache, &format!("SELECT {i}"))).collect();
        // … and prepares one more: the cache grows rather than close one of them.
        let extra = prepare(&mut cache, "BEGIN");
        assert_eq!(cache.take_closable(), Vec::<String>::new());
        assert!((0..MAX_STATEMENTS).all(|i| cache.contains(&format!("SELECT {i}"))));
        // A forgotten statement is closed only after the call lets go of it.
        cache.forget("BEGIN");
        assert!(cache.take_closable().is_empty());
        let name = extra.name.clone();
        drop(extra);
        assert_eq!(cache.take_closable(), vec![name]);
        drop(held);
        prepare(&mut cache, "SELECT 'next call'");
        assert_eq!(cache.take_closable().len(), 1, "the least recently used one, now that no call holds it");
    }
}
