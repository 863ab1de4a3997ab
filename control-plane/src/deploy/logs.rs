//! Runtime and deploy log lines: a bounded ring of recent lines for late
//! joiners plus a bounded broadcast for followers. Writers never wait: a slow
//! follower loses lines (and is told how many), it never holds anyone up.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{Semaphore, broadcast};
use utoipa::ToSchema;

/// Lines kept for clients that connect later.
pub const RING_LINES: usize = 1000;
/// Longest line kept; longer ones are cut.
pub const MAX_LINE_BYTES: usize = 4096;
/// Lines a follower may fall behind before it starts losing them.
const FOLLOW_BUFFER: usize = 256;

/// One log line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LogLine {
    /// When it was captured.
    pub at: DateTime<Utc>,
    /// `runtime` (the runtime's stdout/stderr) or `deploy` (the control plane's deploy steps).
    pub source: &'static str,
    /// The text, without the trailing newline.
    pub line: String,
}

/// Most clients following the logs at once.
pub const MAX_FOLLOWERS: usize = 16;

/// The ring and the broadcast.
pub struct LogBuffer {
    ring: Mutex<VecDeque<LogLine>>,
    tx: broadcast::Sender<LogLine>,
    /// One permit per follower.
    pub followers: Arc<Semaphore>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        LogBuffer {
            ring: Mutex::new(VecDeque::with_capacity(RING_LINES)),
            tx: broadcast::channel(FOLLOW_BUFFER).0,
            followers: Arc::new(Semaphore::new(MAX_FOLLOWERS)),
        }
    }
}

impl LogBuffer {
    /// Records a line from `source`.
    pub fn push(&self, source: &'static str, text: &str) {
        let mut line = text.trim_end_matches(['\r', '\n']).to_string();
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        let entry = LogLine { at: Utc::now(), source, line };
        {
            let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
            if ring.len() == RING_LINES {
                ring.pop_front();
            }
            ring.push_back(entry.clone());
        }
        // No receivers is fine: nobody is following.
        let _ = self.tx.send(entry);
    }

    /// A deploy step, also logged by the control plane.
    pub fn deploy(&self, text: &str) {
        tracing::info!(step = text, "Deploy.");
        self.push("deploy", text);
    }

    /// The recent lines, oldest first, and a receiver for what follows.
    pub fn snapshot_and_follow(&self) -> (Vec<LogLine>, broadcast::Receiver<LogLine>) {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        // Subscribing under the lock means no line falls between the two.
        (ring.iter().cloned().collect(), self.tx.subscribe())
    }

    /// The last `n` lines.
    pub fn tail(&self, n: usize) -> Vec<LogLine> {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        ring.iter().skip(ring.len().saturating_sub(n)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_and_cuts_long_ones() {
        let logs = LogBuffer::default();
        for i in 0..RING_LINES + 5 {
            logs.push("runtime", &format!("line {i}\n"));
        }
        let (recent, _) = logs.snapshot_and_follow();
        assert_eq!(recent.len(), RING_LINES);
        assert_eq!(recent[0].line, "line 5");
        logs.push("runtime", &"é".repeat(MAX_LINE_BYTES));
        assert!(logs.tail(1)[0].line.len() <= MAX_LINE_BYTES + '…'.len_utf8());
    }

    #[test]
    fn a_follower_that_falls_behind_loses_lines_without_blocking_the_writer() {
        let logs = LogBuffer::default();
        let (_, mut rx) = logs.snapshot_and_follow();
        for i in 0..FOLLOW_BUFFER * 2 {
            logs.push("runtime", &format!("{i}"));
        }
        assert!(matches!(rx.try_recv(), Err(broadcast::error::TryRecvError::Lagged(_))));
    }
}
