//! Who changes the store. Every write names an actor, so history and audit
//! can say who did what (and from where) without each caller remembering to.

use std::fmt;

/// The author of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The administrator, through a session (the UI or the REST API).
    Admin {
        /// The admin's id.
        id: String,
        /// The client's address as the server saw it (the TCP peer), when known.
        address: Option<String>,
        /// The client's `User-Agent`, when sent (at most 256 characters kept).
        user_agent: Option<String>,
    },
    /// Someone not (yet) authenticated: a login attempt.
    Visitor {
        /// The client's address, when known.
        address: Option<String>,
        /// The client's `User-Agent`, when sent.
        user_agent: Option<String>,
    },
    /// An AI agent, through the agent MCP endpoint with one of its credentials.
    Agent {
        /// The credential's id (an agent token's id).
        token_id: String,
        /// The credential's name, for people.
        name: String,
        /// The client's address, when known.
        address: Option<String>,
        /// The client's `User-Agent`, when sent.
        user_agent: Option<String>,
    },
    /// Quarry itself: start-up bootstrap and the `quarry` command line.
    System,
}

/// Longest `User-Agent` kept, so a client cannot bloat the audit trail.
pub const MAX_USER_AGENT: usize = 256;

impl Actor {
    /// The admin `id` with no client details (tests, the command line).
    pub fn admin(id: impl Into<String>) -> Actor {
        Actor::Admin { id: id.into(), address: None, user_agent: None }
    }

    /// The client's address and user agent, when the actor came over HTTP.
    pub fn client(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Actor::Admin { address, user_agent, .. }
            | Actor::Agent { address, user_agent, .. }
            | Actor::Visitor { address, user_agent } => (address.as_deref(), user_agent.as_deref()),
            Actor::System => (None, None),
        }
    }
}

/// Trims a `User-Agent` to [`MAX_USER_AGENT`] characters.
pub fn clip_user_agent(ua: &str) -> String {
    ua.chars().take(MAX_USER_AGENT).collect()
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Admin { id, .. } => write!(f, "admin:{id}"),
            Actor::Agent { token_id, .. } => write!(f, "agent:{token_id}"),
            Actor::Visitor { .. } => f.write_str("visitor"),
            Actor::System => f.write_str("system"),
        }
    }
}
