//! The deploy service: one per control plane. Deploys are serialised; each
//! builds a release, stores it, publishes it to pulling runtimes and makes
//! sure the target runs one.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use sea_orm::DatabaseConnection;
use shared_model::Keyring;
use shared_model::manifest::Manifest;
use shared_model::token::TokenHasher;
use tokio::sync::Mutex;

use super::build::{Built, Keys, build};
use super::deployer::{Deployer, External, Launch, Target};
use super::diff::Change;
use super::hub::{Hub, Published};
use super::local::LocalDeployer;
use super::logs::LogBuffer;
use super::{DeployConfig, settings, store};
use crate::config::Secret;
use crate::error::ApiError;
use crate::keys;
use crate::storage::entities::release;

/// Deploy state shared by the handlers.
pub struct DeployService {
    /// The settings it was built from.
    pub config: DeployConfig,
    /// The runtimes' side: what they pull, what they said.
    pub hub: Hub,
    /// Runtime and deploy log lines.
    pub logs: Arc<LogBuffer>,
    deployer: Box<dyn Deployer>,
    lock: Mutex<()>,
    deploying: AtomicBool,
    runtime_key: Secret,
    runtime_keyring: Keyring,
    /// Hashes MCP bearer tokens the way runtimes check them.
    pub token_hasher: TokenHasher,
    runtime_token: Secret,
    pull_url: RwLock<String>,
    https: bool,
    deployer_error: std::sync::Mutex<Option<String>>,
}

/// The result of a deploy.
pub struct Deployed {
    /// The stored release.
    pub release: release::Model,
    /// What changed since the previous one.
    pub changes: Vec<Change>,
}

impl DeployService {
    /// Loads or generates the runtime key and token and picks the deployer.
    /// Must run inside a Tokio runtime (the local supervisor is a task).
    /// `https`: whether the control plane itself serves HTTPS (then runtimes pull over it).
    pub fn new(
        config: DeployConfig,
        data_dir: &std::path::Path,
        bind: SocketAddr,
        https: bool,
    ) -> anyhow::Result<Self> {
        let key = keys::load_or_generate(config.runtime_key.as_ref(), data_dir, "runtime.key", Keyring::generate_key)?;
        let runtime_keyring = Keyring::from_base64_list(&key).context("QUARRY_RUNTIME_KEY")?;
        let token_hasher = TokenHasher::from_runtime_key(&key).context("QUARRY_RUNTIME_KEY")?;
        let token = keys::load_or_generate(config.runtime_token.as_ref(), data_dir, "runtime.token", || {
            keys::random_secret().replace(['+', '/', '='], "")
        })?;
        let logs = Arc::new(LogBuffer::default());
        let deployer: Box<dyn Deployer> = match config.target {
            Target::Local => Box::new(LocalDeployer::spawn(config.runtime_binary(), logs.clone())),
            Target::Docker => Box::new(super::docker::DockerDeployer::new(&config, data_dir, logs.clone())?),
            Target::Kubernetes => Box::new(External),
        };
        let pull_url = config.pull_url.clone().unwrap_or_else(|| loopback_url(bind, https));
        Ok(DeployService {
            config,
            hub: Hub::default(),
            logs,
            deployer,
            lock: Mutex::new(()),
            deploying: AtomicBool::new(false),
            runtime_key: Secret(key),
            runtime_keyring,
            token_hasher,
            runtime_token: Secret(token),
            pull_url: RwLock::new(pull_url),
            https,
            deployer_error: std::sync::Mutex::new(None),
        })
    }

    /// Records the address the control plane actually bound (port 0 in tests).
    pub fn set_bound_address(&self, addr: SocketAddr) {
        if self.config.pull_url.is_none() {
            *self.pull_url.write().unwrap_or_else(|e| e.into_inner()) = loopback_url(addr, self.https);
        }
    }

    /// Whether `presented` is the runtime token (constant time).
    pub fn runtime_token_matches(&self, presented: &str) -> bool {
        use subtle::ConstantTimeEq;
        presented.as_bytes().ct_eq(self.runtime_token.0.as_bytes()).into()
    }

    /// The deployer's target.
    pub fn target(&self) -> Target {
        self.deployer.target()
    }

    /// The deployer.
    pub fn deployer(&self) -> &dyn Deployer {
        self.deployer.as_ref()
    }

    /// Why the deployer could not start the runtime at the last deploy, if it could not.
    pub fn deployer_error(&self) -> Option<String> {
        self.deployer_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether a deploy is running now.
    pub fn is_deploying(&self) -> bool {
        self.deploying.load(Ordering::Relaxed)
    }

    /// Builds what the store holds now as release `number` (not stored).
    pub async fn build_current(
        &self,
        db: &DatabaseConnection,
        store_keys: &Keyring,
        number: u64,
    ) -> Result<Built, ApiError> {
        let (settings, tokens) = settings::load(db).await?;
        settings.validate().map_err(|e| prefix_problems(e, "server"))?;
        build(db, number, &settings, &tokens, Keys { store: store_keys, runtime: &self.runtime_keyring }).await
    }

    /// Validates and builds the store's content, stores it as the next
    /// release, publishes it and makes sure a runtime runs.
    pub async fn deploy(&self, db: &DatabaseConnection, store_keys: &Keyring) -> Result<Deployed, ApiError> {
        let _guard = self.lock.lock().await;
        let _flag = Flag::raise(&self.deploying);
        self.logs.deploy("Deploy started: validating the store.");
        let next = store::latest(db).await?.map_or(1, |r| r.number + 1) as u64;
        let built = self.build_current(db, store_keys, next).await.inspect_err(|e| {
            if let ApiError::Invalid(p) = e {
                self.logs.deploy(&format!("Deploy refused: {} problem(s); nothing was changed.", p.0.len()));
            }
        })?;
        let (release, changes) = store::publish(db, &built, None).await?;
        self.go_live(db, &release).await?;
        Ok(Deployed { release, changes })
    }

    /// Publishes a copy of release `number` as the next release.
    pub async fn redeploy(&self, db: &DatabaseConnection, number: i64) -> Result<Deployed, ApiError> {
        let _guard = self.lock.lock().await;
        let _flag = Flag::raise(&self.deploying);
        let old = store::get(db, number).await?;
        let next = store::latest(db).await?.map_or(1, |r| r.number + 1) as u64;
        self.logs.deploy(&format!("Redeploy of release {number} as release {next} started."));
        let restamp = |text: &str| -> Result<Manifest, ApiError> {
            let mut m = Manifest::from_json(text).map_err(ApiError::internal)?;
            m.release = next;
            if !m.server.version.is_empty() {
                m.server.version = format!("1.0.{next}");
            }
            m.content_hash.clear();
            m.seal_hash();
            Ok(m)
        };
        let built = Built {
            manifest: restamp(&old.manifest)?,
            source: Manifest::from_json(&old.source).map_err(ApiError::internal)?,
        };
        let (release, changes) = store::publish(db, &built, Some(number)).await?;
        self.go_live(db, &release).await?;
        Ok(Deployed { release, changes })
    }

    async fn go_live(&self, db: &DatabaseConnection, release: &release::Model) -> Result<(), ApiError> {
        self.hub.publish(Some(published(release)));
        self.logs.deploy(&format!("Release {} published ({}).", release.number, release.content_hash));
        let launch = self.launch(db).await?;
        // The release is stored and published either way; a deployer failure
        // is the runtime's problem, reported by the status, not a failed deploy.
        let outcome = self.deployer.ensure_running(launch).await.err().map(|e| e.to_string());
        if let Some(e) = &outcome {
            self.logs.deploy(&format!("The {:?} deployer failed: {e}", self.target()));
        }
        *self.deployer_error.lock().unwrap_or_else(|e| e.into_inner()) = outcome;
        Ok(())
    }

    /// How the deployers start a runtime, from the current settings.
    pub async fn launch(&self, db: &DatabaseConnection) -> Result<Launch, ApiError> {
        let (s, _) = settings::load(db).await?;
        Ok(Launch {
            control_plane_url: self.pull_url.read().unwrap_or_else(|e| e.into_inner()).clone(),
            token: self.runtime_token.clone(),
            key: self.runtime_key.clone(),
            bind: self.config.runtime_bind,
            allowed_hosts: s.allowed_hosts,
            allowed_origins: s.allowed_origins,
            log_filter: s.log_level.filter().to_string(),
            tls: self.config.runtime_tls.clone(),
            pull_ca: self.config.pull_ca_file.clone(),
        })
    }

    /// Unpublishes and stops the runtime; the next deploy starts it again.
    pub async fn stop(&self, db: &DatabaseConnection) -> Result<(), ApiError> {
        let _guard = self.lock.lock().await;
        let state = store::state(db).await?;
        store::set_state(db, state.active_release, true).await?;
        self.hub.publish(None);
        self.deployer.stop().await.map_err(|e| ApiError::internal(anyhow::anyhow!("deployer: {e}")))?;
        self.hub.forget_all();
        self.logs.deploy("Stopped: nothing is published; the runtime is down.");
        Ok(())
    }

    /// At start: publish the active release again and bring the runtime up,
    /// unless the admin stopped it.
    pub async fn resume(&self, db: &DatabaseConnection) -> Result<(), ApiError> {
        use sea_orm::EntityTrait;
        // Runtimes that reported recently still count until they report again.
        for b in crate::storage::entities::runtime_heartbeat::Entity::find().all(db).await? {
            self.hub.restore(super::hub::Heartbeat {
                instance_id: b.instance_id,
                runtime_version: b.runtime_version,
                release: b.release.and_then(|r| u64::try_from(r).ok()),
                status: b.status,
                message: b.message,
                last_seen: b.last_seen,
            });
        }
        let state = store::state(db).await?;
        let Some(number) = state.active_release.filter(|_| !state.stopped) else { return Ok(()) };
        let release = store::get(db, number).await?;
        let _guard = self.lock.lock().await;
        self.logs.deploy(&format!("Resuming release {number}."));
        self.go_live(db, &release).await
    }
}

/// What runtimes pull for `release`.
pub fn published(release: &release::Model) -> Published {
    Published { number: release.number as u64, hash: release.content_hash.clone(), body: release.manifest.clone() }
}

fn loopback_url(addr: SocketAddr, https: bool) -> String {
    let scheme = if https { "https" } else { "http" };
    match addr {
        SocketAddr::V4(a) => format!("{scheme}://127.0.0.1:{}", a.port()),
        SocketAddr::V6(a) => format!("{scheme}://[::1]:{}", a.port()),
    }
}

fn prefix_problems(e: ApiError, prefix: &str) -> ApiError {
    match e {
        ApiError::Invalid(mut p) => {
            for x in &mut p.0 {
                x.path = format!("{prefix}.{}", x.path);
            }
            ApiError::Invalid(p)
        }
        other => other,
    }
}

/// Sets a flag for as long as it lives.
struct Flag<'a>(&'a AtomicBool);

impl<'a> Flag<'a> {
    fn raise(b: &'a AtomicBool) -> Self {
        b.store(true, Ordering::Relaxed);
        Flag(b)
    }
}

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}
