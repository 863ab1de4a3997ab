//! Failed-login limiting per (client address, username): five failures within
//! fifteen minutes lock that pair out until the oldest failure ages out.
//!
//! Why this key: counting per username alone would let anyone lock the admin
//! out for everyone with five wrong guesses; per address alone would let one
//! address try every username. Per pair, an attacker only ever locks out
//! their own address — the admin logging in from elsewhere is untouched.
//! IPv6 addresses count per /64 (one customer's prefix), so hopping through a
//! prefix does not reset anything. Behind a proxy the address is the client's
//! (see [`super::client_ip`]).
//!
//! A failure is counted *before* the password is checked (a reservation,
//! refunded when the attempt succeeds), so N parallel guesses cost N counts
//! and the sixth waits for nothing but a 429.
//!
//! Memory is bounded: at most [`CAPACITY`] pairs, each a fixed-size key (the
//! address and a hash of the username) and five instants. When full, an
//! expired pair goes first, else the pair with the fewest failures (oldest
//! first): a flood of one-failure pairs never evicts a pair nearer lockout,
//! and nothing ever forgets every pair at once.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Failures allowed within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The sliding window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Tracked pairs at most (a few hundred bytes each with the indexes, so well
/// under 24 MB when full; a test measures it).
pub const CAPACITY: usize = 20_000;

/// An address (IPv6 cut to its /64) and the first 16 bytes of SHA-256 of the lowercased username.
type Key = (IpAddr, [u8; 16]);

fn key(ip: IpAddr, username: &str) -> Key {
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    };
    let digest = Sha256::digest(username.to_lowercase().as_bytes());
    let mut name = [0u8; 16];
    name.copy_from_slice(&digest[..16]);
    (ip, name)
}

/// The recent failures of one pair, oldest first.
struct Entry {
    times: [Option<Instant>; MAX_FAILURES],
    /// Position in the eviction order (unique, grows with every change).
    stamp: u64,
}

impl Entry {
    fn live(&self, now: Instant) -> impl Iterator<Item = Instant> + '_ {
        self.times.iter().flatten().copied().filter(move |t| now.duration_since(*t) < WINDOW)
    }
    fn weight(&self) -> u8 {
        self.times.iter().flatten().count() as u8
    }
}

#[derive(Default)]
struct Table {
    entries: HashMap<Key, Entry>,
    /// Eviction order: (failures, stamp) — fewest failures, then oldest change, first.
    by_weight: BTreeMap<(u8, u64), Key>,
    /// Age order: stamp → key, to find expired pairs first.
    by_age: BTreeMap<u64, Key>,
    next_stamp: u64,
}

impl Table {
    fn unindex(&mut self, k: &Key) -> Option<Entry> {
        let e = self.entries.remove(k)?;
        self.by_weight.remove(&(e.weight(), e.stamp));
        self.by_age.remove(&e.stamp);
        Some(e)
    }

    fn index(&mut self, k: Key, mut e: Entry) {
        self.next_stamp += 1;
        e.stamp = self.next_stamp;
        self.by_weight.insert((e.weight(), e.stamp), k);
        self.by_age.insert(e.stamp, k);
        self.entries.insert(k, e);
    }

    /// Makes room for one more pair.
    fn evict_one(&mut self, now: Instant) {
        let oldest = self.by_age.first_key_value().map(|(_, k)| *k);
        let expired = oldest.filter(|k| self.entries.get(k).is_some_and(|e| e.live(now).next().is_none()));
        let victim = expired.or_else(|| self.by_weight.first_key_value().map(|(_, k)| *k));
        if let Some(k) = victim {
            self.unindex(&k);
        }
    }
}

/// The limiter; shared by all requests.
#[derive(Default)]
pub struct LoginLimiter {
    table: Mutex<Table>,
}

/// A failure counted ahead of a password check; [`Reservation::refund`] it
/// when the attempt succeeds, drop it when it fails.
#[must_use = "a reservation is a counted failure until refunded"]
pub struct Reservation<'a> {
    limiter: &'a LoginLimiter,
    key: Key,
    at: Instant,
}

impl Reservation<'_> {
    /// Takes the counted failure back.
    pub fn refund(self) {
        let mut t = self.limiter.lock();
        if let Some(mut e) = t.unindex(&self.key) {
            if let Some(slot) = e.times.iter_mut().find(|s| **s == Some(self.at)) {
                *slot = None;
            }
            if e.weight() > 0 {
                t.index(self.key, e);
            }
        }
    }
}

impl LoginLimiter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(seconds)` when the pair must wait before trying again.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), u64> {
        let t = self.lock();
        wait(t.entries.get(&key(ip, username)), Instant::now())
    }

    /// Counts a failure now unless the pair is locked (`Err(seconds)`); the
    /// count stands unless the returned reservation is refunded.
    pub fn reserve(&self, ip: IpAddr, username: &str) -> Result<Reservation<'_>, u64> {
        let k = key(ip, username);
        let now = Instant::now();
        let mut t = self.lock();
        wait(t.entries.get(&k), now)?;
        let previous = t.unindex(&k);
        let mut times: Vec<Instant> = previous.as_ref().map(|e| e.live(now).collect()).unwrap_or_default();
        times.push(now);
        let keep = times.len().saturating_sub(MAX_FAILURES);
        let mut entry = Entry { times: [None; MAX_FAILURES], stamp: 0 };
        for (slot, at) in entry.times.iter_mut().zip(times.into_iter().skip(keep)) {
            *slot = Some(at);
        }
        if previous.is_none() && t.entries.len() >= CAPACITY {
            t.evict_one(now);
        }
        t.index(k, entry);
        Ok(Reservation { limiter: self, key: k, at: now })
    }

    /// Counts a failed attempt (locked or not).
    pub fn record_failure(&self, ip: IpAddr, username: &str) {
        // A reservation that is never refunded is exactly a recorded failure.
        let _ = self.reserve(ip, username);
    }

    /// Forgets the failures of a pair after a successful login.
    pub fn clear(&self, ip: IpAddr, username: &str) {
        self.lock().unindex(&key(ip, username));
    }

    /// Pairs currently tracked.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no pair is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn wait(entry: Option<&Entry>, now: Instant) -> Result<(), u64> {
    let Some(e) = entry else { return Ok(()) };
    let live: Vec<Instant> = e.live(now).collect();
    if live.len() < MAX_FAILURES {
        return Ok(());
    }
    let oldest = live.iter().min().copied().unwrap_or(now);
    Err((WINDOW - now.duration_since(oldest)).as_secs().max(1))
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

    #[test]
    fn an_ipv6_prefix_counts_as_one_address() {
        let l = LoginLimiter::default();
        for i in 0..MAX_FAILURES {
            l.record_failure(format!("2001:db8:1:2::{i:x}").parse().unwrap(), "admin");
        }
        assert!(l.check("2001:db8:1:2:ffff::1".parse().unwrap(), "admin").is_err());
        assert!(l.check("2001:db8:1:3::1".parse().unwrap(), "admin").is_ok());
    }

    #[test]
    fn reservations_count_at_once_and_a_refund_takes_one_back() {
        let l = LoginLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let held: Vec<_> = (0..MAX_FAILURES).map(|_| l.reserve(ip, "admin").unwrap()).collect();
        assert!(l.reserve(ip, "admin").is_err(), "a sixth parallel guess is refused before any check");
        held.into_iter().next().unwrap().refund();
        assert!(l.check(ip, "admin").is_ok());
    }

    #[test]
    fn a_full_table_evicts_single_failures_before_a_pair_near_lockout() {
        let l = LoginLimiter::default();
        let attacker: IpAddr = "10.0.0.9".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            l.record_failure(attacker, "admin");
        }
        for i in 0..CAPACITY + 1000 {
            l.record_failure(attacker, &format!("user{i}"));
        }
        assert_eq!(l.len(), CAPACITY);
        l.record_failure(attacker, "admin");
        assert!(l.check(attacker, "admin").is_err(), "the flood did not reset the admin's counter");
    }
}
