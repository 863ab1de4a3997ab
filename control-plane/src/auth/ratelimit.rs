//! Failed-login limiting per (client IP, username): five failures within
//! fifteen minutes lock that pair out until the oldest failure ages out.
//! Only failures count, so a legitimate user is never slowed down, and an
//! attacker cannot lock the admin out from another address.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The sliding window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Bound on tracked pairs; the stalest are dropped beyond it.
const MAX_KEYS: usize = 10_000;

type Key = (IpAddr, String);

/// The limiter; shared by all requests.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// `Err(seconds)` when the pair must wait before trying again.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let Some(times) = map.get_mut(&(ip, username.to_lowercase())) else { return Ok(()) };
        while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            times.pop_front();
        }
        if times.len() < MAX_FAILURES {
            return Ok(());
        }
        let oldest = *times.front().expect("at least MAX_FAILURES entries");
        Err((WINDOW - now.duration_since(oldest)).as_secs().max(1))
    }

    /// Counts a failed attempt.
    pub fn record_failure(&self, ip: IpAddr, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            let now = Instant::now();
            map.retain(|_, t| t.back().is_some_and(|last| now.duration_since(*last) < WINDOW));
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let times = map.entry((ip, username.to_lowercase())).or_default();
        times.push_back(Instant::now());
        if times.len() > MAX_FAILURES {
            times.pop_front();
        }
    }

    /// Forgets the failures of a pair after a successful login.
    pub fn clear(&self, ip: IpAddr, username: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&(ip, username.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_a_pair_after_five_failures_and_only_that_pair() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(l.check(ip, "admin").is_ok());
            l.record_failure(ip, "admin");
        }
        let wait = l.check(ip, "Admin").unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert!(l.check(other, "admin").is_ok());
        assert!(l.check(ip, "someone").is_ok());
        l.clear(ip, "admin");
        assert!(l.check(ip, "admin").is_ok());
    }
}
