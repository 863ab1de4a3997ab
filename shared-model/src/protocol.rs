//! The pull protocol between a runtime and the control plane, typed on both
//! sides: a runtime fetches `GET /api/v1/runtime/manifest` (a conditional
//! long-poll keyed by the release's content hash) and reports itself with
//! `POST /api/v1/runtime/heartbeat`, whose body is a [`Heartbeat`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Path of the manifest pull, under the control plane's base URL.
pub const MANIFEST_PATH: &str = "/api/v1/runtime/manifest";
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
}
