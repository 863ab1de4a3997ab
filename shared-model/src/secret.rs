//! AES-256-GCM encryption of secrets at rest and in manifests.
//!
//! A [`Keyring`] holds one or more 32-byte keys: the first encrypts, every key
//! is tried when decrypting, so keys can be rotated by prepending a new one.
//! Ciphertexts are `v1:` followed by base64 of the 12-byte nonce and the sealed
//! bytes; a random nonce per message keeps equal secrets from looking equal.

use aes_gcm::aead::{Aead, Generate, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Whether a connection's extra parameter holds a secret, judged by its key
/// (`password`, `secret`, `token`, `private_key`, `ssl_key`, `credentials`):
/// such values are encrypted at rest, masked in responses, and never
/// published to a runtime in clear.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "private_key", "ssl_key", "credentials"].iter().any(|s| k.contains(s))
}

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Why a key list or a ciphertext was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// A key in the list is not base64 of exactly 32 bytes.
    #[error("key {index} is not base64 of 32 bytes")]
    BadKey {
        /// Position of the key in the comma-separated list.
        index: usize,
    },
    /// The key list was empty.
    #[error("no encryption key given")]
    NoKey,
    /// The value is not a ciphertext this keyring produced.
    #[error("the value is not a valid encrypted secret")]
    Malformed,
    /// No key of the keyring opens the ciphertext.
    #[error("no configured key decrypts this secret (was the key rotated out?)")]
    WrongKey,
}

/// An ordered set of AES-256-GCM keys.
#[derive(Clone)]
pub struct Keyring {
    ciphers: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keyring({} keys)", self.ciphers.len())
    }
}

impl Keyring {
    /// Parses a comma-separated list of base64 keys; the first one encrypts.
    pub fn from_base64_list(list: &str) -> Result<Self, SecretError> {
        let ciphers = list
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
            .map(|(index, k)| {
                let bytes = STANDARD.decode(k).map_err(|_| SecretError::BadKey { index })?;
                let key = Key::<Aes256Gcm>::try_from(bytes.as_slice()).map_err(|_| SecretError::BadKey { index })?;
                Ok(Aes256Gcm::new(&key))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ciphers.is_empty() {
            return Err(SecretError::NoKey);
        }
        Ok(Self { ciphers })
    }

    /// A fresh random key, base64-encoded.
    pub fn generate_key() -> String {
        STANDARD.encode(Key::<Aes256Gcm>::generate())
    }

    /// Encrypts `plaintext` with the first key.
    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce = Nonce::generate();
        let sealed = self.ciphers[0]
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// Decrypts a value produced by [`Keyring::encrypt`] with any key of the ring.
    pub fn decrypt(&self, value: &str) -> Result<String, SecretError> {
        let raw = value.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let bytes = STANDARD.decode(raw).map_err(|_| SecretError::Malformed)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| SecretError::Malformed)?;
        let plain = self.ciphers.iter().find_map(|c| c.decrypt(&nonce, sealed).ok()).ok_or(SecretError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SecretError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_repeats_a_ciphertext() {
        let ring = Keyring::from_base64_list(&Keyring::generate_key()).unwrap();
        let a = ring.encrypt("s3cret");
        let b = ring.encrypt("s3cret");
        assert_ne!(a, b);
        assert!(!a.contains("s3cret"));
        assert_eq!(ring.decrypt(&a).unwrap(), "s3cret");
    }

    #[test]
    fn rotation_decrypts_with_old_keys_and_encrypts_with_the_first() {
        let old = Keyring::generate_key();
        let new = Keyring::generate_key();
        let sealed_old = Keyring::from_base64_list(&old).unwrap().encrypt("x");
        let rotated = Keyring::from_base64_list(&format!("{new},{old}")).unwrap();
        assert_eq!(rotated.decrypt(&sealed_old).unwrap(), "x");
        let sealed_new = rotated.encrypt("y");
        let only_new = Keyring::from_base64_list(&new).unwrap();
        assert_eq!(only_new.decrypt(&sealed_new).unwrap(), "y");
        assert_eq!(only_new.decrypt(&sealed_old), Err(SecretError::WrongKey));
    }

    #[test]
    fn bad_keys_and_values_are_refused() {
        assert_eq!(Keyring::from_base64_list("").unwrap_err(), SecretError::NoKey);
        assert_eq!(Keyring::from_base64_list("c2hvcnQ=").unwrap_err(), SecretError::BadKey { index: 0 });
        let ring = Keyring::from_base64_list(&Keyring::generate_key()).unwrap();
        assert_eq!(ring.decrypt("plain"), Err(SecretError::Malformed));
        assert_eq!(ring.decrypt("v1:AAAA"), Err(SecretError::Malformed));
    }
}
