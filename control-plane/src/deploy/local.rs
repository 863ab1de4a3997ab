//! The `local` target: one supervised `quarry-runtime --control-plane URL`
//! child. It pulls releases itself, so a deploy never restarts it; it is
//! restarted with backoff when it dies, and only restarted on purpose when
//! its launch settings (bind, hosts, origins, log level) change. Its
//! stdout and stderr go to the log buffer.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::deployer::{DeployError, Deployer, Launch, ProcessState, Target};
use super::logs::LogBuffer;

/// First restart delay; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Longest restart delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that ran this long resets the backoff.
const STABLE_AFTER: Duration = Duration::from_secs(30);
/// Longest wait for a clean exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Supervises the runtime child process.
pub struct LocalDeployer {
    desired: watch::Sender<Option<Launch>>,
    state: Arc<Mutex<ProcessState>>,
    /// Bumped by the supervisor each time it has acted on a new desired value.
    acted: watch::Receiver<u64>,
}

impl LocalDeployer {
    /// Starts the (idle) supervisor task; `bin` is the `quarry-runtime` binary.
    pub fn spawn(bin: PathBuf, logs: Arc<LogBuffer>) -> LocalDeployer {
        let (desired, rx) = watch::channel(None);
        let state = Arc::new(Mutex::new(ProcessState::Stopped));
        let (acted_tx, acted) = watch::channel(0);
        tokio::spawn(supervise(bin, rx, state.clone(), logs, acted_tx));
        LocalDeployer { desired, state, acted }
    }

    /// A receiver that will see the supervisor's next action.
    fn before(&self) -> watch::Receiver<u64> {
        let mut acted = self.acted.clone();
        acted.borrow_and_update();
        acted
    }

    /// Waits (bounded) until the supervisor has acted on what was just asked.
    async fn settle(mut acted: watch::Receiver<u64>) {
        let _ = tokio::time::timeout(STOP_GRACE + Duration::from_secs(2), acted.changed()).await;
    }
}

fn set(state: &Mutex<ProcessState>, s: ProcessState) {
    *state.lock().unwrap_or_else(|e| e.into_inner()) = s;
}

impl Deployer for LocalDeployer {
    fn target(&self) -> Target {
        Target::Local
    }

    fn ensure_running(&self, launch: Launch) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async move {
            let acted = self.before();
            let changed = self.desired.send_if_modified(|d| {
                let differs = d.as_ref() != Some(&launch);
                *d = Some(launch);
                differs
            });
            if changed {
                Self::settle(acted).await;
            }
            match self.state.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                ProcessState::Failed { message } => Err(DeployError::Backend(message)),
                _ => Ok(()),
            }
        })
    }

    fn stop(&self) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async move {
            let acted = self.before();
            if self.desired.send_replace(None).is_some() {
                Self::settle(acted).await;
            }
            Ok(())
        })
    }

    fn state(&self) -> BoxFuture<'_, ProcessState> {
        Box::pin(async move { self.state.lock().unwrap_or_else(|e| e.into_inner()).clone() })
    }
}

fn spawn_child(bin: &PathBuf, launch: &Launch, logs: &Arc<LogBuffer>) -> std::io::Result<Child> {
    let mut cmd = Command::new(bin);
    // Only what the runtime needs: the control plane's own secrets stay here.
    cmd.env_clear();
    for keep in ["PATH", "HOME", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    if let Some(tls) = &launch.tls {
        cmd.env("QUARRY_RUNTIME_TLS_CERT", &tls.cert).env("QUARRY_RUNTIME_TLS_KEY", &tls.key);
    }
    if let Some(ca) = &launch.pull_ca {
        cmd.env("QUARRY_RUNTIME_PULL_CA_FILE", ca);
    }
    cmd.arg("--control-plane")
        .arg(&launch.control_plane_url)
        .env_remove("QUARRY_RUNTIME_MANIFEST")
        .env("QUARRY_RUNTIME_TOKEN", &launch.token.0)
        .env("QUARRY_RUNTIME_KEY", &launch.key.0)
        .env("QUARRY_RUNTIME_INSTANCE", "local")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in launch.env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    if let Some(out) = child.stdout.take() {
        tokio::spawn(pump(out, logs.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(pump(err, logs.clone()));
    }
    Ok(child)
}

async fn pump(stream: impl AsyncRead + Unpin, logs: Arc<LogBuffer>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        logs.push("runtime", &strip_ansi(&line));
    }
}

/// Removes terminal colour codes from a log line.
pub(crate) fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// SIGTERM, then SIGKILL after the grace period.
async fn terminate(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM);
        if tokio::time::timeout(STOP_GRACE, child.wait()).await.is_ok() {
            return;
        }
    }
    let _ = child.kill().await;
}

async fn supervise(
    bin: PathBuf,
    mut desired: watch::Receiver<Option<Launch>>,
    state: Arc<Mutex<ProcessState>>,
    logs: Arc<LogBuffer>,
    acted: watch::Sender<u64>,
) {
    let ack = || acted.send_modify(|n| *n += 1);
    loop {
        let Some(launch) = desired.borrow_and_update().clone() else {
            set(&state, ProcessState::Stopped);
            ack();
            if desired.changed().await.is_err() {
                return;
            }
            continue;
        };
        let (mut backoff, mut restarts) = (FIRST_BACKOFF, 0u32);
        // Run, and re-run on exit, until the desired launch changes.
        loop {
            let mut child = match spawn_child(&bin, &launch, &logs) {
                Ok(c) => c,
                Err(e) => {
                    let message = format!("cannot start {}: {e}; set QUARRY_RUNTIME_BIN", bin.display());
                    logs.deploy(&message);
                    set(&state, ProcessState::Failed { message });
                    ack();
                    if desired.changed().await.is_err() {
                        return;
                    }
                    break;
                }
            };
            let id = child.id().map(|p| p.to_string()).unwrap_or_default();
            logs.deploy(&format!("Started quarry-runtime (pid {id}) on {}.", launch.bind));
            set(&state, ProcessState::Running { id, restarts });
            ack();
            let started = Instant::now();
            tokio::select! {
                status = child.wait() => {
                    if started.elapsed() > STABLE_AFTER {
                        backoff = FIRST_BACKOFF;
                    }
                    restarts += 1;
                    let message = match status {
                        Ok(s) => format!("quarry-runtime exited ({s})"),
                        Err(e) => format!("quarry-runtime could not be waited for: {e}"),
                    };
                    logs.deploy(&format!("{message}; restarting in {} ms.", backoff.as_millis()));
                    set(&state, ProcessState::Restarting { message, restarts });
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        r = desired.changed() => { if r.is_err() { return; } break; }
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                r = desired.changed() => {
                    logs.deploy("Stopping quarry-runtime.");
                    terminate(&mut child).await;
                    logs.deploy("quarry-runtime stopped.");
                    if r.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_codes_are_stripped() {
        assert_eq!(super::strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m hi"), "2026  INFO hi");
    }
}
