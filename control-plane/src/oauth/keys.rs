//! The authorization server's signing keys: Ed25519 key pairs in
//! `oauth-signing-keys.json` in the data directory (0600), generated on first
//! start. The first key of the file is the current one and signs new access
//! tokens; each has a `kid` (from its public key) that tokens carry in their
//! header. `quarry oauth rotate-key` puts a new current key first and keeps
//! the previous one, marked with the time its last token expires
//! (`valid_until`): until then it stays in the JWKS and still verifies; after
//! it is dropped. A running control plane notices the rewritten file (its
//! modification time and size are checked on every use, a `stat`) and
//! switches without a restart.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The file in the data directory that holds the keys.
pub const FILE: &str = "oauth-signing-keys.json";

/// One key as stored.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    created_at: DateTime<Utc>,
    /// Set on a previous key: when the last token it signed expires.
    #[serde(default)]
    valid_until: Option<DateTime<Utc>>,
    /// PKCS#8 document, base64.
    pkcs8: String,
}

#[derive(Serialize, Deserialize, Default)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

/// A key ready to sign or verify.
struct LoadedKey {
    kid: String,
    valid_until: Option<DateTime<Utc>>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public key, base64url (the JWK's `x`).
    x: String,
}

struct Loaded {
    /// Modification time and size of the file when read.
    stamp: Option<(SystemTime, u64)>,
    keys: Vec<LoadedKey>,
}

/// The signing keys of a running control plane.
pub struct SigningKeys {
    path: PathBuf,
    loaded: RwLock<Loaded>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys").field("path", &self.path).finish_non_exhaustive()
    }
}

fn new_key(now: DateTime<Utc>) -> anyhow::Result<StoredKey> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("bad Ed25519 key"))?;
    let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(pair.public_key().as_ref())[..12]);
    Ok(StoredKey { kid, created_at: now, valid_until: None, pkcs8: STANDARD.encode(pkcs8.as_ref()) })
}

fn parse(file: &KeyFile) -> anyhow::Result<Vec<LoadedKey>> {
    file.keys
        .iter()
        .map(|k| {
            let der = STANDARD.decode(&k.pkcs8).with_context(|| format!("key {}: not base64", k.kid))?;
            let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|_| anyhow::anyhow!("key {}: not Ed25519", k.kid))?;
            let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
            Ok(LoadedKey {
                kid: k.kid.clone(),
                valid_until: k.valid_until,
                encoding: EncodingKey::from_ed_der(&der),
                decoding: DecodingKey::from_ed_components(&x)?,
                x,
            })
        })
        .collect()
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

fn read(path: &Path) -> anyhow::Result<KeyFile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: KeyFile = serde_json::from_str(&text).with_context(|| format!("{} is not a key file", path.display()))?;
    anyhow::ensure!(!file.keys.is_empty(), "{} holds no key", path.display());
    Ok(file)
}

/// Writes `file` to `path` (0600) by renaming a temporary file over it, so a
/// reader never sees half a file.
fn write(path: &Path, file: &KeyFile) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    f.write_all(serde_json::to_string_pretty(file)?.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

impl SigningKeys {
    /// Loads the keys of `data_dir`, generating the first one on first start.
    pub fn load_or_generate(data_dir: &Path) -> anyhow::Result<SigningKeys> {
        crate::auth::jwt_provider::install();
        let path = data_dir.join(FILE);
        if !path.exists() {
            crate::keys::private_dir(data_dir)?;
            write(&path, &KeyFile { keys: vec![new_key(Utc::now())?] })?;
            tracing::warn!(path = %path.display(), "Generated the OAuth signing key; back it up with the data directory.");
        }
        let keys = parse(&read(&path)?)?;
        Ok(SigningKeys { loaded: RwLock::new(Loaded { stamp: stamp(&path), keys }), path })
    }

    /// Re-reads the file when it changed since it was read. A file that has
    /// become unreadable keeps the keys already loaded (and says so in the log).
    fn refresh(&self) {
        let now = stamp(&self.path);
        if self.loaded.read().map(|l| l.stamp == now).unwrap_or(false) {
            return;
        }
        match read(&self.path).and_then(|f| parse(&f)) {
            Ok(keys) => {
                if let Ok(mut l) = self.loaded.write() {
                    *l = Loaded { stamp: now, keys };
                    tracing::info!(kid = %l.keys[0].kid, "Loaded the OAuth signing keys.");
                }
            }
            Err(e) => tracing::error!(error = format!("{e:#}"), "Kept the OAuth signing keys already loaded."),
        }
    }

    /// Signs `claims` with the current key as a JWT (EdDSA, with its `kid`).
    pub fn sign(&self, claims: &impl Serialize) -> anyhow::Result<String> {
        self.refresh();
        let l = self.loaded.read().map_err(|_| anyhow::anyhow!("signing keys poisoned"))?;
        let current = &l.keys[0];
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(current.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &current.encoding)?)
    }

    /// The verifying key named `kid`, if it is current or a previous key still valid at `now`.
    pub fn decoding_key(&self, kid: &str, now: DateTime<Utc>) -> Option<DecodingKey> {
        self.refresh();
        let l = self.loaded.read().ok()?;
        l.keys.iter().find(|k| k.kid == kid && k.valid_until.is_none_or(|u| u > now)).map(|k| k.decoding.clone())
    }

    /// The public JWKS: the current key and previous keys still valid at `now`.
    pub fn jwks(&self, now: DateTime<Utc>) -> Value {
        self.refresh();
        let keys: Vec<Value> = match self.loaded.read() {
            Ok(l) => l
                .keys
                .iter()
                .filter(|k| k.valid_until.is_none_or(|u| u > now))
                .map(|k| json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": k.kid, "x": k.x}))
                .collect(),
            Err(_) => vec![],
        };
        json!({ "keys": keys })
    }

    /// The current key's id.
    pub fn current_kid(&self) -> String {
        self.refresh();
        self.loaded.read().map(|l| l.keys[0].kid.clone()).unwrap_or_default()
    }
}

/// Makes a new current signing key in `data_dir`. The previous current key is
/// kept until `keep_for` from now (the longest a token it signed can live,
/// plus the verification leeway); keys past their time are dropped. Returns
/// the new key's id. Running control planes pick it up on their next use.
pub fn rotate(data_dir: &Path, keep_for: chrono::Duration) -> anyhow::Result<String> {
    let path = data_dir.join(FILE);
    let now = Utc::now();
    let mut file = if path.exists() { read(&path)? } else { KeyFile::default() };
    file.keys.retain(|k| k.valid_until.is_none_or(|u| u > now));
    for k in &mut file.keys {
        k.valid_until.get_or_insert(now + keep_for);
    }
    let key = new_key(now)?;
    let kid = key.kid.clone();
    file.keys.insert(0, key);
    crate::keys::private_dir(data_dir)?;
    write(&path, &file)?;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_makes_a_new_current_key_and_keeps_the_previous_one_until_its_tokens_expire() {
        let dir = std::env::temp_dir().join(format!("quarry-oauth-keys-{}", uuid::Uuid::new_v4()));
        let keys = SigningKeys::load_or_generate(&dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let first = keys.current_kid();
        let now = Utc::now();
        let second = rotate(&dir, chrono::Duration::minutes(16)).unwrap();
        assert_ne!(first, second);
        assert_eq!(keys.current_kid(), second, "the running keys follow the file");
        let kids: Vec<Value> = keys.jwks(now)["keys"].as_array().unwrap().iter().map(|k| k["kid"].clone()).collect();
        assert_eq!(kids, [json!(second), json!(first)]);
        assert!(keys.decoding_key(&first, now).is_some());
        let later = now + chrono::Duration::minutes(17);
        assert!(keys.decoding_key(&first, later).is_none(), "a previous key ends with its last token");
        assert_eq!(keys.jwks(later)["keys"].as_array().unwrap().len(), 1);
        let third = rotate(&dir, chrono::Duration::zero()).unwrap();
        assert_eq!(keys.jwks(Utc::now())["keys"][0]["kid"], json!(third));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
