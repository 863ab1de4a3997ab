//! Gathers rows under the row and byte caps. Each driver pushes rows until
//! [`Collector::push`] says stop; the driver then stops fetching. A page past
//! the first skips `offset` rows first: the server still produces them (the
//! drivers ask for `offset + max_rows + 1` rows), the collector drops them.

use serde_json::{Map, Value};

use super::Limits;

/// The caps of one execution and where its page starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    /// Row, byte and time bounds.
    pub(crate) limits: Limits,
    /// Rows to drop before the first one kept.
    pub(crate) offset: usize,
}

impl std::ops::Deref for Window {
    type Target = Limits;

    fn deref(&self) -> &Limits {
        &self.limits
    }
}

/// Accumulates JSON rows and notices when a cap is reached.
pub(crate) struct Collector {
    skip: usize,
    rows: Vec<Map<String, Value>>,
    bytes: usize,
    max_rows: usize,
    max_bytes: usize,
    truncated: bool,
}

impl Collector {
    pub(crate) fn new(window: &Window) -> Self {
        let limits = &window.limits;
        Collector {
            skip: window.offset,
            rows: Vec::with_capacity(limits.max_rows.min(256)),
            bytes: 2,
            max_rows: limits.max_rows,
            max_bytes: limits.max_bytes,
            truncated: false,
        }
    }

    /// How many rows to fetch: one past the cap, to learn whether more exist.
    pub(crate) fn fetch_limit(&self) -> usize {
        self.skip.saturating_add(self.max_rows).saturating_add(1)
    }

    /// Adds a row; returns `false` once the result is full (the row that did
    /// not fit is dropped and the result marked truncated).
    pub(crate) fn push(&mut self, row: Map<String, Value>) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            return true;
        }
        if self.rows.len() >= self.max_rows {
            self.truncated = true;
            return false;
        }
        let size = object_size(&row) + 1;
        if self.bytes + size > self.max_bytes {
            self.truncated = true;
            return false;
        }
        self.bytes += size;
        self.rows.push(row);
        true
    }

    /// The rows kept and whether any were cut.
    pub(crate) fn finish(self) -> (Vec<Map<String, Value>>, bool) {
        (self.rows, self.truncated)
    }
}

/// The length of `v` as compact JSON, computed without serializing. Strings
/// count their bytes plus quotes (escapes are not counted: the cap bounds
/// memory, not the exact wire size).
pub(crate) fn json_size(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!b),
        Value::Number(n) => n.as_str().len(),
        Value::String(s) => s.len() + 2,
        Value::Array(a) => 1 + a.iter().map(|x| json_size(x) + 1).sum::<usize>().max(1),
        Value::Object(o) => object_size(o),
    }
}

fn object_size(o: &Map<String, Value>) -> usize {
    // Each entry is `"k":v,`; the last comma stands for the closing brace.
    1 + o.iter().map(|(k, v)| k.len() + 4 + json_size(v)).sum::<usize>().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn the_size_estimate_matches_compact_json_for_plain_values() {
        let v = json!({"a": [1, true, null, "xy"], "bb": {"c": 1.5}});
        assert_eq!(json_size(&v), serde_json::to_string(&v).unwrap().len());
        assert_eq!(
            json_size(&json!({"e": [], "o": {}})),
            serde_json::to_string(&json!({"e": [], "o": {}})).unwrap().len()
        );
    }

    #[test]
    fn row_and_byte_caps_mark_the_result_truncated() {
        let row = |i: i64| json!({"i": i}).as_object().unwrap().clone();
        let window = |max_rows, max_bytes, offset| Window {
            limits: Limits { max_rows, max_bytes, timeout: Duration::from_secs(1) },
            offset,
        };
        let mut c = Collector::new(&window(2, 1000, 0));
        assert!(c.push(row(1)) && c.push(row(2)) && !c.push(row(3)));
        assert_eq!(c.finish().0.len(), 2);
        let mut c = Collector::new(&window(100, 12, 0));
        assert!(c.push(row(1)));
        assert!(!c.push(row(2)));
        let (rows, truncated) = c.finish();
        assert_eq!((rows.len(), truncated), (1, true));
        // A page skips its offset first; skipped rows count against no cap.
        let mut c = Collector::new(&window(2, 1000, 3));
        assert_eq!(c.fetch_limit(), 6);
        assert!((1..=5).all(|i| c.push(row(i))) && !c.push(row(6)));
        assert_eq!(c.finish().0, [row(4), row(5)]);
    }
}
