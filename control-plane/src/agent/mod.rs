//! Agent access: AI agents manage Quarry itself over MCP at `/agent/mcp`,
//! with scoped, expiring agent tokens (`token`, `scope`: the domain, in
//! `model::agent`, re-exported here), a tool registry
//! whose handlers call the same functions the REST API calls (`registry`),
//! a per-credential rate limit (`limit`) and an activity log of every call.
//! How a bearer becomes a [`credential::Credential`] is in `credential`: an
//! agent token or an OAuth access token (`crate::oauth`).

pub use crate::model::agent::{activity, scope, token};

mod catalog;
pub mod credential;
pub mod http;
pub mod inputs;
pub mod limit;
pub mod registry;
pub mod schema;
pub mod server;

use anyhow::Context;
use shared_model::Keyring;
use shared_model::token::TokenHasher;

/// Where the agent MCP endpoint is served.
pub const PATH: &str = "/agent/mcp";

/// Agent access settings.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// Longest an agent token may live, in hours (`QUARRY_AGENT_TOKEN_MAX_HOURS`, default 720).
    pub max_token_hours: u32,
    /// Tool calls allowed per credential per minute (`QUARRY_AGENT_RATE_PER_MINUTE`, default 120).
    pub rate_per_minute: u32,
    /// Lifetime of an OAuth access token, seconds (`QUARRY_OAUTH_TOKEN_TTL_SECONDS`, default 900).
    pub oauth_token_ttl_seconds: u32,
    /// Let Client ID Metadata Documents be fetched from loopback addresses, over `http` too
    /// (`QUARRY_OAUTH_ALLOW_LOOPBACK_CLIENTS=1`; for tests and local development only).
    pub oauth_allow_loopback_clients: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            max_token_hours: 720,
            rate_per_minute: 120,
            oauth_token_ttl_seconds: crate::oauth::DEFAULT_TOKEN_TTL_SECONDS,
            oauth_allow_loopback_clients: false,
        }
    }
}

impl AgentConfig {
    /// Reads the settings through `var`.
    pub fn from_source(var: &impl Fn(&str) -> Option<String>) -> anyhow::Result<AgentConfig> {
        let mut c = AgentConfig::default();
        let read = |name: &str, max: u32, into: &mut u32| crate::config::read_bounded(var, name, max, into);
        read("QUARRY_AGENT_TOKEN_MAX_HOURS", 24 * 366, &mut c.max_token_hours)?;
        read("QUARRY_AGENT_RATE_PER_MINUTE", 100_000, &mut c.rate_per_minute)?;
        read("QUARRY_OAUTH_TOKEN_TTL_SECONDS", crate::oauth::MAX_TOKEN_TTL_SECONDS, &mut c.oauth_token_ttl_seconds)?;
        c.oauth_allow_loopback_clients = match var("QUARRY_OAUTH_ALLOW_LOOPBACK_CLIENTS").as_deref().map(str::trim) {
            None | Some("" | "0" | "false") => false,
            Some("1" | "true") => true,
            Some(other) => anyhow::bail!("QUARRY_OAUTH_ALLOW_LOOPBACK_CLIENTS must be 1 or 0, not {other:?}"),
        };
        Ok(c)
    }
}

/// What the agent endpoint needs at run time.
pub struct AgentAccess {
    /// Keys agent token hashes (`agent.key` in the data dir).
    pub hasher: TokenHasher,
    /// The settings.
    pub config: AgentConfig,
    /// The per-credential call limit.
    pub limiter: limit::RateLimiter,
    /// Bounds how many refused tokens per client address reach the audit trail
    /// ([`REFUSALS_AUDITED_PER_MINUTE`]), so garbage tokens cannot flood it.
    pub refusals: limit::RateLimiter,
    /// The OAuth authorization server: signing keys and failed client authentications.
    pub oauth: crate::oauth::OAuthServer,
}

/// Refused agent tokens audited per client address per minute; more are refused all the same, unrecorded.
pub const REFUSALS_AUDITED_PER_MINUTE: u32 = 10;

impl AgentAccess {
    /// Loads (or generates once) `agent.key` in `data_dir`.
    pub fn load(config: AgentConfig, data_dir: &std::path::Path) -> anyhow::Result<AgentAccess> {
        let key = crate::keys::load_or_generate(None, data_dir, "agent.key", Keyring::generate_key)?;
        let hasher = TokenHasher::from_runtime_key(&key).context("agent.key")?;
        Ok(AgentAccess {
            hasher,
            oauth: crate::oauth::OAuthServer::load(
                data_dir,
                config.oauth_token_ttl_seconds,
                config.oauth_allow_loopback_clients,
            )?,
            limiter: limit::RateLimiter::new(config.rate_per_minute),
            refusals: limit::RateLimiter::new(REFUSALS_AUDITED_PER_MINUTE),
            config,
        })
    }
}
