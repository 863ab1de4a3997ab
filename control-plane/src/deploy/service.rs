//! The deploy service: one per control plane. Deploys are serialised; each
//! stores the next release (see `release`), publishes it to pulling runtimes
//! and makes sure the target runs one.
//!
//! The store is the source of truth, not this process: several control planes
//! on one PostgreSQL store each [`DeployService::follow`] it — every interval
//! (`QUARRY_FOLLOW_INTERVAL_MS`, default 1 s) they read the deploy state and the
//! runtimes' heartbeats and publish what another control plane deployed or
//! stopped, so every pod answers `/runtime/manifest` and `/deploy/status` alike
//! within one interval. Two small queries per interval per control plane.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use mcp_runtime::db::Engine;
use shared_model::Keyring;
use shared_model::manifest::Manifest;
use tokio::sync::{Mutex, watch};

use super::DeployConfig;
use super::deployer::{DeployError, Deployer, External, Launch, Target};
use super::local::LocalDeployer;
use super::logs::LogBuffer;
use crate::describe;
use crate::keys::RuntimeKeys;
use crate::model::Actor;
use crate::model::release::{DeployState, StoredRelease};
use crate::release::access::{AuthInputs, QuarryIssuer};
use crate::release::{self, Hub, Keys};
use crate::settings::{AuthMode, StoredToken};
use crate::storage::{Db, StoreError, Write, heartbeats, releases};

/// What a deploy did.
#[derive(Debug)]
pub struct Deployed {
    /// The release it stored and published.
    pub release: StoredRelease,
    /// The bearer token it minted because bearer auth had none (shown once).
    pub token: Option<String>,
}

/// Deploy state shared by the handlers.
pub struct DeployService {
    /// The settings it was built from.
    pub config: DeployConfig,
    /// Runtime and deploy log lines.
    pub logs: Arc<LogBuffer>,
    hub: Arc<Hub>,
    keys: Arc<RuntimeKeys>,
    deployer: Box<dyn Deployer>,
    lock: Mutex<()>,
    deploying: AtomicBool,
    pull_url: RwLock<String>,
    https: bool,
    deployer_error: std::sync::Mutex<Option<String>>,
    /// Quarry's own authorization server, which auth mode `oauth` trusts by default.
    quarry: QuarryIssuer,
    /// Turns `true` once when the control plane starts shutting down.
    closing: watch::Sender<bool>,
}

/// Longest wait for the local runtime to exit when the control plane shuts
/// down; after it the child is killed (the control plane must be gone within
/// 3 s, well inside `docker stop`'s 10 s).
const LOCAL_STOP_ON_SHUTDOWN: std::time::Duration = std::time::Duration::from_millis(2000);

impl DeployService {
    /// Picks the deployer. Must run inside a Tokio runtime (the local
    /// supervisor is a task). `https`: whether the control plane itself
    /// serves HTTPS (then runtimes pull over it).
    pub fn new(
        config: DeployConfig,
        hub: Arc<Hub>,
        keys: Arc<RuntimeKeys>,
        data_dir: &std::path::Path,
        bind: SocketAddr,
        https: bool,
        quarry: QuarryIssuer,
    ) -> anyhow::Result<Self> {
        let logs = Arc::new(LogBuffer::default());
        let deployer: Box<dyn Deployer> = match config.target {
            Target::Local => Box::new(LocalDeployer::spawn(config.runtime_binary(), logs.clone())),
            Target::Docker => Box::new(super::docker::DockerDeployer::new(&config, data_dir, logs.clone())?),
            Target::Kubernetes => Box::new(External),
        };
        let pull_url = config.pull_url.clone().unwrap_or_else(|| loopback_url(bind, https));
        Ok(DeployService {
            config,
            logs,
            hub,
            keys,
            deployer,
            lock: Mutex::new(()),
            deploying: AtomicBool::new(false),
            pull_url: RwLock::new(pull_url),
            https,
            deployer_error: std::sync::Mutex::new(None),
            quarry,
            closing: watch::channel(false).0,
        })
    }

    /// Records the address the control plane actually bound (port 0 in tests).
    pub fn set_bound_address(&self, addr: SocketAddr) {
        if self.config.pull_url.is_none() {
            *self.pull_url.write().unwrap_or_else(|e| e.into_inner()) = loopback_url(addr, self.https);
        }
    }

    /// The deployer's target.
    pub fn target(&self) -> Target {
        self.deployer.target()
    }

    /// The deployer.
    pub fn deployer(&self) -> &dyn Deployer {
        self.deployer.as_ref()
    }

    /// What runtimes pull and what they said.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Whether `auth_mode: none` needs the admin's acknowledgement: MCP clients
    /// beyond this machine can reach the runtime (the `kubernetes` target, or a
    /// managed runtime bound to a non-loopback address) and the operator has not
    /// accepted that already (`QUARRY_ALLOW_UNAUTHENTICATED_MCP`).
    pub fn open_access_needs_ack(&self) -> bool {
        let exposed = self.target() == Target::Kubernetes || !self.config.runtime_bind.ip().is_loopback();
        exposed && !self.config.allow_unauthenticated_mcp
    }

    /// A shared handle on the hub, for background tasks.
    pub fn hub_handle(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    /// Why the deployer could not start the runtime at the last deploy, if it could not.
    pub fn deployer_error(&self) -> Option<String> {
        self.deployer_error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Resolves once the control plane is shutting down: long-polls answer
    /// and log streams close at once instead of holding the shutdown up.
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    /// Shutdown: ends long-polls and log streams, and stops a local runtime
    /// (SIGTERM, so it drains its calls; killed if it is not gone in 2 s).
    /// Docker and Kubernetes runtimes keep serving their release while the
    /// control plane is away, so they are left alone.
    pub async fn shut_down(&self) {
        self.closing.send_replace(true);
        if self.deployer.target() == Target::Local {
            self.logs.deploy("The control plane is shutting down: stopping quarry-runtime.");
            if tokio::time::timeout(LOCAL_STOP_ON_SHUTDOWN, self.deployer.stop()).await.is_err() {
                tracing::warn!("The local runtime did not stop in time; it is killed with the control plane.");
            }
        }
    }

    /// Whether a deploy is running now.
    pub fn is_deploying(&self) -> bool {
        self.deploying.load(Ordering::Relaxed)
    }

    /// The keys a build needs: the store's, to open secrets, and the runtime's, to seal them.
    pub fn build_keys<'a>(&'a self, store: &'a Keyring) -> Keys<'a> {
        Keys {
            store,
            runtime: &self.keys.keyring,
            auth: AuthInputs { runtime_url: self.config.runtime_url(), quarry: &self.quarry },
        }
    }

    /// Reads the store and publishes the access document runtimes follow, if it changed.
    pub async fn refresh_access(&self, db: &impl crate::storage::Conn, store: &Keyring) -> Result<(), StoreError> {
        release::access::refresh(db, &self.hub, &self.build_keys(store), self.open_access_needs_ack()).await
    }

    /// Validates and builds the store's content, stores it as the next
    /// release, publishes it and makes sure a runtime runs. With bearer auth
    /// and no token yet, a first token is minted in the same write and
    /// returned (the only time it is shown). Before the write, every enabled
    /// tool's statement is described on `engine` again (see [`crate::describe`]):
    /// result columns that changed since the tool was saved are problems.
    pub async fn deploy(
        &self,
        db: &Db,
        engine: &Engine,
        store_keys: &Keyring,
        actor: &Actor,
    ) -> Result<Deployed, DeployError> {
        let _guard = self.lock.lock().await;
        let _flag = Flag::raise(&self.deploying);
        self.logs.deploy("Deploy started: validating the store.");
        // Outside the write: describing waits on the tools' databases.
        let checked = describe::check(db, engine, store_keys).await?;
        for tool in &checked.unchecked {
            self.logs.deploy(&format!("Result columns of tool {tool} (not checked; it keeps its output schema)."));
        }
        let mut w = Write::begin(db, actor).await?;
        let (settings, tokens) = crate::storage::settings::load(w.tx()).await?;
        settings.check_exposure(self.open_access_needs_ack()).map_err(|p| StoreError::from(p.prefixed("server")))?;
        let mut minted = None;
        if settings.auth_mode == AuthMode::Bearer && tokens.is_empty() {
            let (record, token) = StoredToken::mint("first token (minted by deploy)", &self.keys.token_hasher)
                .map_err(StoreError::from)?;
            crate::storage::settings::add_token(&mut w, record).await?;
            minted = Some(token);
        }
        describe::fill(&mut w, checked.derived).await?;
        let built = release::create(&mut w, self.build_keys(store_keys)).await;
        // Every problem at once: the build's and the drifted result columns.
        let release = match (built, checked.problems) {
            (Ok(r), drift) if drift.is_empty() => Ok(r),
            (Ok(_), drift) => Err(StoreError::Invalid(drift)),
            (Err(StoreError::Invalid(mut p)), drift) => {
                p.0.extend(drift.0);
                Err(StoreError::Invalid(p))
            }
            (Err(e), _) => Err(e),
        };
        let release = release.inspect_err(|e| {
            if let StoreError::Invalid(p) = e {
                self.logs.deploy(&format!("Deploy refused: {} problem(s); nothing was changed.", p.0.len()));
            }
        })?;
        w.commit().await?;
        if minted.is_some() {
            self.logs.deploy("Minted a first MCP bearer token; it is shown once, in the deploy response.");
            self.refresh_access(db, store_keys).await?;
        }
        self.go_live(db, &release).await?;
        Ok(Deployed { release, token: minted })
    }

    /// Publishes a copy of release `number` as the next release.
    pub async fn redeploy(
        &self,
        db: &Db,
        engine: &Engine,
        store_keys: &Keyring,
        actor: &Actor,
        number: i64,
    ) -> Result<StoredRelease, DeployError> {
        let _guard = self.lock.lock().await;
        let _flag = Flag::raise(&self.deploying);
        self.logs.deploy(&format!("Redeploy of release {number} started."));
        // Outside the write, like a deploy's check: the release's output schemas must still hold.
        let old = releases::get(db, number).await?;
        let manifest = Manifest::from_json(&old.manifest).map_err(StoreError::internal)?;
        let checked = describe::check_release(db, engine, store_keys, &manifest, number).await?;
        for tool in &checked.unchecked {
            self.logs.deploy(&format!("Result columns of tool {tool} (not checked; the release's schema is kept)."));
        }
        if !checked.problems.is_empty() {
            self.logs.deploy(&format!(
                "Redeploy refused: {} tool(s) no longer match their output schema; nothing was changed.",
                checked.problems.0.len()
            ));
            return Err(StoreError::Invalid(checked.problems).into());
        }
        let mut w = Write::begin(db, actor).await?;
        let release = release::recreate(&mut w, number).await?;
        w.commit().await?;
        self.logs.deploy(&format!("Release {number} is published again as release {}.", release.number));
        self.go_live(db, &release).await?;
        Ok(release)
    }

    async fn go_live(&self, db: &Db, stored: &StoredRelease) -> Result<(), DeployError> {
        self.hub.publish(Some(release::publication(stored)));
        self.logs.deploy(&format!("Release {} published ({}).", stored.number, stored.content_hash));
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
    pub async fn launch(&self, db: &Db) -> Result<Launch, StoreError> {
        let (s, _) = crate::storage::settings::load(db).await?;
        Ok(Launch {
            control_plane_url: self.pull_url.read().unwrap_or_else(|e| e.into_inner()).clone(),
            token: self.keys.token.clone(),
            key: self.keys.key.clone(),
            bind: self.config.runtime_bind,
            allowed_hosts: s.allowed_hosts,
            allowed_origins: s.allowed_origins,
            log_filter: s.log_level.filter().to_string(),
            tls: self.config.runtime_tls.clone(),
            pull_ca: self.config.pull_ca_file.clone(),
            traces: self.config.runtime_traces.clone(),
        })
    }

    /// Unpublishes and stops the runtime; the next deploy starts it again.
    pub async fn stop(&self, db: &Db, actor: &Actor) -> Result<(), DeployError> {
        let _guard = self.lock.lock().await;
        let mut w = Write::begin(db, actor).await?;
        let state = releases::state(w.tx()).await?;
        releases::set_state(&mut w, DeployState { stopped: true, ..state }).await?;
        heartbeats::clear(w.tx()).await?;
        w.commit().await?;
        self.hub.publish(None);
        self.deployer.stop().await?;
        self.hub.forget_all();
        self.logs.deploy("Stopped: nothing is published; the runtime is down.");
        Ok(())
    }

    /// At start: publish the active release again and bring the runtime up,
    /// unless the admin stopped it.
    pub async fn resume(&self, db: &Db) -> Result<(), DeployError> {
        // Runtimes that reported recently still count until they report again.
        for beat in heartbeats::all(db).await? {
            self.hub.restore(beat);
        }
        let state = releases::state(db).await?;
        let Some(number) = state.active_release.filter(|_| !state.stopped) else { return Ok(()) };
        let stored = releases::get(db, number).await?;
        let _guard = self.lock.lock().await;
        self.logs.deploy(&format!("Resuming release {number}."));
        self.go_live(db, &stored).await
    }
}

impl DeployService {
    /// Follows the store for as long as the process runs (see the module doc).
    pub async fn follow(self: Arc<Self>, db: Db) {
        let mut tick = tokio::time::interval(self.config.follow_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if let Err(e) = self.sync(&db).await {
                tracing::warn!(error = %e, "Could not read the deploy state from the store; trying again.");
            }
        }
    }

    /// Publishes what the store says is deployed (a release, or nothing once
    /// stopped) when this control plane publishes something else, and takes
    /// in the heartbeats other control planes received.
    pub async fn sync(&self, db: &Db) -> Result<(), StoreError> {
        for beat in heartbeats::all(db).await? {
            self.hub.restore(beat);
        }
        let wanted = |s: DeployState| s.active_release.filter(|_| !s.stopped);
        let published = || self.hub.current().map(|p| p.number as i64);
        if wanted(releases::state(db).await?) == published() {
            return Ok(());
        }
        // A deploy or stop running here publishes by itself; look again after it.
        let Ok(_guard) = self.lock.try_lock() else { return Ok(()) };
        let want = wanted(releases::state(db).await?);
        if want == published() {
            return Ok(());
        }
        match want {
            Some(number) => {
                let stored = releases::get(db, number).await?;
                self.hub.publish(Some(release::publication(&stored)));
                self.logs.deploy(&format!(
                    "Release {number} was deployed through another control plane; published here too."
                ));
            }
            None => {
                self.hub.publish(None);
                self.hub.forget_all();
                self.logs.deploy("Stopped through another control plane: nothing is published here either.");
            }
        }
        Ok(())
    }
}

fn loopback_url(addr: SocketAddr, https: bool) -> String {
    let scheme = if https { "https" } else { "http" };
    match addr {
        SocketAddr::V4(a) => format!("{scheme}://127.0.0.1:{}", a.port()),
        SocketAddr::V6(a) => format!("{scheme}://[::1]:{}", a.port()),
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
