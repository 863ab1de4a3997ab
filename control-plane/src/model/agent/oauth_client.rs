//! OAuth clients: machine credentials for the client-credentials grant. An
//! admin creates one with allowed scopes; its `client_id` is public, its
//! secret is shown once and kept only as a keyed hash (HMAC-SHA256 under
//! `agent.key`, like agent tokens). The client trades them at `/oauth/token`
//! for a short-lived access token (`crate::oauth`). Revocation deletes the
//! row: the next token request fails and already issued access tokens stop
//! working, because every use checks the client still exists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_model::Problems;
use shared_model::token::TokenHasher;
use utoipa::ToSchema;

use super::scope::Scope;

/// What every client id starts with.
pub const CLIENT_ID_PREFIX: &str = "qoc_";
/// What every client secret starts with.
pub const SECRET_PREFIX: &str = "qos_";
/// Most OAuth clients at once.
pub const MAX_CLIENTS: u64 = 100;

/// An OAuth client as the API shows it (never the secret or its hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OAuthClient {
    /// Stable id (the credential id in the activity log and the history actor `agent:<id>`).
    pub id: String,
    /// A label chosen by the admin.
    pub name: String,
    /// The public client identifier sent to `/oauth/token`.
    pub client_id: String,
    /// The scopes it may be granted.
    pub scopes: Vec<Scope>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last obtained an access token or used one.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The client address of that request.
    pub last_used_from: Option<String>,
}

/// A new OAuth client's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOAuthClient {
    /// A label to recognise it by (1–100 characters).
    pub name: String,
    /// The scopes it may be granted: at least one (see `docs/agent-access.md`).
    pub scopes: Vec<Scope>,
}

/// A minted client: its record, the keyed hash of the secret to store, and the
/// secret itself (shown once, never stored).
pub struct MintedClient {
    /// The record.
    pub record: OAuthClient,
    /// HMAC-SHA256 of the secret, lowercase hex.
    pub secret_hash: String,
    /// The secret.
    pub secret: String,
}

impl std::fmt::Debug for MintedClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedClient").field("record", &self.record).finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

impl NewOAuthClient {
    /// Validates the settings (every problem at once) and mints the client id and secret.
    pub fn mint(self, hasher: &TokenHasher, now: DateTime<Utc>) -> Result<MintedClient, Problems> {
        let mut p = Problems::default();
        let (name, scopes) = super::token::name_and_scopes(&self.name, self.scopes, &mut p);
        p.into_result()?;
        let secret = format!("{SECRET_PREFIX}{}", random_hex(32));
        let record = OAuthClient {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            client_id: format!("{CLIENT_ID_PREFIX}{}", random_hex(12)),
            scopes,
            created_at: now,
            last_used_at: None,
            last_used_from: None,
        };
        Ok(MintedClient { record, secret_hash: hasher.hash_hex(&secret), secret })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> TokenHasher {
        TokenHasher::from_runtime_key(&shared_model::Keyring::generate_key()).unwrap()
    }

    #[test]
    fn a_client_gets_a_public_id_and_a_secret_kept_only_as_its_hash() {
        let h = hasher();
        let new =
            NewOAuthClient { name: " ci ".into(), scopes: vec![Scope::ToolsRead, Scope::Preview, Scope::ToolsRead] };
        let m = new.mint(&h, Utc::now()).unwrap();
        assert_eq!(m.record.name, "ci");
        assert!(m.record.client_id.starts_with(CLIENT_ID_PREFIX) && m.record.client_id.len() == 28);
        assert!(m.secret.starts_with(SECRET_PREFIX) && m.secret.len() == 68);
        assert_eq!(m.record.scopes, vec![Scope::ToolsRead, Scope::Preview]);
        assert_eq!(m.secret_hash, h.hash_hex(&m.secret));
        assert!(!format!("{m:?}").contains(&m.secret), "Debug never shows the secret");
    }

    #[test]
    fn a_blank_name_and_no_scope_are_both_reported() {
        let problems = NewOAuthClient { name: "".into(), scopes: vec![] }.mint(&hasher(), Utc::now()).unwrap_err();
        let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["name", "scopes"]);
    }
}
