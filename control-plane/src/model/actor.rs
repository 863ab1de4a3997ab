//! Who changes the store. Every write names an actor, so history and audit
//! can say who did what without each caller remembering to.

use std::fmt;

/// The author of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The administrator, through a session (the UI or the REST API).
    Admin {
        /// The admin's id.
        id: String,
    },
    /// Quarry itself: start-up bootstrap and the `quarry` command line.
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Admin { id } => write!(f, "admin:{id}"),
            Actor::System => f.write_str("system"),
        }
    }
}
