//! Agent tokens: minted here, shown once, stored as a keyed hash
//! (HMAC-SHA256 under `agent.key`, a key only the control plane holds — unlike
//! MCP tokens, no runtime ever checks them). Each carries its scopes and an
//! expiry; revocation deletes the row, so the next request is refused.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared_model::Problems;
use shared_model::token::TokenHasher;
use utoipa::ToSchema;

use super::scope::Scope;

/// What every agent token starts with (MCP tokens start with `qry_`).
pub const PREFIX: &str = "qag_";
/// Expiry of a token created without one.
pub const DEFAULT_HOURS: u32 = 24;
/// Most agent tokens at once.
pub const MAX_TOKENS: u64 = 100;

/// An agent token as the API shows it (never the token or its hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentToken {
    /// Stable id.
    pub id: String,
    /// A label chosen by the admin.
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The client address of that request.
    pub last_used_from: Option<String>,
}

/// A new agent token's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentToken {
    /// A label to recognise it by (1–100 characters).
    pub name: String,
    /// What it may do: at least one of the scopes (see `docs/agent-access.md`).
    pub scopes: Vec<Scope>,
    /// When it stops working (default: 24 hours from now; at most `QUARRY_AGENT_TOKEN_MAX_HOURS`, default 720, ahead).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Alternatively, how many hours from now it stops working.
    #[serde(default)]
    pub expires_in_hours: Option<u32>,
}

/// A minted token: its record, the keyed hash to store, and the token itself
/// (shown once, never stored).
pub struct Minted {
    /// The record.
    pub record: AgentToken,
    /// HMAC-SHA256 of the token, lowercase hex.
    pub hash: String,
    /// The token.
    pub token: String,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted").field("record", &self.record).finish_non_exhaustive()
    }
}

/// A credential's label (trimmed, 1–100 characters) and its scopes (sorted,
/// deduplicated, at least one), with a problem pushed for each that is not so.
/// Agent tokens and OAuth clients share these rules.
pub fn name_and_scopes(name: &str, mut scopes: Vec<Scope>, p: &mut Problems) -> (String, Vec<Scope>) {
    let name = name.trim().to_string();
    if !(1..=100).contains(&name.chars().count()) {
        p.push("name", "must be 1–100 characters");
    }
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        p.push("scopes", format!("give at least one scope: {}", all.join(", ")));
    }
    (name, scopes)
}

impl NewAgentToken {
    /// Validates the settings (every problem at once) and mints the token;
    /// `max_hours` bounds the expiry.
    pub fn mint(self, max_hours: u32, hasher: &TokenHasher, now: DateTime<Utc>) -> Result<Minted, Problems> {
        let mut p = Problems::default();
        let (name, scopes) = name_and_scopes(&self.name, self.scopes, &mut p);
        let latest = now + Duration::hours(i64::from(max_hours));
        let expires_at = match (self.expires_at, self.expires_in_hours) {
            (Some(_), Some(_)) => {
                p.push("expires_at", "give expires_at or expires_in_hours, not both");
                now
            }
            (Some(at), None) => at,
            (None, Some(h)) if h == 0 || h > max_hours => {
                p.push("expires_in_hours", format!("must be 1–{max_hours}"));
                now
            }
            (None, Some(h)) => now + Duration::hours(i64::from(h)),
            (None, None) => now + Duration::hours(i64::from(DEFAULT_HOURS.min(max_hours))),
        };
        if self.expires_at.is_some() && self.expires_in_hours.is_none() {
            if expires_at <= now {
                p.push("expires_at", "must be in the future");
            } else if expires_at > latest {
                p.push("expires_at", format!("must be at most {max_hours} hours ahead (QUARRY_AGENT_TOKEN_MAX_HOURS)"));
            }
        }
        p.into_result()?;
        let bytes: [u8; 32] = rand::random();
        let token = format!("{PREFIX}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let record = AgentToken {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            prefix: token[..12].to_string(),
            scopes,
            expires_at,
            created_at: now,
            last_used_at: None,
            last_used_from: None,
        };
        Ok(Minted { record, hash: hasher.hash_hex(&token), token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> TokenHasher {
        TokenHasher::from_runtime_key(&shared_model::Keyring::generate_key()).unwrap()
    }

    fn new(scopes: Vec<Scope>, at: Option<DateTime<Utc>>, hours: Option<u32>) -> NewAgentToken {
        NewAgentToken { name: "ci agent".into(), scopes, expires_at: at, expires_in_hours: hours }
    }

    #[test]
    fn a_token_defaults_to_a_day_and_is_stored_only_as_its_hash() {
        let now = Utc::now();
        let h = hasher();
        let m = new(vec![Scope::ToolsRead, Scope::ToolsRead], None, None).mint(720, &h, now).unwrap();
        assert!(m.token.starts_with(PREFIX) && m.token.len() == 68);
        assert_eq!(m.record.expires_at, now + Duration::hours(24));
        assert_eq!(m.record.scopes, vec![Scope::ToolsRead]);
        assert_eq!(m.hash, h.hash_hex(&m.token));
        assert!(m.token.starts_with(&m.record.prefix));
    }

    #[test]
    fn expiry_beyond_the_maximum_no_scope_and_a_blank_name_are_all_reported() {
        let now = Utc::now();
        let mut bad = new(vec![], Some(now + Duration::hours(721)), None);
        bad.name = " ".into();
        let problems = bad.mint(720, &hasher(), now).unwrap_err();
        let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["name", "scopes", "expires_at"]);
        assert!(new(vec![Scope::Export], None, Some(0)).mint(720, &hasher(), now).is_err());
        assert!(new(vec![Scope::Export], Some(now - Duration::hours(1)), None).mint(720, &hasher(), now).is_err());
        assert!(new(vec![Scope::Export], None, Some(720)).mint(720, &hasher(), now).is_ok());
    }
}
