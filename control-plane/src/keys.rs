//! Keys the control plane needs: from the environment when given, otherwise
//! generated once into the data directory (mode 0600) with a warning.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use shared_model::Keyring;
use shared_model::token::TokenHasher;

use crate::config::Secret;

/// The runtime's secrets: the key that seals secrets in manifests and keys the
/// MCP token hashes (`QUARRY_RUNTIME_KEY`), and the token runtimes pull with
/// (`QUARRY_RUNTIME_TOKEN`). Configured, or generated once into the data dir.
pub struct RuntimeKeys {
    /// The key, as given to runtimes.
    pub key: Secret,
    /// Seals secrets for the runtime.
    pub keyring: Keyring,
    /// Hashes MCP bearer tokens the way runtimes check them.
    pub token_hasher: TokenHasher,
    /// The pull token, as given to runtimes.
    pub token: Secret,
}

impl RuntimeKeys {
    /// Loads the configured key and token, or generates them into `data_dir`.
    pub fn load(key: Option<&Secret>, token: Option<&Secret>, data_dir: &Path) -> anyhow::Result<RuntimeKeys> {
        let key = load_or_generate(key, data_dir, "runtime.key", Keyring::generate_key)?;
        let keyring = Keyring::from_base64_list(&key).context("QUARRY_RUNTIME_KEY")?;
        let token_hasher = TokenHasher::from_runtime_key(&key).context("QUARRY_RUNTIME_KEY")?;
        let token =
            load_or_generate(token, data_dir, "runtime.token", || random_secret().replace(['+', '/', '='], ""))?;
        Ok(RuntimeKeys { key: Secret(key), keyring, token_hasher, token: Secret(token) })
    }

    /// Whether `presented` is the pull token (constant time).
    pub fn token_matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        presented.as_bytes().ct_eq(self.token.0.as_bytes()).into()
    }
}

/// Returns the configured value, or the one stored in `data_dir/file`,
/// generating it with `generate` on first start.
pub fn load_or_generate(
    configured: Option<&Secret>,
    data_dir: &Path,
    file: &str,
    generate: fn() -> String,
) -> anyhow::Result<String> {
    if let Some(s) = configured {
        return Ok(s.0.trim().to_string());
    }
    let path = data_dir.join(file);
    if path.exists() {
        return Ok(std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .trim()
            .to_string());
    }
    private_dir(data_dir)?;
    let value = generate();
    write_private(&path, &value)?;
    tracing::warn!(path = %path.display(), "Generated a new key; back it up, or set it through the environment.");
    Ok(value)
}

/// Creates the data directory if needed and makes it private (0700): it holds
/// the store, the generated keys and the local runtime's files.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        if mode != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("cannot make {} private (0700)", dir.display()))?;
            tracing::info!(path = %dir.display(), was = format!("{mode:o}"), "Made the data directory private (0700).");
        }
    }
    Ok(())
}

/// A random 64-byte secret, base64-encoded, for signing sessions.
pub fn random_secret() -> String {
    let bytes: [u8; 64] = rand::random();
    STANDARD.encode(bytes)
}

fn write_private(path: &Path, value: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(value.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_then_reuses_and_prefers_the_environment() {
        let dir = std::env::temp_dir().join(format!("quarry-keys-{}", uuid::Uuid::new_v4()));
        let first = load_or_generate(None, &dir, "k", random_secret).unwrap();
        let again = load_or_generate(None, &dir, "k", random_secret).unwrap();
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("k")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "the data directory is private");
        }
        let env = load_or_generate(Some(&Secret("given".into())), &dir, "k", random_secret).unwrap();
        assert_eq!(env, "given");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
