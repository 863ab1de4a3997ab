//! The per-credential call limit of the agent endpoint: at most N tool calls
//! in any sliding minute (`QUARRY_AGENT_RATE_PER_MINUTE`, default 120). A call
//! over it is answered as a tool error saying when to retry; it is not run.
//!
//! Memory is bounded: one entry per credential that called within the last
//! minute (credentials are bounded by the token cap), each at most N instants.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The sliding window calls are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Counts calls per credential.
pub struct RateLimiter {
    per_minute: usize,
    calls: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` calls per credential.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter { per_minute: per_minute as usize, calls: Mutex::default() }
    }

    /// Counts a call of `credential` at `now`, or says how long until one is allowed.
    pub fn admit(&self, credential: &str, now: Instant) -> Result<(), Duration> {
        let mut calls = match self.calls.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        calls.retain(|_, times| {
            while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                times.pop_front();
            }
            !times.is_empty()
        });
        let times = calls.entry(credential.to_string()).or_default();
        if times.len() >= self.per_minute {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)).max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_over_its_rate_waits_for_its_oldest_call_to_age_out_and_others_are_untouched() {
        let limiter = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(limiter.admit("a", t0).is_ok());
        assert!(limiter.admit("a", t0 + Duration::from_secs(10)).is_ok());
        let wait = limiter.admit("a", t0 + Duration::from_secs(20)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(40));
        assert!(limiter.admit("b", t0 + Duration::from_secs(20)).is_ok());
        assert!(limiter.admit("a", t0 + Duration::from_secs(61)).is_ok());
    }
}
