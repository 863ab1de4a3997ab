//! The access document runtimes follow apart from releases
//! (`GET /api/v1/runtime/access`): the *current* auth mode and the keyed
//! hashes of the tokens not revoked, read from the store — never from a
//! release. So a revocation reaches running runtimes without a deploy, and a
//! rollback to an old release cannot bring back a revoked token or a weaker
//! auth mode (a pulling runtime ignores the release's `auth` section).
//!
//! The store is re-read after each token or settings change made through the
//! API, and every [`REFRESH_EVERY`] in the background (which also covers
//! changes made by the CLI, an import or another control plane on the same
//! PostgreSQL store): one small query per period, whatever the number of runtimes.

use std::sync::Arc;
use std::time::Duration;

use shared_model::manifest::{AuthSettings, BearerToken};
use shared_model::protocol::AccessDocument;

use super::Hub;
use crate::settings::{AuthMode, ServerSettings, StoredToken};
use crate::storage::{Conn, StoreError};

/// How often the store is re-read when nothing announced a change.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// The access document for these settings and tokens. Bearer mode without a
/// token admits no one (it never falls open), and so does `none` when it needs
/// an acknowledgement it does not have (`needs_ack`: the runtime is reachable
/// from the network) — settings that reached the store another way (an import)
/// cannot open the runtimes.
pub fn document(settings: &ServerSettings, tokens: &[StoredToken], needs_ack: bool) -> AccessDocument {
    let open = settings.check_exposure(needs_ack).is_ok();
    let auth = match settings.auth_mode {
        AuthMode::None if open => AuthSettings::None,
        AuthMode::None | AuthMode::Bearer => AuthSettings::Bearer {
            tokens: tokens.iter().map(|t| BearerToken { id: t.id.clone(), hash: t.hash.clone() }).collect(),
        },
    };
    AccessDocument { auth }
}

/// Reads the store and publishes its access document if it changed
/// (`needs_ack`: see [`document`]).
pub async fn refresh(db: &impl Conn, hub: &Hub, needs_ack: bool) -> Result<(), StoreError> {
    let (settings, tokens) = crate::storage::settings::load(db).await?;
    hub.publish_access(document(&settings, &tokens, needs_ack));
    Ok(())
}

/// Re-reads the store every [`REFRESH_EVERY`] until the process ends.
pub async fn run(db: sea_orm::DatabaseConnection, hub: Arc<Hub>, needs_ack: bool) {
    loop {
        if let Err(e) = refresh(&db, &hub, needs_ack).await {
            tracing::warn!(error = %e, "Could not read the access settings; runtimes keep the last ones.");
        }
        tokio::time::sleep(REFRESH_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_access_needs_the_acknowledgement_where_it_is_needed_and_never_falls_open() {
        let open = ServerSettings { auth_mode: AuthMode::None, ..Default::default() };
        assert_eq!(document(&open, &[], false).auth, AuthSettings::None);
        // Unacknowledged `none` on the network (e.g. imported settings) closes instead.
        assert_eq!(document(&open, &[], true).auth, AuthSettings::Bearer { tokens: vec![] });
        let acked = ServerSettings { allow_unauthenticated_network_access: true, ..open };
        assert_eq!(document(&acked, &[], true).auth, AuthSettings::None);
        assert_eq!(document(&ServerSettings::default(), &[], false).auth, AuthSettings::Bearer { tokens: vec![] });
    }
}
