//! Bearer tokens for the runtime, stored in the manifest as a keyed
//! HMAC-SHA256 under a sub-key of `QUARRY_RUNTIME_KEY`: checking one costs a
//! couple of microseconds (unlike a password hash), and a leaked manifest
//! yields nothing usable without the key.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::secret::SecretError;

type HmacSha256 = Hmac<Sha256>;

/// Hashes and checks bearer tokens; `Debug` never prints the key.
#[derive(Clone)]
pub struct TokenHasher {
    key: HmacSha256,
}

impl fmt::Debug for TokenHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHasher(<redacted>)")
    }
}

impl TokenHasher {
    /// Derives the hashing key from the first key of a base64 key list
    /// (the `QUARRY_RUNTIME_KEY` format).
    pub fn from_runtime_key(list: &str) -> Result<TokenHasher, SecretError> {
        let first = list.split(',').map(str::trim).find(|k| !k.is_empty()).ok_or(SecretError::NoKey)?;
        let bytes = STANDARD.decode(first).map_err(|_| SecretError::BadKey { index: 0 })?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey { index: 0 });
        }
        // A sub-key keeps the sealing key from ever being used as an HMAC key.
        let mut derive = HmacSha256::new_from_slice(&bytes).map_err(|_| SecretError::BadKey { index: 0 })?;
        derive.update(b"quarry:bearer-token-hash:v1");
        let sub = derive.finalize().into_bytes();
        let key = HmacSha256::new_from_slice(&sub).map_err(|_| SecretError::BadKey { index: 0 })?;
        Ok(TokenHasher { key })
    }

    /// The raw 32-byte HMAC of `token`.
    pub fn digest(&self, token: &str) -> [u8; 32] {
        let mut mac = self.key.clone();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The lowercase hex form stored in the manifest.
    pub fn hash_hex(&self, token: &str) -> String {
        self.digest(token).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `token` hashes to the stored digest, compared in constant time.
    pub fn matches(&self, token: &str, stored: &[u8; 32]) -> bool {
        self.digest(token).ct_eq(stored).into()
    }
}

/// Parses 64 hex digits into a digest.
pub fn parse_hex_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Keyring;

    #[test]
    fn hashes_are_keyed_and_check_in_constant_time() {
        let (k1, k2) = (Keyring::generate_key(), Keyring::generate_key());
        let h1 = TokenHasher::from_runtime_key(&k1).unwrap();
        let stored = parse_hex_digest(&h1.hash_hex("tok")).unwrap();
        assert!(h1.matches("tok", &stored));
        assert!(!h1.matches("tok!", &stored));
        assert!(!TokenHasher::from_runtime_key(&k2).unwrap().matches("tok", &stored));
        assert_eq!(format!("{h1:?}"), "TokenHasher(<redacted>)");
    }

    #[test]
    fn bad_keys_and_digests_are_refused() {
        assert!(TokenHasher::from_runtime_key("").is_err());
        assert!(TokenHasher::from_runtime_key("c2hvcnQ=").is_err());
        assert!(parse_hex_digest("zz").is_none());
    }
}
