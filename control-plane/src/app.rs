//! Wiring: one `Application::build` that `main` and the tests both call.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use sea_orm::DatabaseConnection;
use shared_model::Keyring;
use tokio::net::TcpListener;

use crate::auth::ratelimit::LoginLimiter;
use crate::auth::session::SessionKeys;
use crate::config::Config;
use crate::keys::RuntimeKeys;
use crate::release::Hub;
use crate::storage::StoreError;
use crate::{api, auth, keys, storage};

/// How long shutdown waits for open connections and the local runtime
/// (the whole shutdown stays under 3 s).
pub const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_millis(2500);

/// Shared state of every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub db: DatabaseConnection,
    /// Encrypts secrets at rest.
    pub keyring: Arc<Keyring>,
    /// Signs and checks session cookies.
    pub sessions: Arc<SessionKeys>,
    /// Failed-login limiter.
    pub limiter: Arc<LoginLimiter>,
    /// The configuration it was built from.
    pub config: Arc<Config>,
    /// The runtime's key (seals secrets, keys MCP token hashes) and pull token.
    pub runtime_keys: Arc<RuntimeKeys>,
    /// The deployer, its logs and status; owns what runtimes pull (the release hub).
    pub deploy: Arc<crate::deploy::DeployService>,
    /// ACME challenge answers and issuance.
    pub acme: Arc<crate::tls::acme::Acme>,
    /// The SQL engine (the runtime's own code) for preview, schema browsing and connection tests.
    pub engine: mcp_runtime::db::Engine,
    /// The one-time token first-run setup needs (listening beyond loopback, no admin yet,
    /// no `QUARRY_ADMIN_*`); printed in the log at start.
    pub setup_token: Option<Arc<String>>,
    /// Agent access: the agent token hasher, its settings and the per-credential rate limit.
    pub agent: Arc<crate::agent::AgentAccess>,
}

/// A built, bound, not yet serving control plane.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The state, for tests that inspect the store.
    pub state: AppState,
}

impl Application {
    /// Opens the store (migrating it), loads or generates keys, bootstraps
    /// the admin if configured, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = build_state(config).await?;
        let listener = TcpListener::bind(state.config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", state.config.bind))?;
        let router = api::router(state.clone());
        state.deploy.set_bound_address(listener.local_addr()?);
        crate::tls::serve::start_side_tasks(&state).await?;
        // Jobs that must run once per installation take a lease in the store (several control planes may share it).
        let holder = storage::leases::holder();
        tokio::spawn(storage::history::retention::run(
            state.db.clone(),
            state.config.history_retention,
            holder.clone(),
        ));
        tokio::spawn(crate::release::access::run(state.db.clone(), state.deploy.clone(), state.keyring.clone()));
        tokio::spawn(storage::telemetry::rollup::run(state.db.clone(), state.config.telemetry, holder));
        let resume = state.clone();
        tokio::spawn(async move {
            if let Err(e) = resume.deploy.resume(&resume.db).await {
                tracing::error!(error = %e, "Could not resume the deployed release.");
            }
            resume.deploy.clone().follow(resume.db.clone()).await;
        });
        Ok(Self { listener, router, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` resolves; then stops accepting, answers long-polls,
    /// closes log streams, stops the local runtime and returns within
    /// [`SHUTDOWN_DEADLINE`] — connections still open then are dropped.
    pub async fn run_until(self, stop: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), public_url = %self.state.config.public_url, "Quarry is listening.");
        // Shutdown hook: `stopping` ends accepting; the deploy service ends what would hold connections open.
        let (stopping, stopped) = tokio::sync::watch::channel(false);
        let deploy = self.state.deploy.clone();
        let shut_down = tokio::spawn(async move {
            stop.await;
            stopping.send_replace(true);
            deploy.shut_down().await;
        });
        let until_stopped = async move {
            let mut rx = stopped;
            let _ = rx.wait_for(|s| *s).await;
        };
        let tls = match self.state.config.tls.files.clone() {
            Some(files) => Some(mcp_runtime::tls::load_and_watch(files).await?),
            None => None,
        };
        // Connections still open past the deadline are dropped.
        let mut limits = self.state.config.limits.clone();
        limits.shutdown_grace = limits.shutdown_grace.min(SHUTDOWN_DEADLINE);
        mcp_runtime::serving::serve(self.listener, self.router, tls, limits, until_stopped).await?;
        // The local runtime was given 2 s from the signal; it is killed with us past that.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), shut_down).await;
        Ok(())
    }
}

/// Store, keys and limiter, without binding a port (also used by the CLI).
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    keys::private_dir(&config.data_dir)?;
    let enc = keys::load_or_generate(
        config.encryption_key.as_ref(),
        &config.data_dir,
        "encryption.key",
        Keyring::generate_key,
    )?;
    let keyring = Keyring::from_base64_list(&enc).context("QUARRY_ENCRYPTION_KEY")?;
    let jwt = keys::load_or_generate(config.jwt_secret.as_ref(), &config.data_dir, "jwt.key", keys::random_secret)?;
    let db = storage::connect(&config.database_url).await?;
    if let Some((user, password)) = &config.bootstrap_admin {
        match auth::create_admin(&db, user, &password.0).await {
            Ok(_) => tracing::info!(username = %user, "Created the admin from QUARRY_ADMIN_USERNAME."),
            Err(auth::AuthError::Store(StoreError::Conflict(_))) => {}
            Err(e) => anyhow::bail!("cannot create the bootstrap admin: {e}"),
        }
    }
    let runtime_keys = Arc::new(RuntimeKeys::load(
        config.deploy.runtime_key.as_ref(),
        config.deploy.runtime_token.as_ref(),
        &config.data_dir,
    )?);
    let agent = Arc::new(crate::agent::AgentAccess::load(config.agent.clone(), &config.data_dir)?);
    let quarry =
        crate::release::access::QuarryIssuer { issuer: crate::oauth::issuer(&config), keys: agent.oauth.keys.clone() };
    let deploy = crate::deploy::DeployService::new(
        config.deploy.clone(),
        Arc::new(Hub::default()),
        runtime_keys.clone(),
        &config.data_dir,
        config.bind,
        config.tls.files.is_some(),
        quarry,
    )?;
    let setup_token = if !config.bind.ip().is_loopback() && storage::admins::count(&db).await? == 0 {
        let token = keys::random_secret().chars().filter(char::is_ascii_alphanumeric).take(32).collect::<String>();
        // As Grafana and Jupyter do: whoever can read this log owns the install, not whoever reaches it first.
        tracing::warn!(
            setup_token = %token,
            "First-run setup is open to the network: the setup page asks for this one-time token."
        );
        Some(Arc::new(token))
    } else {
        None
    };
    Ok(AppState {
        agent,
        setup_token,
        runtime_keys,
        deploy: Arc::new(deploy),
        acme: Arc::default(),
        db,
        keyring: Arc::new(keyring),
        sessions: Arc::new(SessionKeys::new(jwt.as_bytes(), config.secure_cookies())),
        limiter: Arc::new(LoginLimiter::default()),
        engine: mcp_runtime::db::Engine::new(),
        config: Arc::new(config),
    })
}

async fn shutdown_signal() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.ok() };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("Shutting down.");
}
