//! HTTPS for the runtime and the control plane: a PEM certificate and key
//! (rustls) for [`crate::serving::serve`], and a renewed certificate picked
//! up when its files change, without dropping connections.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;

/// How often the certificate files are checked for a change.
const RELOAD_EVERY: Duration = Duration::from_secs(30);

/// A certificate chain and its private key, PEM files.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    /// Certificate chain (leaf first).
    pub cert: PathBuf,
    /// Private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// From a pair of optional settings: both or neither.
    pub fn from_pair(cert: Option<String>, key: Option<String>, names: &str) -> Result<Option<TlsFiles>, String> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert: cert.into(), key: key.into() })),
            (None, None) => Ok(None),
            _ => Err(format!("set both {names}, or neither")),
        }
    }

    fn stamp(&self) -> Option<(SystemTime, SystemTime)> {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        Some((m(&self.cert)?, m(&self.key)?))
    }
}

/// Loads the files into a rustls config (checked at start so a bad pair fails fast).
pub async fn load(files: &TlsFiles) -> io::Result<RustlsConfig> {
    RustlsConfig::from_pem_file(&files.cert, &files.key).await.map_err(|e| {
        io::Error::new(e.kind(), format!("TLS certificate {} / key {}: {e}", files.cert.display(), files.key.display()))
    })
}

/// Loads the files and keeps the config current when they change (the
/// config handed to [`crate::serving::serve`]).
pub async fn load_and_watch(files: TlsFiles) -> io::Result<RustlsConfig> {
    let config = load(&files).await?;
    tokio::spawn(watch(config.clone(), files));
    Ok(config)
}

/// Reloads the certificate when its files change (e.g. after an ACME renewal).
async fn watch(config: RustlsConfig, files: TlsFiles) {
    let mut seen = files.stamp();
    loop {
        tokio::time::sleep(RELOAD_EVERY).await;
        let now = files.stamp();
        if now.is_some() && now != seen {
            match config.reload_from_pem_file(&files.cert, &files.key).await {
                Ok(()) => tracing::info!(cert = %files.cert.display(), "Reloaded the TLS certificate."),
                Err(e) => tracing::error!(error = %e, "The new TLS certificate is unusable; keeping the old one."),
            }
            seen = now;
        }
    }
}
