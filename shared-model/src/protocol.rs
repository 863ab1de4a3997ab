//! The pull protocol between a runtime and the control plane, typed on both
//! sides: a runtime fetches `GET /api/v1/runtime/manifest` (a conditional
//! long-poll keyed by the release's content hash), follows
//! `GET /api/v1/runtime/access` the same way (an [`AccessDocument`]: who may
//! call `/mcp`, keyed by its own hash, independent of releases) and reports
//! itself with `POST /api/v1/runtime/heartbeat`, whose body is a [`Heartbeat`].
//!
//! Access travels apart from releases so that revoking a token reaches every
//! runtime without a deploy, and so that rolling back to an old release cannot
//! bring back an old token or auth mode: a runtime in pull mode ignores the
//! manifest's `auth` section and applies only the newest access document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::manifest::AuthSettings;

/// Path of the manifest pull, under the control plane's base URL.
pub const MANIFEST_PATH: &str = "/api/v1/runtime/manifest";
/// Path of the access pull, under the control plane's base URL.
pub const ACCESS_PATH: &str = "/api/v1/runtime/access";
/// Most token uses one heartbeat carries (the control plane keeps at most 100 tokens).
pub const MAX_TOKEN_USES: usize = 100;

/// Who may call a runtime's `/mcp` right now: the current auth mode and the
/// keyed hashes of the tokens not revoked. Its `ETag` is [`AccessDocument::etag`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessDocument {
    /// `{"mode": "none"}` or `{"mode": "bearer", "tokens": [{id, hash}]}`, as in the manifest.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub auth: AuthSettings,
}

impl AccessDocument {
    /// `sha256:<hex>` of the document's JSON: the `ETag` a runtime sends back.
    pub fn etag(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&json);
        format!("sha256:{}", digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}

/// When and from where a runtime last saw a bearer token used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenUse {
    /// The token's id (as in the access document).
    pub id: String,
    /// The last accepted request carrying it.
    pub last_used_at: DateTime<Utc>,
    /// The client address of that request (IP only; ≤ 64 characters).
    pub address: String,
}
/// Path of the heartbeat, under the control plane's base URL.
pub const HEARTBEAT_PATH: &str = "/api/v1/runtime/heartbeat";

/// How an instance is doing with the release it was last offered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatStatus {
    /// It serves `release`.
    #[default]
    Running,
    /// It refused the latest release (see `message`) and kept the one it had.
    Error,
}

/// What one runtime instance last reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    /// The instance (pod name, container or random id), ≤ 64 characters.
    pub instance_id: String,
    /// The runtime's version.
    #[serde(default)]
    pub runtime_version: String,
    /// The release it serves (0 or absent: none).
    #[serde(default)]
    pub release: Option<u64>,
    /// `running` or `error` (it refused a release; see `message`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: HeartbeatStatus,
    /// Why it refused the latest release, for `error`.
    #[serde(default)]
    pub message: String,
    /// When the control plane last heard from it.
    #[serde(default = "Utc::now")]
    pub last_seen: DateTime<Utc>,
    /// The bearer tokens this instance accepted since it started, each with its
    /// latest use (at most [`MAX_TOKEN_USES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_uses: Vec<TokenUse>,
    /// The ids of the connections that did not answer the instance's latest
    /// health probe (`SELECT 1`); empty when all did or none was probed yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connections_down: Vec<String>,
}

impl Heartbeat {
    /// The report of an instance serving `release` (0: none), or refusing the
    /// latest one for the reason `refused`.
    pub fn report(instance_id: &str, runtime_version: &str, release: u64, refused: Option<&str>) -> Heartbeat {
        Heartbeat {
            instance_id: instance_id.to_string(),
            runtime_version: runtime_version.to_string(),
            release: (release > 0).then_some(release),
            status: if refused.is_some() { HeartbeatStatus::Error } else { HeartbeatStatus::Running },
            message: refused.unwrap_or_default().to_string(),
            last_seen: Utc::now(),
            token_uses: Vec::new(),
            connections_down: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_round_trips_and_old_bodies_without_status_read_as_running() {
        let beat = Heartbeat::report("pod-1", "0.1.0", 3, Some("bad manifest"));
        let back: Heartbeat = serde_json::from_value(serde_json::to_value(&beat).unwrap()).unwrap();
        assert_eq!(back, beat);
        assert_eq!(back.status, HeartbeatStatus::Error);
        let minimal: Heartbeat = serde_json::from_str(r#"{"instance_id":"x","release":0}"#).unwrap();
        assert_eq!((minimal.status, minimal.release), (HeartbeatStatus::Running, Some(0)));
        assert!(serde_json::from_str::<Heartbeat>(r#"{"instance_id":"x","status":"sleeping"}"#).is_err());
    }

    #[test]
    fn the_access_etag_changes_with_the_tokens() {
        let open = AccessDocument { auth: AuthSettings::None };
        let token = crate::manifest::BearerToken { id: "t".into(), hash: "00".repeat(32) };
        let closed = AccessDocument { auth: AuthSettings::Bearer { tokens: vec![token] } };
        assert_ne!(open.etag(), closed.etag());
        assert_eq!(open.etag(), AccessDocument { auth: AuthSettings::None }.etag());
        assert!(open.etag().starts_with("sha256:"));
    }
}
