//! The access document runtimes follow apart from releases
//! (`GET /api/v1/runtime/access`): the *current* auth rule, read from the
//! store — never from a release. So a revocation reaches running runtimes
//! without a deploy, and a rollback to an old release cannot bring back a
//! revoked token or a weaker auth mode (a pulling runtime ignores the
//! release's `auth` section).
//!
//! Auth mode `oauth` becomes the manifest's `OAuthSettings`: the resource is
//! the public MCP URL (`public_url`, else the runtime's address, plus `/mcp`;
//! the URL the Connect page shows, never a request's `Host`), the external
//! issuers, and Quarry's own authorization server with its current public
//! keys inline (current and retired, as `/oauth/jwks.json` serves them) — so
//! runtimes call no one on the request path, and a key rotation reaches them
//! within one refresh. The introspection secret is opened with the store key
//! and sealed for the runtime; the last published sealing is reused while it
//! still opens to the same secret, so the document's hash changes only when
//! something did. The release build writes `auth` with [`auth`] too, for
//! runtimes that serve a manifest file.
//!
//! The store is re-read after each token or settings change made through the
//! API, and every [`REFRESH_EVERY`] in the background (which also covers
//! changes made by the CLI, an import, another control plane on the same
//! PostgreSQL store, and key rotations): one small query per period, whatever
//! the number of runtimes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use shared_model::manifest::{AuthSettings, BearerToken, SealedSecret};
use shared_model::protocol::AccessDocument;
use shared_model::{Keyring, Problems};

use super::{Hub, Keys};
use crate::settings::oauth::QuarryKeys;
use crate::settings::{AuthMode, ServerSettings};
use crate::storage::settings::Stored;
use crate::storage::{Conn, StoreError};

/// How often the store is re-read when nothing announced a change.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Quarry's own authorization server, as runtimes are told to trust it.
pub struct QuarryIssuer {
    /// Its `iss` (Quarry's public URL).
    pub issuer: String,
    /// Its signing keys (the file `quarry oauth rotate-key` rewrites).
    pub keys: Arc<crate::oauth::keys::SigningKeys>,
}

impl QuarryIssuer {
    /// Its issuer and the public keys its JWKS serves now.
    pub fn public_keys(&self) -> QuarryKeys {
        let jwks = self.keys.jwks(chrono::Utc::now());
        let keys = serde_json::from_value(jwks["keys"].clone()).unwrap_or_default();
        QuarryKeys { issuer: self.issuer.clone(), keys }
    }
}

/// What turns stored auth settings into what runtimes apply, besides the store.
pub struct AuthInputs<'a> {
    /// Where runtimes are reached when `public_url` is not set.
    pub runtime_url: String,
    /// Quarry's own authorization server.
    pub quarry: &'a QuarryIssuer,
}

/// The auth rule runtimes apply for the stored settings. Bearer mode without
/// a token admits no one, and `none` needing an acknowledgement it does not
/// have (`needs_ack`: the runtime is reachable from the network) is bearer
/// with no token. `scopes`: the scopes published entities require;
/// `previous`: the rule last published (its sealed secret is reused).
pub fn auth(
    stored: &Stored,
    keys: &Keys<'_>,
    needs_ack: bool,
    scopes: BTreeSet<String>,
    previous: Option<&AuthSettings>,
) -> Result<AuthSettings, Problems> {
    let settings = &stored.settings;
    let open = settings.check_exposure(needs_ack).is_ok();
    let bearer = || AuthSettings::Bearer {
        tokens: stored.tokens.iter().map(|t| BearerToken { id: t.id.clone(), hash: t.hash.clone() }).collect(),
    };
    match settings.auth_mode {
        AuthMode::None if open => Ok(AuthSettings::None),
        AuthMode::None | AuthMode::Bearer => Ok(bearer()),
        AuthMode::Oauth => oauth(settings, stored, keys, scopes, previous),
    }
}

fn oauth(
    settings: &ServerSettings,
    stored: &Stored,
    keys: &Keys<'_>,
    scopes: BTreeSet<String>,
    previous: Option<&AuthSettings>,
) -> Result<AuthSettings, Problems> {
    settings.check_oauth_resource(&keys.auth.runtime_url)?;
    let resource = settings.mcp_url(&keys.auth.runtime_url);
    let secret = match (&settings.oauth.introspection, &stored.secrets.introspection_client_secret) {
        (Some(_), Some(at_rest)) => {
            let plain = keys.store.decrypt(at_rest).map_err(|e| {
                Problems::one("oauth.introspection.client_secret", format!("{e}; set the client secret again"))
            })?;
            Some(
                reuse_sealing(previous, keys.runtime, &plain)
                    .unwrap_or_else(|| SealedSecret::seal(keys.runtime, &plain)),
            )
        }
        _ => None,
    };
    let form = settings.oauth.manifest_form(resource, Some(keys.auth.quarry.public_keys()), scopes, secret);
    let mut p = Problems::default();
    form.check("oauth", &mut p);
    p.into_result()?;
    Ok(AuthSettings::Oauth(form))
}

/// The previous document's sealed introspection secret, if it opens to `plain`.
fn reuse_sealing(previous: Option<&AuthSettings>, runtime: &Keyring, plain: &str) -> Option<SealedSecret> {
    let Some(AuthSettings::Oauth(o)) = previous else { return None };
    let sealed = o.introspection.as_ref()?.client_secret.as_ref()?;
    let same = sealed.open(runtime).ok().is_some_and(|p| constant_time_eq(p.as_bytes(), plain.as_bytes()));
    same.then(|| sealed.clone())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The access document for the stored settings. Settings that cannot be applied (they reached the store another
/// way than the API, e.g. an import) close the runtimes instead of opening them.
pub fn document(
    stored: &Stored,
    keys: &Keys<'_>,
    needs_ack: bool,
    scopes: BTreeSet<String>,
    previous: Option<&AuthSettings>,
) -> AccessDocument {
    let closed = AuthSettings::Bearer { tokens: Vec::new() };
    let auth = auth(stored, keys, needs_ack, scopes, previous).unwrap_or_else(|p| {
        // Once, not at every refresh.
        if previous != Some(&closed) {
            tracing::warn!(problems = %p, "The auth settings cannot be applied; runtimes admit no one until they are fixed.");
        }
        closed.clone()
    });
    AccessDocument { auth }
}

/// Only the scopes of a manifest's entities.
#[derive(Deserialize, Default)]
struct EntityScopes {
    #[serde(default)]
    tools: Vec<Scoped>,
    #[serde(default)]
    resources: Vec<Scoped>,
    #[serde(default)]
    prompts: Vec<Scoped>,
}

#[derive(Deserialize)]
struct Scoped {
    #[serde(default)]
    scopes: Vec<String>,
}

/// The scopes the active release's entities require.
fn published_scopes(hub: &Hub) -> BTreeSet<String> {
    let Some(current) = hub.current() else { return BTreeSet::new() };
    let m: EntityScopes = serde_json::from_str(&current.body).unwrap_or_default();
    m.tools.into_iter().chain(m.resources).chain(m.prompts).flat_map(|s| s.scopes).collect()
}

/// Reads the store and publishes its access document if it changed
/// (`needs_ack`: see [`auth`]).
pub async fn refresh(db: &impl Conn, hub: &Hub, keys: &Keys<'_>, needs_ack: bool) -> Result<(), StoreError> {
    let stored = crate::storage::settings::load_all(db).await?;
    let previous = hub.access().and_then(|p| serde_json::from_str::<AccessDocument>(&p.body).ok());
    let doc = document(&stored, keys, needs_ack, published_scopes(hub), previous.as_ref().map(|d| &d.auth));
    hub.publish_access(doc);
    Ok(())
}

/// Re-reads the store every [`REFRESH_EVERY`] until the process ends.
pub async fn run(db: sea_orm::DatabaseConnection, deploy: Arc<crate::deploy::DeployService>, store: Arc<Keyring>) {
    loop {
        if let Err(e) = deploy.refresh_access(&db, &store).await {
            tracing::warn!(error = %e, "Could not read the access settings; runtimes keep the last ones.");
        }
        tokio::time::sleep(REFRESH_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::StoredToken;

    fn quarry() -> QuarryIssuer {
        let dir = std::env::temp_dir().join(format!("quarry-access-{}", uuid::Uuid::new_v4()));
        let keys = crate::oauth::keys::SigningKeys::load_or_generate(&dir).unwrap();
        QuarryIssuer { issuer: "https://quarry.example.com".into(), keys: Arc::new(keys) }
    }

    fn key() -> Keyring {
        Keyring::from_base64_list(&Keyring::generate_key()).unwrap()
    }

    fn stored(settings: ServerSettings) -> Stored {
        Stored { settings, tokens: Vec::<StoredToken>::new(), secrets: Default::default() }
    }

    #[test]
    fn open_access_needs_the_acknowledgement_where_it_is_needed_and_never_falls_open() {
        let (store, runtime, q) = (key(), key(), quarry());
        let keys = Keys {
            store: &store,
            runtime: &runtime,
            auth: AuthInputs { runtime_url: "http://127.0.0.1:8080".into(), quarry: &q },
        };
        let doc = |s: ServerSettings, ack| document(&stored(s), &keys, ack, BTreeSet::new(), None).auth;
        let open = ServerSettings { auth_mode: AuthMode::None, ..Default::default() };
        assert_eq!(doc(open.clone(), false), AuthSettings::None);
        // Unacknowledged `none` on the network (e.g. imported settings) closes instead.
        assert_eq!(doc(open.clone(), true), AuthSettings::Bearer { tokens: vec![] });
        let acked = ServerSettings { allow_unauthenticated_network_access: true, ..open };
        assert_eq!(doc(acked, true), AuthSettings::None);
        assert_eq!(doc(ServerSettings::default(), false), AuthSettings::Bearer { tokens: vec![] });
        // OAuth on a plain-http public address cannot be applied: closed, not open.
        let plain = ServerSettings {
            auth_mode: AuthMode::Oauth,
            public_url: Some("http://mcp.example.com".into()),
            ..Default::default()
        };
        assert_eq!(doc(plain, false), AuthSettings::Bearer { tokens: vec![] });
    }

    #[test]
    fn oauth_names_the_public_mcp_url_and_carries_quarrys_keys() {
        let (store, runtime, q) = (key(), key(), quarry());
        let keys = Keys {
            store: &store,
            runtime: &runtime,
            auth: AuthInputs { runtime_url: "http://127.0.0.1:8080".into(), quarry: &q },
        };
        let s = ServerSettings {
            auth_mode: AuthMode::Oauth,
            public_url: Some("https://mcp.example.com/".into()),
            ..Default::default()
        };
        let AuthSettings::Oauth(o) = document(&stored(s), &keys, true, ["orders.read".into()].into(), None).auth else {
            panic!("oauth expected")
        };
        assert_eq!(o.resource, "https://mcp.example.com/mcp");
        assert_eq!(o.issuers.len(), 1);
        assert_eq!(o.issuers[0].issuer, "https://quarry.example.com");
        assert_eq!(o.issuers[0].keys[0].kid.as_deref(), Some(q.keys.current_kid().as_str()));
        assert_eq!(o.scopes_supported, ["mcp:tools", "orders.read"]);
    }
}
