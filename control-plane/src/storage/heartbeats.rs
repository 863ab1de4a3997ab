//! The last word of each runtime instance, kept so a restarted control plane
//! still knows who was serving.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use shared_model::protocol::{Heartbeat, HeartbeatStatus};

use super::StoreError;
use super::entities::runtime_heartbeat;

fn status_str(s: HeartbeatStatus) -> &'static str {
    match s {
        HeartbeatStatus::Running => "running",
        HeartbeatStatus::Error => "error",
    }
}

/// Records `beat` (one row per instance).
pub async fn upsert(db: &impl ConnectionTrait, beat: &Heartbeat) -> Result<(), StoreError> {
    let row = runtime_heartbeat::ActiveModel {
        instance_id: Set(beat.instance_id.chars().take(64).collect()),
        runtime_version: Set(beat.runtime_version.chars().take(64).collect()),
        release: Set(beat.release.and_then(|r| i64::try_from(r).ok())),
        status: Set(status_str(beat.status).into()),
        message: Set(beat.message.chars().take(2000).collect()),
        last_seen: Set(Utc::now()),
        connections_down: Set(Some(
            serde_json::to_string(&beat.connections_down.iter().take(100).collect::<Vec<_>>()).unwrap_or_default(),
        )),
    };
    let on_conflict = OnConflict::column(runtime_heartbeat::Column::InstanceId)
        .update_columns([
            runtime_heartbeat::Column::RuntimeVersion,
            runtime_heartbeat::Column::Release,
            runtime_heartbeat::Column::Status,
            runtime_heartbeat::Column::Message,
            runtime_heartbeat::Column::LastSeen,
            runtime_heartbeat::Column::ConnectionsDown,
        ])
        .to_owned();
    runtime_heartbeat::Entity::insert(row).on_conflict(on_conflict).exec(db).await?;
    Ok(())
}

/// Forgets every instance (a stop: whatever was running is going away).
pub async fn clear(db: &impl ConnectionTrait) -> Result<(), StoreError> {
    runtime_heartbeat::Entity::delete_many().exec(db).await?;
    Ok(())
}

/// Every stored heartbeat.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Heartbeat>, StoreError> {
    let rows = runtime_heartbeat::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|b| Heartbeat {
            instance_id: b.instance_id,
            runtime_version: b.runtime_version,
            release: b.release.and_then(|r| u64::try_from(r).ok()),
            status: if b.status == "error" { HeartbeatStatus::Error } else { HeartbeatStatus::Running },
            message: b.message,
            last_seen: b.last_seen,
            token_uses: Vec::new(),
            connections_down: b.connections_down.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default(),
        })
        .collect())
}
