//! Who is calling the agent endpoint. A bearer token becomes a
//! [`Credential`] — an id, a name and scopes — or a [`Refusal`]. Agent tokens
//! (`qag_…`) are looked up by keyed hash in the store on every request, so a
//! revocation or an expiry takes effect on the very next request. Anything
//! else is taken for an OAuth access token (a JWT from `/oauth/token`): its
//! signature and claims are checked (`oauth::access_token::verify`), then its
//! client is looked up in the store, so revoking the client refuses tokens
//! already issued to it on their next use. Its `scope` claim (never wider
//! than the client's allowed scopes) becomes the credential's scopes; nothing
//! past this module needs to know which kind it was.

use chrono::Utc;
use serde_json::json;

use super::scope::{Scope, Scopes};
use super::token::PREFIX;
use crate::app::AppState;
use crate::model::Actor;
use crate::storage::{StoreError, agent_tokens, audit, oauth_clients};

/// How stale a token's recorded last use may get before a request rewrites it.
const TOUCH_EVERY_SECONDS: i64 = 5;

/// What kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// An agent token created with `POST /agent-tokens`.
    AgentToken,
    /// An OAuth access token issued to a client of `POST /oauth-clients`.
    OAuthClient,
}

/// An authenticated agent.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The credential's id (the agent token's or the OAuth client's id).
    pub id: String,
    /// Its name, for people.
    pub name: String,
    /// Its kind.
    pub kind: CredentialKind,
    /// What it may do.
    pub scopes: Scopes,
    /// The client's address, when known.
    pub address: Option<String>,
    /// The client's `User-Agent`, clipped.
    pub user_agent: Option<String>,
}

impl Credential {
    /// Whether it holds `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The author of the writes it makes.
    pub fn actor(&self) -> Actor {
        Actor::Agent {
            token_id: self.id.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

/// Why a request was not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No bearer token was sent.
    #[error("send an agent token (`Authorization: Bearer qag_…`) or an OAuth access token from /oauth/token")]
    Missing,
    /// A token was sent but is not (or no longer) valid.
    #[error("{0}")]
    Invalid(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bearer token of an `Authorization` header value, if it is one.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Records a refused credential in the audit trail as `agent_refused`
/// (`reason` plus `detail`'s fields), at most
/// [`super::REFUSALS_AUDITED_PER_MINUTE`] per client address and minute.
pub async fn record_refusal(
    s: &AppState,
    address: Option<String>,
    user_agent: Option<String>,
    reason: &str,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    let key = address.clone().unwrap_or_default();
    if s.agent.refusals.admit(&key, std::time::Instant::now()).is_err() {
        return Ok(());
    }
    let mut detail = detail;
    if let Some(map) = detail.as_object_mut() {
        map.insert("reason".into(), json!(reason));
    }
    let visitor = Actor::Visitor { address, user_agent };
    audit::record(&s.db, &visitor, audit::events::AGENT_REFUSED, detail).await
}

/// Authenticates `token` (from the `Authorization` header) for a client at
/// `address`. A refused token that was presented is recorded in the audit
/// trail (at most [`super::REFUSALS_AUDITED_PER_MINUTE`] per address and minute).
pub async fn authenticate(
    s: &AppState,
    token: Option<&str>,
    address: Option<String>,
    user_agent: Option<String>,
) -> Result<Credential, Refusal> {
    let Some(token) = token else { return Err(Refusal::Missing) };
    let found = if token.starts_with(PREFIX) { agent_token(s, token).await? } else { oauth_token(s, token).await? };
    let now = Utc::now();
    let found = match found {
        Ok(found) => found,
        Err(reason) => {
            let prefix: String = token.chars().take(12).collect();
            record_refusal(s, address, user_agent, reason, json!({"prefix": prefix})).await?;
            return Err(Refusal::Invalid(reason));
        }
    };
    // Last use is kept to the second or so; a burst of calls writes it once.
    let stale = found.last_used_at.is_none_or(|at| now - at > chrono::Duration::seconds(TOUCH_EVERY_SECONDS));
    if stale || found.last_used_from != address {
        match found.kind {
            CredentialKind::AgentToken => agent_tokens::touch(&s.db, &found.id, now, address.as_deref()).await?,
            CredentialKind::OAuthClient => oauth_clients::touch(&s.db, &found.id, now, address.as_deref()).await?,
        }
    }
    Ok(Credential { id: found.id, name: found.name, kind: found.kind, scopes: found.scopes, address, user_agent })
}

/// A credential found in the store, before its use is recorded.
struct Found {
    id: String,
    name: String,
    kind: CredentialKind,
    scopes: Scopes,
    last_used_at: Option<chrono::DateTime<Utc>>,
    last_used_from: Option<String>,
}

type Lookup = Result<Found, &'static str>;

async fn agent_token(s: &AppState, token: &str) -> Result<Lookup, StoreError> {
    let Some(t) = agent_tokens::find_by_hash(&s.db, &s.agent.hasher.hash_hex(token)).await? else {
        return Ok(Err("the agent token is unknown or was revoked"));
    };
    if t.expires_at <= Utc::now() {
        return Ok(Err("the agent token has expired; create a new one"));
    }
    Ok(Ok(Found {
        id: t.id,
        name: t.name,
        kind: CredentialKind::AgentToken,
        scopes: t.scopes.into_iter().collect(),
        last_used_at: t.last_used_at,
        last_used_from: t.last_used_from,
    }))
}

async fn oauth_token(s: &AppState, token: &str) -> Result<Lookup, StoreError> {
    if token.split('.').count() != 3 {
        return Ok(Err(
            "the token is neither an agent token (qag_…) nor an OAuth access token (a JWT from /oauth/token)",
        ));
    }
    let claims = match crate::oauth::access_token::verify(&s.agent.oauth.keys, &crate::oauth::realm(s), token) {
        Ok(c) => c,
        Err(reason) => return Ok(Err(reason)),
    };
    let Some(c) = oauth_clients::find_by_client_id(&s.db, &claims.client_id).await? else {
        return Ok(Err("the OAuth client of this access token was revoked"));
    };
    // Never wider than what the client is allowed now.
    let scopes = claims.scope.split(' ').filter_map(Scope::parse).filter(|sc| c.client.scopes.contains(sc)).collect();
    Ok(Ok(Found {
        id: c.client.id,
        name: c.client.name,
        kind: CredentialKind::OAuthClient,
        scopes,
        last_used_at: c.client.last_used_at,
        last_used_from: c.client.last_used_from,
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_bearer_scheme_with_a_token_yields_one() {
        assert_eq!(super::bearer(Some("Bearer qag_x")), Some("qag_x"));
        assert_eq!(super::bearer(Some("bearer  qag_x ")), Some("qag_x"));
        assert_eq!(super::bearer(Some("Basic qag_x")), None);
        assert_eq!(super::bearer(Some("Bearer ")), None);
        assert_eq!(super::bearer(None), None);
    }
}
