//! Who is calling the agent endpoint. A bearer token becomes a
//! [`Credential`] — an id, a name and scopes — or a [`Refusal`]. Agent tokens
//! (`qag_…`) are looked up by keyed hash in the store on every request, so a
//! revocation or an expiry takes effect on the very next request. An OAuth
//! client's JWT access token will be one more arm of [`authenticate`]
//! producing the same `Credential` (its `scope` claim as the scopes); nothing
//! past this module needs to know which kind it was.

use chrono::Utc;
use serde_json::json;

use super::scope::{Scope, Scopes};
use super::token::PREFIX;
use crate::app::AppState;
use crate::model::Actor;
use crate::storage::{StoreError, agent_tokens, audit};

/// How stale a token's recorded last use may get before a request rewrites it.
const TOUCH_EVERY_SECONDS: i64 = 5;

/// What kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// An agent token created with `POST /agent-tokens`.
    AgentToken,
}

/// An authenticated agent.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The credential's id (the token's id).
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
    #[error("send an agent token as `Authorization: Bearer qag_…`")]
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
    let found = if token.starts_with(PREFIX) {
        agent_tokens::find_by_hash(&s.db, &s.agent.hasher.hash_hex(token)).await?
    } else {
        None
    };
    let now = Utc::now();
    let refusal = match &found {
        None => Some("the agent token is unknown or was revoked"),
        Some(t) if t.expires_at <= now => Some("the agent token has expired; create a new one"),
        Some(_) => None,
    };
    if let Some(reason) = refusal {
        let key = address.clone().unwrap_or_default();
        if s.agent.refusals.admit(&key, std::time::Instant::now()).is_err() {
            return Err(Refusal::Invalid(reason));
        }
        let visitor = Actor::Visitor { address, user_agent };
        let prefix: String = token.chars().take(12).collect();
        let detail = json!({"reason": reason, "prefix": prefix});
        audit::record(&s.db, &visitor, audit::events::AGENT_REFUSED, detail).await?;
        return Err(Refusal::Invalid(reason));
    }
    let t = found.expect("checked above");
    // Last use is kept to the second or so; a burst of calls writes it once.
    let stale = t.last_used_at.is_none_or(|at| now - at > chrono::Duration::seconds(TOUCH_EVERY_SECONDS));
    if stale || t.last_used_from != address {
        agent_tokens::touch(&s.db, &t.id, now, address.as_deref()).await?;
    }
    Ok(Credential {
        id: t.id,
        name: t.name,
        kind: CredentialKind::AgentToken,
        scopes: t.scopes.into_iter().collect(),
        address,
        user_agent,
    })
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
