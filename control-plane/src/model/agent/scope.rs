//! What an agent credential may do. Every agent tool names exactly one scope
//! (a required field of its registry entry); `tools/list` shows a credential
//! only the tools its scopes allow, and a call outside them is refused before
//! the tool runs.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One permission of an agent credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Read connections (never their secrets) and browse their schema.
    #[serde(rename = "connections:read")]
    ConnectionsRead,
    /// Create, change, delete and test connections.
    #[serde(rename = "connections:write")]
    ConnectionsWrite,
    /// Read tools, resources and prompts.
    #[serde(rename = "tools:read")]
    ToolsRead,
    /// Create, change, delete and duplicate tools, resources and prompts.
    #[serde(rename = "tools:write")]
    ToolsWrite,
    /// Run SQL of the agent's choosing, read-only, with a small row limit.
    #[serde(rename = "preview")]
    Preview,
    /// Publish releases, stop the deployment, roll back to a release.
    #[serde(rename = "deploy")]
    Deploy,
    /// Read the server settings, deploy status and releases.
    #[serde(rename = "server:read")]
    ServerRead,
    /// Change the server settings.
    #[serde(rename = "server:write")]
    ServerWrite,
    /// Read the change history.
    #[serde(rename = "history:read")]
    HistoryRead,
    /// Roll an entity back to a history entry.
    #[serde(rename = "history:write")]
    HistoryWrite,
    /// Read metrics, queues and the request log.
    #[serde(rename = "metrics:read")]
    MetricsRead,
    /// Export the configuration document.
    #[serde(rename = "export")]
    Export,
    /// Import a configuration document (plan or apply).
    #[serde(rename = "import")]
    Import,
}

impl Scope {
    /// Every scope, in documentation order.
    pub const ALL: [Scope; 13] = [
        Scope::ConnectionsRead,
        Scope::ConnectionsWrite,
        Scope::ToolsRead,
        Scope::ToolsWrite,
        Scope::Preview,
        Scope::Deploy,
        Scope::ServerRead,
        Scope::ServerWrite,
        Scope::HistoryRead,
        Scope::HistoryWrite,
        Scope::MetricsRead,
        Scope::Export,
        Scope::Import,
    ];

    /// The scope's wire name, e.g. `tools:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ConnectionsRead => "connections:read",
            Scope::ConnectionsWrite => "connections:write",
            Scope::ToolsRead => "tools:read",
            Scope::ToolsWrite => "tools:write",
            Scope::Preview => "preview",
            Scope::Deploy => "deploy",
            Scope::ServerRead => "server:read",
            Scope::ServerWrite => "server:write",
            Scope::HistoryRead => "history:read",
            Scope::HistoryWrite => "history:write",
            Scope::MetricsRead => "metrics:read",
            Scope::Export => "export",
            Scope::Import => "import",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The scopes a credential holds.
pub type Scopes = BTreeSet<Scope>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_round_trips_through_its_wire_name() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(Scope::parse("admin"), None);
    }
}
