//! Loading manifests and swapping releases. In file mode SIGHUP re-reads the
//! file: a valid manifest becomes current atomically (running calls finish on
//! the old release); an invalid one is refused, each problem logged, and the
//! running release kept.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shared_model::Problems;
use shared_model::manifest::Manifest;

use crate::release::{LoadContext, Release};
use crate::server::Shared;

/// Largest manifest file accepted.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Reads and parses a manifest file; I/O and syntax errors become problems.
pub fn read_manifest(path: &Path) -> Result<Manifest, Problems> {
    let mut p = Problems::default();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_MANIFEST_BYTES {
        p.push("", format!("{} is larger than {MAX_MANIFEST_BYTES} bytes", path.display()));
        return Err(p);
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        let mut p = Problems::default();
        p.push("", format!("cannot read {}: {e}", path.display()));
        p
    })?;
    Manifest::from_json(&text).map_err(|e| {
        let mut p = Problems::default();
        p.push("", format!("{} is not a valid manifest: {e}", path.display()));
        p
    })
}

/// Compiles `manifest` against the current release and makes it current.
pub fn apply(shared: &Shared, manifest: Manifest) -> Result<u64, Problems> {
    let previous = shared.current();
    let cx = LoadContext {
        runtime_key: shared.runtime_key.as_deref(),
        metrics: &shared.metrics,
        factory: shared.factory.as_ref(),
        previous: Some(&previous),
    };
    let release = Release::load(manifest, cx)?;
    let number = release.manifest.release;
    shared.swap(release);
    Ok(number)
}

/// Re-reads `path` and applies it, logging the outcome.
pub fn reload_file(shared: &Shared, path: &Path) -> Result<u64, Problems> {
    let outcome = read_manifest(path).and_then(|m| apply(shared, m));
    match &outcome {
        Ok(release) => tracing::info!(release, path = %path.display(), "Reloaded the manifest."),
        Err(problems) => {
            let kept = shared.current().manifest.release;
            for p in &problems.0 {
                tracing::error!(path = %p.path, problem = %p.message, "The new manifest has a problem.");
            }
            tracing::error!(count = problems.0.len(), kept, "Refused the new manifest; the running release is kept.");
        }
    }
    outcome
}

/// Reloads `path` on every SIGHUP until the process ends.
pub fn spawn_sighup_reload(shared: Arc<Shared>, path: PathBuf) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("Cannot listen for SIGHUP; reload by restarting.");
            return;
        };
        while hup.recv().await.is_some() {
            let _ = reload_file(&shared, &path);
        }
    });
    #[cfg(not(unix))]
    let _ = (shared, path);
}
