//! Argon2id password hashing, run off the async threads because it is slow by
//! design, and never more at once than the machine has cores: excess hashes
//! wait their turn instead of starving every other request of CPU.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use shared_model::Problems;
use tokio::sync::Semaphore;

use super::AuthError;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest accepted password (bounds hashing work).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Checks a new password's length; the error names `field`.
pub fn check_new(field: &str, password: &str) -> Result<(), Problems> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Problems::one(field, format!("must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(Problems::one(field, format!("must be at most {MAX_PASSWORD_LEN} characters")));
    }
    Ok(())
}

/// Hashes running at once at most: the cores this process may use.
pub fn max_concurrent_hashes() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

static STARTED: AtomicU64 = AtomicU64::new(0);

/// Argon2 runs started by this process (hashes and checks), so tests can
/// prove a request never reached the hash.
pub fn hashes_started() -> u64 {
    STARTED.load(Ordering::Relaxed)
}

/// Waits for a hashing slot.
async fn slot() -> tokio::sync::SemaphorePermit<'static> {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    let slots = SLOTS.get_or_init(|| Semaphore::new(max_concurrent_hashes()));
    let permit = slots.acquire().await.expect("the hashing semaphore is never closed");
    STARTED.fetch_add(1, Ordering::Relaxed);
    permit
}

/// Hashes `password` into a PHC string.
pub async fn hash(password: String) -> Result<String, AuthError> {
    let hashing = |e| AuthError::Hashing(anyhow::anyhow!("{e}"));
    let _slot = slot().await;
    tokio::task::spawn_blocking(move || Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(|e| hashing(e.to_string()))?
        .map_err(|e| hashing(e.to_string()))
}

/// Whether `password` matches `phc`. Over-long input never matches.
pub async fn verify(password: String, phc: String) -> bool {
    if password.len() > MAX_PASSWORD_LEN * 4 {
        return false;
    }
    let _slot = slot().await;
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}
