//! Two-factor login with TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second
//! steps, one step of clock skew either way) and single-use recovery codes.
//!
//! - The base32 secret is sealed with the store keyring, like connection passwords.
//! - A code is accepted once: the accepted time step is stored and a code of
//!   that step or an older one is refused (RFC 6238 §5.2).
//! - Recovery codes are 80 random bits each; the store keeps only their
//!   SHA-256. A slow hash (argon2) buys nothing against an 80-bit search
//!   space and would force trying every stored hash per attempt, so a plain
//!   digest that doubles as the lookup key is the right tool.
//! - A pending login (password verified, code due) is a random token whose
//!   SHA-256 is stored with its admin and a five-minute expiry; completing
//!   the login deletes it, so it is single-use.
//!
//! Every function that changes the store takes a transaction (`Write::tx`),
//! so the caller decides when it commits and a failed step leaves no trace.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use qrcodegen::{QrCode, QrCodeEcc};
use rand::Rng as _;
use sha2::{Digest, Sha256};
use shared_model::{Keyring, Problems};
use totp_rs::{Builder, Secret, Totp};

use super::AuthError;
use crate::storage::{Conn, StoreError, two_factor};

/// Recovery codes issued at setup and on regeneration.
pub const RECOVERY_CODES: usize = 10;
/// How long the second step of a login may take.
pub const PENDING_LOGIN_SECONDS: i64 = 300;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Quarry";

/// Unambiguous characters of recovery codes (no 0/O, 1/I): 32 symbols, 5 bits each.
const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Symbols per recovery code: 16 × 5 = 80 bits.
const RECOVERY_LEN: usize = 16;

/// What the admin needs to enrol an authenticator; shown once.
#[derive(Debug)]
pub struct Enrollment {
    /// The base32 secret, for typing into an app.
    pub secret: String,
    /// The `otpauth://totp/...` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code: an SVG `data:` URI.
    pub qr_data_uri: String,
    /// Fresh recovery codes, `XXXX-XXXX-XXXX-XXXX`.
    pub recovery_codes: Vec<String>,
}

/// The outcome of checking a second-factor proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Right, and now used up.
    Accepted,
    /// Not a valid code (or not a recovery code of this admin).
    Wrong,
    /// A valid code of a time step that was already used.
    Replayed,
}

impl Proof {
    /// What to tell the client when the proof was not accepted.
    pub fn refusal(self) -> &'static str {
        match self {
            Proof::Accepted => "accepted",
            Proof::Wrong => "the code is wrong",
            Proof::Replayed => "this code was already used; wait for the next one",
        }
    }
}

/// The 2FA state reported to the admin.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// Whether the second factor is required at login.
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
}

fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn totp(secret: Vec<u8>, username: &str) -> Result<Totp, AuthError> {
    // ':' separates issuer and account in the otpauth label.
    let account = username.replace(':', "_");
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AuthError::Hashing(anyhow::anyhow!("TOTP: {e}")))
}

fn open_secret(keyring: &Keyring, sealed: &str) -> Result<Vec<u8>, AuthError> {
    let b32 = keyring.decrypt(sealed).map_err(|e| AuthError::Hashing(anyhow::anyhow!("TOTP secret: {e}")))?;
    let secret = Secret::try_from_base32(b32).map_err(|e| AuthError::Hashing(anyhow::anyhow!("TOTP secret: {e}")))?;
    Ok(secret.as_bytes().to_vec())
}

/// A code as typed: trimmed, spaces removed; the problem when it is not six digits.
pub fn check_code(code: &str) -> Result<String, Problems> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Problems::one("code", "must be the 6-digit code from your authenticator app"));
    }
    Ok(code)
}

/// The time step `code` belongs to at `unix_seconds`, if it is valid then.
pub fn step_of(totp: &Totp, code: &str, unix_seconds: u64) -> Option<u64> {
    totp.check(code, unix_seconds)
}

fn now_seconds() -> u64 {
    u64::try_from(Utc::now().timestamp()).unwrap_or(0)
}

/// A new recovery code, `XXXX-XXXX-XXXX-XXXX`.
pub fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let symbols: Vec<char> =
        (0..RECOVERY_LEN).map(|_| RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char).collect();
    symbols.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// The stored form of a recovery code: SHA-256 of it without dashes or
/// spaces, upper-cased, so the way it is typed does not matter.
pub fn recovery_code_hash(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    hex_sha256(norm.as_bytes())
}

fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes = codes.iter().map(|c| recovery_code_hash(c)).collect();
    (codes, hashes)
}

/// The stored form of a pending-login token.
pub fn pending_token_hash(token: &str) -> String {
    hex_sha256(token.as_bytes())
}

/// `text` as a QR code in an SVG `data:` URI (black modules on white, 4-module border).
pub fn qr_svg_data_uri(text: &str) -> Result<String, AuthError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| AuthError::Hashing(anyhow::anyhow!("QR code: {e:?}")))?;
    let border = 4;
    let dim = qr.size() + 2 * border;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{dim}\" height=\"{dim}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    );
    Ok(format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg)))
}

/// Starts (or restarts) setup: a new secret and recovery codes are stored,
/// not yet enabled. A conflict when 2FA is already on.
pub async fn begin_setup(
    db: &impl Conn,
    keyring: &Keyring,
    admin_id: &str,
    username: &str,
) -> Result<Enrollment, AuthError> {
    let bytes: [u8; 20] = rand::rng().random();
    let totp = totp(bytes.to_vec(), username)?;
    let secret = totp.secret().to_base32();
    let otpauth_uri = totp.to_url().map_err(|e| AuthError::Hashing(anyhow::anyhow!("TOTP: {e}")))?;
    let qr_data_uri = qr_svg_data_uri(&otpauth_uri)?;
    let (recovery_codes, hashes) = new_recovery_codes();
    two_factor::begin_setup(db, admin_id, keyring.encrypt(&secret), &hashes).await?;
    Ok(Enrollment { secret, otpauth_uri, qr_data_uri, recovery_codes })
}

/// Turns 2FA on when `code` is valid for the pending secret.
pub async fn confirm_setup(db: &impl Conn, keyring: &Keyring, admin_id: &str, code: &str) -> Result<Proof, AuthError> {
    let code = check_code(code)?;
    let stored = two_factor::get(db, admin_id).await?;
    let stored = match stored {
        Some(t) if !t.enabled => t,
        Some(_) => return Err(StoreError::Conflict("two-factor login is already on".into()).into()),
        None => {
            return Err(
                StoreError::Conflict("two-factor setup was not started; call /auth/2fa/setup first".into()).into()
            );
        }
    };
    let totp = totp(open_secret(keyring, &stored.secret_encrypted)?, "")?;
    let Some(step) = step_of(&totp, &code, now_seconds()) else { return Ok(Proof::Wrong) };
    two_factor::enable(db, admin_id, step as i64).await?;
    Ok(Proof::Accepted)
}

/// Checks a TOTP code (or, with `is_recovery`, a recovery code) of an admin
/// with 2FA on, and uses it up when right.
pub async fn verify(
    db: &impl Conn,
    keyring: &Keyring,
    admin_id: &str,
    code: &str,
    is_recovery: bool,
) -> Result<Proof, AuthError> {
    let stored = two_factor::get(db, admin_id).await?.filter(|t| t.enabled);
    let Some(stored) = stored else {
        return Err(StoreError::Conflict("two-factor login is not on".into()).into());
    };
    if is_recovery {
        let used = two_factor::use_recovery_code(db, admin_id, &recovery_code_hash(code)).await?;
        return Ok(if used { Proof::Accepted } else { Proof::Wrong });
    }
    let code = check_code(code)?;
    let totp = totp(open_secret(keyring, &stored.secret_encrypted)?, "")?;
    let Some(step) = step_of(&totp, &code, now_seconds()) else { return Ok(Proof::Wrong) };
    if two_factor::accept_step(db, admin_id, step as i64).await? { Ok(Proof::Accepted) } else { Ok(Proof::Replayed) }
}

/// New recovery codes for an admin with 2FA on; the old ones stop working.
pub async fn regenerate_recovery_codes(db: &impl Conn, admin_id: &str) -> Result<Vec<String>, AuthError> {
    if !two_factor::is_enabled(db, admin_id).await? {
        return Err(StoreError::Conflict("two-factor login is not on".into()).into());
    }
    let (codes, hashes) = new_recovery_codes();
    two_factor::replace_recovery_codes(db, admin_id, &hashes).await?;
    Ok(codes)
}

/// Turns 2FA off: secret, recovery codes and pending logins are deleted.
pub async fn disable(db: &impl Conn, admin_id: &str) -> Result<(), AuthError> {
    Ok(two_factor::remove(db, admin_id).await?)
}

/// Whether 2FA is on and how many recovery codes remain.
pub async fn status(db: &impl Conn, admin_id: &str) -> Result<Status, AuthError> {
    let enabled = two_factor::is_enabled(db, admin_id).await?;
    let left = if enabled { two_factor::recovery_codes_left(db, admin_id).await? } else { 0 };
    Ok(Status { enabled, recovery_codes_left: left })
}

/// After a right password with 2FA on: a pending-login token, valid for
/// [`PENDING_LOGIN_SECONDS`], bound to `admin_id`.
pub async fn start_login(db: &impl Conn, admin_id: &str) -> Result<String, AuthError> {
    let raw: [u8; 32] = rand::rng().random();
    let token = URL_SAFE_NO_PAD.encode(raw);
    let expires = Utc::now() + Duration::seconds(PENDING_LOGIN_SECONDS);
    two_factor::add_challenge(db, &pending_token_hash(&token), admin_id, expires).await?;
    Ok(token)
}

/// The admin a pending-login token belongs to; 401 when it is unknown, used or expired.
pub async fn pending_login_admin(db: &impl Conn, token: &str) -> Result<String, AuthError> {
    two_factor::challenge_admin(db, &pending_token_hash(token)).await?.ok_or_else(expired)
}

/// Uses up a pending-login token; 401 when another request used it first.
pub async fn finish_login(db: &impl Conn, token: &str) -> Result<(), AuthError> {
    if two_factor::consume_challenge(db, &pending_token_hash(token)).await? { Ok(()) } else { Err(expired()) }
}

fn expired() -> AuthError {
    AuthError::Unauthorized("the login expired or was already completed; log in again".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_pass_and_neighbouring_steps_are_tolerated_once_each_way() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", truncated to 6 digits.
        let t = totp(b"12345678901234567890".to_vec(), "admin").unwrap();
        assert_eq!(step_of(&t, "287082", 59), Some(1));
        assert_eq!(step_of(&t, "081804", 1111111109), Some(37037036));
        assert_eq!(step_of(&t, "050471", 1111111111), Some(37037037));
        assert_eq!(step_of(&t, "287082", 59 + 30), Some(1), "one step of skew");
        assert_eq!(step_of(&t, "287082", 59 + 60), None, "two steps late");
        assert_eq!(step_of(&t, "287083", 59), None);
    }

    #[test]
    fn recovery_codes_are_80_bit_grouped_and_hash_the_same_however_typed() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 19);
        assert_eq!(c.split('-').count(), 4);
        assert!(c.chars().all(|ch| ch == '-' || RECOVERY_ALPHABET.contains(&(ch as u8))));
        let typed = c.replace('-', " ").to_lowercase();
        assert_eq!(recovery_code_hash(&c), recovery_code_hash(&typed));
        assert_ne!(recovery_code_hash(&c), recovery_code_hash(&new_recovery_code()));
    }

    #[test]
    fn codes_must_be_six_digits_and_qr_codes_are_svg_data_uris() {
        assert_eq!(check_code(" 123 456 ").unwrap(), "123456");
        assert!(check_code("12345").is_err() && check_code("12345a").is_err());
        let uri = qr_svg_data_uri("otpauth://totp/Quarry:admin?secret=ABC").unwrap();
        let svg = STANDARD.decode(uri.strip_prefix("data:image/svg+xml;base64,").unwrap()).unwrap();
        assert!(String::from_utf8(svg).unwrap().starts_with("<svg"));
    }
}
