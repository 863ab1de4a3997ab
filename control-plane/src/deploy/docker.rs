//! The `docker` target: one runtime container managed through the Docker
//! Engine API (bollard). It pulls releases like every runtime, so a deploy
//! only creates or replaces the container when its launch settings change.
//! Host networking (the container reaches the control plane on loopback),
//! a restart policy and a health check, memory and CPU limits, a read-only
//! root filesystem, a non-root user, all capabilities dropped; the runtime
//! token and key are bind-mounted files, never env or labels.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{
    ContainerCreateBody, ContainerStateStatusEnum, HealthConfig, HealthStatusEnum, HostConfig, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder};
use futures::StreamExt;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::DeployConfig;
use super::deployer::{DeployError, Deployer, Launch, ProcessState, Target};
use super::docker_image::{self, RUNTIME_USER};
use super::logs::LogBuffer;

/// The container's name.
pub const CONTAINER: &str = "quarry-runtime";
/// Label carrying the launch fingerprint (a hash; no secret).
const LAUNCH_LABEL: &str = "io.quarry.launch";

/// The files a container mounts and the user that may read them.
struct Staged {
    /// `uid:gid` the container runs as (the owner of the files).
    user: String,
    /// `(container path, host path, env var)` of each file.
    files: Vec<(String, PathBuf, &'static str)>,
}

/// Manages the runtime container.
pub struct DockerDeployer {
    raw: Docker,
    negotiated: tokio::sync::OnceCell<Docker>,
    built: tokio::sync::OnceCell<String>,
    following: Arc<std::sync::Mutex<Option<String>>>,
    image: Option<String>,
    binary: PathBuf,
    secrets_dir: PathBuf,
    memory_mb: u64,
    cpus: f64,
    logs: Arc<LogBuffer>,
    busy: Mutex<()>,
}

fn err(e: DockerError) -> DeployError {
    DeployError::Backend(format!("Docker Engine: {e}"))
}

fn not_found(e: &DockerError) -> bool {
    matches!(e, DockerError::DockerResponseServerError { status_code: 404, .. })
}

impl DockerDeployer {
    /// Connects to the local Docker Engine (`DOCKER_HOST` or the default socket); nothing is called yet.
    pub fn new(config: &DeployConfig, data_dir: &Path, logs: Arc<LogBuffer>) -> anyhow::Result<Self> {
        Ok(DockerDeployer {
            raw: Docker::connect_with_local_defaults()?,
            negotiated: tokio::sync::OnceCell::new(),
            built: tokio::sync::OnceCell::new(),
            following: Arc::default(),
            image: config.runtime_image.clone(),
            binary: config.runtime_binary(),
            secrets_dir: data_dir.join("docker-secrets"),
            memory_mb: config.docker_memory_mb,
            cpus: config.docker_cpus,
            logs,
            busy: Mutex::new(()),
        })
    }

    /// The client, with the API version agreed with the daemon (older engines
    /// refuse a client that asks for a newer API than theirs).
    async fn docker(&self) -> Result<&Docker, DeployError> {
        self.negotiated.get_or_try_init(|| self.raw.clone().negotiate_version()).await.map_err(err)
    }

    /// Writes the files the container mounts (token, key, and the TLS and CA
    /// files when configured), each `0400` and readable only by the user the
    /// container runs as: as root, the files are chowned to the runtime's
    /// user (65532); otherwise they stay ours and the container runs with our
    /// own uid:gid (`--user` mapping), so no file is ever world-readable.
    /// Returns the container user and `(container path, host path, env var)` for each.
    fn stage_files(&self, launch: &Launch) -> Result<Staged, DeployError> {
        use std::os::unix::fs::PermissionsExt;
        let io = |e: std::io::Error| DeployError::Backend(format!("{}: {e}", self.secrets_dir.display()));
        let read = |p: &Path| std::fs::read(p).map_err(|e| DeployError::Backend(format!("{}: {e}", p.display())));
        let mut files: Vec<(&str, Vec<u8>, &'static str)> = vec![
            ("token", launch.token.0.clone().into_bytes(), "QUARRY_RUNTIME_TOKEN_FILE"),
            ("key", launch.key.0.clone().into_bytes(), "QUARRY_RUNTIME_KEY_FILE"),
        ];
        if let Some(tls) = &launch.tls {
            files.push(("tls-cert.pem", read(&tls.cert)?, "QUARRY_RUNTIME_TLS_CERT"));
            files.push(("tls-key.pem", read(&tls.key)?, "QUARRY_RUNTIME_TLS_KEY"));
        }
        if let Some(ca) = &launch.pull_ca {
            files.push(("pull-ca.pem", read(ca)?, "QUARRY_RUNTIME_PULL_CA_FILE"));
        }
        std::fs::create_dir_all(&self.secrets_dir).map_err(io)?;
        // The daemon (root) bind-mounts each file; nobody else needs to list the directory.
        std::fs::set_permissions(&self.secrets_dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        let mut out = Vec::new();
        let mut user = RUNTIME_USER.to_string();
        for (name, data, var) in files {
            let path = self.secrets_dir.join(name);
            let _ = std::fs::remove_file(&path);
            std::fs::write(&path, data).map_err(io)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).map_err(io)?;
            if std::os::unix::fs::chown(&path, Some(65532), Some(65532)).is_err() {
                use std::os::unix::fs::MetadataExt;
                let meta = std::fs::metadata(&path).map_err(io)?;
                user = format!("{}:{}", meta.uid(), meta.gid());
            }
            out.push((format!("/run/quarry/{name}"), path, var));
        }
        Ok(Staged { user, files: out })
    }

    async fn image(&self) -> Result<String, DeployError> {
        match &self.image {
            Some(i) => {
                self.docker().await?.inspect_image(i).await.map_err(|e| {
                    DeployError::Backend(format!("QUARRY_RUNTIME_IMAGE {i} is not available locally: {e}"))
                })?;
                Ok(i.clone())
            }
            // Built once per control-plane process: a new binary comes with a restart.
            None => self
                .built
                .get_or_try_init(|| async { docker_image::build(self.docker().await?, &self.binary, &self.logs).await })
                .await
                .cloned(),
        }
    }

    fn body(&self, image: &str, launch: &Launch, staged: &Staged, fingerprint: &str) -> ContainerCreateBody {
        let files = &staged.files;
        let mut env: Vec<String> = launch.env().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        env.extend(files.iter().map(|(inside, _, var)| format!("{var}={inside}")));
        env.push(format!("QUARRY_RUNTIME_INSTANCE=docker-{CONTAINER}"));
        let seconds = |s: i64| s * 1_000_000_000;
        ContainerCreateBody {
            image: Some(image.into()),
            cmd: Some(vec!["--control-plane".into(), launch.control_plane_url.clone()]),
            env: Some(env),
            user: Some(staged.user.clone()),
            labels: Some(HashMap::from([(LAUNCH_LABEL.to_string(), fingerprint.to_string())])),
            healthcheck: Some(HealthConfig {
                test: Some(vec!["CMD".into(), "/usr/local/bin/quarry-runtime".into(), "healthcheck".into()]),
                interval: Some(seconds(10)),
                timeout: Some(seconds(3)),
                retries: Some(3),
                start_period: Some(seconds(5)),
                ..Default::default()
            }),
            host_config: Some(HostConfig {
                network_mode: Some("host".into()),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                memory: Some((self.memory_mb * 1024 * 1024) as i64),
                nano_cpus: Some((self.cpus * 1e9) as i64),
                readonly_rootfs: Some(true),
                tmpfs: Some(HashMap::from([("/tmp".to_string(), "rw,noexec,nosuid,size=16m".to_string())])),
                binds: Some(files.iter().map(|(inside, host, _)| format!("{}:{inside}:ro", host.display())).collect()),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(vec!["no-new-privileges".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Follows the container's output into the log buffer until it ends.
    /// The stream ends when the container stops; after a restart (policy) it
    /// is picked up again from that moment, until the container is gone. One
    /// follower per container.
    fn follow_logs(&self, docker: &Docker, id: String) {
        {
            let mut following = self.following.lock().unwrap_or_else(|e| e.into_inner());
            if following.as_deref() == Some(id.as_str()) {
                return;
            }
            *following = Some(id.clone());
        }
        let (docker, logs, following) = (docker.clone(), self.logs.clone(), self.following.clone());
        tokio::spawn(async move {
            let mut since = None;
            loop {
                let mut options = LogsOptionsBuilder::default().follow(true).stdout(true).stderr(true);
                options = match since {
                    None => options.tail("0"),
                    Some(t) => options.since(t),
                };
                let mut stream = docker.logs(&id, Some(options.build()));
                while let Some(Ok(chunk)) = stream.next().await {
                    for line in String::from_utf8_lossy(&chunk.into_bytes()).lines() {
                        logs.push("runtime", &super::local::strip_ansi(line));
                    }
                }
                since = Some(chrono::Utc::now().timestamp() as i32);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                // Gone, or down for good: stop following; restarting: follow again.
                let state = docker.inspect_container(&id, None).await.ok().and_then(|c| c.state);
                if !state.is_some_and(|s| s.running == Some(true) || s.restarting == Some(true)) {
                    break;
                }
            }
            let mut f = following.lock().unwrap_or_else(|e| e.into_inner());
            if f.as_deref() == Some(id.as_str()) {
                *f = None;
            }
        });
    }

    async fn remove(&self) -> Result<(), DeployError> {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match self.docker().await?.remove_container(CONTAINER, Some(options)).await {
            Err(e) if !not_found(&e) => Err(err(e)),
            _ => Ok(()),
        }
    }
}

impl Deployer for DockerDeployer {
    fn target(&self) -> Target {
        Target::Docker
    }

    fn ensure_running(&self, launch: Launch) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async move {
            let _busy = self.busy.lock().await;
            let docker = self.docker().await?;
            let image = self.image().await?;
            let image_id = docker.inspect_image(&image).await.map_err(err)?.id.unwrap_or_default();
            let mut h = Sha256::new();
            h.update(format!(
                "{image_id}|{:?}|{}|{}|{}",
                launch.env(),
                launch.control_plane_url,
                self.memory_mb,
                self.cpus
            ));
            // The secrets change the container too, but only their hash may be in a label.
            h.update(Sha256::digest(format!(
                "{}|{}|{:?}|{:?}",
                launch.token.0, launch.key.0, launch.tls, launch.pull_ca
            )));
            let fingerprint: String = h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
            match docker.inspect_container(CONTAINER, None).await {
                Ok(c) => {
                    let same = c.config.as_ref().and_then(|c| c.labels.as_ref()).and_then(|l| l.get(LAUNCH_LABEL))
                        == Some(&fingerprint);
                    let running = c.state.as_ref().and_then(|s| s.running).unwrap_or(false);
                    if same && running {
                        self.follow_logs(docker, c.id.unwrap_or_else(|| CONTAINER.into()));
                        return Ok(());
                    }
                    if same {
                        docker.start_container(CONTAINER, None).await.map_err(err)?;
                        self.follow_logs(docker, c.id.unwrap_or_else(|| CONTAINER.into()));
                        self.logs.deploy("Started the existing runtime container.");
                        return Ok(());
                    }
                    self.logs.deploy("Replacing the runtime container (its launch settings changed).");
                    self.remove().await?;
                }
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(err(e)),
            }
            let staged = self.stage_files(&launch)?;
            let body = self.body(&image, &launch, &staged, &fingerprint);
            let options = CreateContainerOptionsBuilder::default().name(CONTAINER).build();
            let created = docker.create_container(Some(options), body).await.map_err(err)?;
            docker.start_container(&created.id, None).await.map_err(err)?;
            self.follow_logs(docker, created.id.clone());
            self.logs.deploy(&format!(
                "Started container {CONTAINER} ({}) from {image}.",
                &created.id[..12.min(created.id.len())]
            ));
            Ok(())
        })
    }

    fn stop(&self) -> BoxFuture<'_, Result<(), DeployError>> {
        Box::pin(async move {
            let _busy = self.busy.lock().await;
            // Removing (with force) stops it; the endpoint is gone at once.
            self.remove().await?;
            self.logs.deploy(&format!("Removed container {CONTAINER}."));
            Ok(())
        })
    }

    fn state(&self) -> BoxFuture<'_, ProcessState> {
        Box::pin(async move {
            let docker = match self.docker().await {
                Ok(d) => d,
                Err(e) => return ProcessState::Failed { message: e.to_string() },
            };
            let c = match docker.inspect_container(CONTAINER, None).await {
                Ok(c) => c,
                Err(e) if not_found(&e) => return ProcessState::Stopped,
                Err(e) => return ProcessState::Failed { message: format!("Docker Engine: {e}") },
            };
            let restarts = u32::try_from(c.restart_count.unwrap_or(0)).unwrap_or(u32::MAX);
            let state = c.state.unwrap_or_default();
            let health = state.health.as_ref().and_then(|h| h.status);
            match state.status {
                Some(ContainerStateStatusEnum::RUNNING) if health == Some(HealthStatusEnum::UNHEALTHY) => {
                    ProcessState::Restarting { message: "the container is unhealthy".into(), restarts }
                }
                Some(ContainerStateStatusEnum::RUNNING) => {
                    ProcessState::Running { id: c.id.unwrap_or_default().chars().take(12).collect(), restarts }
                }
                Some(ContainerStateStatusEnum::CREATED) => ProcessState::Starting,
                other => ProcessState::Restarting {
                    message: format!(
                        "the container is {} (exit code {}{})",
                        other.map_or("gone".to_string(), |s| s.to_string()),
                        state.exit_code.unwrap_or(0),
                        state.error.filter(|e| !e.is_empty()).map(|e| format!(", {e}")).unwrap_or_default()
                    ),
                    restarts,
                },
            }
        })
    }
}
