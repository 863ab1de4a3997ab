//! `GET /deploy/status`: one word (stopped, deploying, running, error) with a
//! message, from the stored state, the deployer and the runtimes' heartbeats.

use serde::Serialize;
use shared_model::Keyring;
use utoipa::ToSchema;

use super::DeployService;
use super::deployer::{ProcessState, Target};
use crate::release::{self, hub::Heartbeat};
use crate::storage::{Db, StoreError, releases as store};

/// The deployment as a whole.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeployStatus {
    /// `stopped`, `deploying`, `running` or `error`.
    pub status: &'static str,
    /// What it means, and what to do for `error`.
    pub message: String,
    /// The deploy target.
    pub target: Target,
    /// The release runtimes should serve (none before the first deploy).
    pub release: Option<i64>,
    /// The newest stored release.
    pub latest_release: Option<i64>,
    /// Version of the runtime serving it (from its heartbeat).
    pub runtime_version: Option<String>,
    /// Whether the store holds changes not yet deployed.
    pub undeployed_changes: bool,
    /// The runtime process or container, as the deployer sees it.
    pub process: ProcessState,
    /// Runtimes heard from in the last 90 seconds.
    pub instances: Vec<Heartbeat>,
}

/// Computes the status.
pub async fn status(svc: &DeployService, db: &Db, keyring: &Keyring) -> Result<DeployStatus, StoreError> {
    let state = store::state(db).await?;
    let latest = store::latest(db).await?;
    let active = match state.active_release {
        Some(n) => Some(store::get(db, n).await?),
        None => None,
    };
    let undeployed_changes = match &active {
        None => true,
        Some(a) => match release::build_current(db, svc.build_keys(keyring), a.number as u64).await {
            Ok(b) => b.source.content_hash != a.source_hash,
            Err(StoreError::Invalid(_)) => true,
            Err(e) => return Err(e),
        },
    };
    let process = svc.deployer().state().await;
    let instances = svc.hub().live();
    let number = state.active_release;
    let (status, message) = if svc.is_deploying() {
        ("deploying", "a deploy is in progress".to_string())
    } else if number.is_none() {
        ("stopped", "nothing has been deployed yet; POST /api/v1/deploy".to_string())
    } else if state.stopped {
        ("stopped", "stopped by the admin; deploy to start again".to_string())
    } else if let Some(e) = svc.deployer_error().filter(|_| !matches!(process, ProcessState::Running { .. })) {
        ("error", format!("the runtime could not be started: {e}"))
    } else {
        judge(&process, &instances, number.unwrap_or(0) as u64)
    };
    let runtime_version =
        instances.iter().find(|i| i.release == number.map(|n| n as u64)).map(|i| i.runtime_version.clone());
    Ok(DeployStatus {
        status,
        message,
        target: svc.target(),
        release: number,
        latest_release: latest.map(|l| l.number),
        runtime_version,
        undeployed_changes,
        process,
        instances,
    })
}

fn judge(process: &ProcessState, live: &[Heartbeat], active: u64) -> (&'static str, String) {
    match process {
        ProcessState::Failed { message } => return ("error", message.clone()),
        ProcessState::Restarting { message, restarts } => {
            return ("error", format!("{message}; restarting it (restart {restarts})"));
        }
        ProcessState::Stopped => return ("error", "the runtime is not running; deploy again".into()),
        _ => {}
    }
    if let Some(bad) = live.iter().find(|i| i.status == shared_model::protocol::HeartbeatStatus::Error) {
        return ("error", format!("runtime {} refused the release: {}", bad.instance_id, bad.message));
    }
    if live.is_empty() {
        return ("deploying", "waiting for a runtime to pull the release".into());
    }
    let serving = live.iter().filter(|i| i.release == Some(active)).count();
    if serving == live.len() {
        // A database that does not answer is reported, not a runtime error: the other connections' tools work.
        let mut down: Vec<&str> = live.iter().flat_map(|i| i.connections_down.iter().map(String::as_str)).collect();
        down.sort_unstable();
        down.dedup();
        let mut message = format!("{serving} runtime(s) serve release {active}");
        if !down.is_empty() {
            let hit = live.iter().filter(|i| !i.connections_down.is_empty()).count();
            message.push_str(&format!(
                "; connection(s) {} did not answer the health probe of {hit} of them",
                down.join(", ")
            ));
        }
        ("running", message)
    } else {
        ("deploying", format!("{serving} of {} runtime(s) serve release {active}", live.len()))
    }
}
