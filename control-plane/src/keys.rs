//! Keys the control plane needs: from the environment when given, otherwise
//! generated once into the data directory (mode 0600) with a warning.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::Secret;

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
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let value = generate();
    write_private(&path, &value)?;
    tracing::warn!(path = %path.display(), "Generated a new key; back it up, or set it through the environment.");
    Ok(value)
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
        }
        let env = load_or_generate(Some(&Secret("given".into())), &dir, "k", random_secret).unwrap();
        assert_eq!(env, "given");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
