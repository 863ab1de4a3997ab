//! Compaction and retention of delivered telemetry. Each pass sums the minute
//! rows of every hour in its window, over all instances, into `metric_hours`
//! (replacing what an earlier pass wrote, so a pass can be repeated), then
//! deletes minute rows past the minute retention, hourly rows past the hour
//! retention, request-log records past theirs, and instances and queue
//! snapshots not heard from within the minute retention. [`run`] is the
//! background task `app.rs` spawns: the first pass rolls up every hour the
//! minute rows still cover, later passes the last [`REROLL_HOURS`] hours (a
//! delivery may land a little late), every [`EVERY`]. Only hours whose minutes
//! are all still kept are rolled, so a pass never shrinks an hour's sum.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::super::entities::{metric_hour, metric_minute, queue_snapshot, telemetry_instance};
use super::super::{Db, StoreError};
use super::{Counts, col, request_log};
use crate::model::telemetry::Retention;

/// How often the background task compacts.
pub const EVERY: Duration = Duration::from_secs(300);
/// Hours re-rolled by every pass after the first.
pub const REROLL_HOURS: i64 = 3;

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compacted {
    /// Hourly rows written.
    pub hours: u64,
    /// Rows deleted (minutes, hours, log records, stale instances).
    pub deleted: u64,
}

/// Rolls up the hours starting at or after `from` (Unix seconds) and ending by
/// `now` whose minutes the retention still keeps, then applies `retention`.
pub async fn compact(
    db: &impl ConnectionTrait,
    retention: Retention,
    from: i64,
    now: DateTime<Utc>,
) -> Result<Compacted, StoreError> {
    let mut done = Compacted::default();
    let end = now.timestamp() / 3600 * 3600;
    let minute_cut = now.timestamp() - i64::from(retention.minute_hours) * 3600;
    // Only hours whose minutes are all still kept: re-rolling an hour whose
    // first minutes were already deleted would replace its sum with a part.
    let mut hour = (from.max(minute_cut) + 3599) / 3600 * 3600;
    while hour < end {
        done.hours += roll_hour(db, hour).await?;
        hour += 3600;
    }
    done.deleted += metric_minute::Entity::delete_many()
        .filter(metric_minute::Column::Minute.lt(minute_cut))
        .exec(db)
        .await?
        .rows_affected;
    let hour_cut = now.timestamp() - i64::from(retention.hour_days) * 86_400;
    done.deleted +=
        metric_hour::Entity::delete_many().filter(metric_hour::Column::Hour.lt(hour_cut)).exec(db).await?.rows_affected;
    let log_cut = now - chrono::Duration::days(i64::from(retention.log_days));
    done.deleted += request_log::prune(db, log_cut).await?;
    // The agent activity log is kept as long as the request log.
    done.deleted += super::super::agent_activity::prune(db, log_cut).await?;
    let stale = now - chrono::Duration::hours(i64::from(retention.minute_hours));
    done.deleted += telemetry_instance::Entity::delete_many()
        .filter(telemetry_instance::Column::LastSeen.lt(stale))
        .exec(db)
        .await?
        .rows_affected;
    done.deleted += queue_snapshot::Entity::delete_many()
        .filter(queue_snapshot::Column::ReceivedAt.lt(stale))
        .exec(db)
        .await?
        .rows_affected;
    Ok(done)
}

async fn roll_hour(db: &impl ConnectionTrait, hour: i64) -> Result<u64, StoreError> {
    use metric_minute::Column as M;
    let minutes =
        metric_minute::Entity::find().filter(M::Minute.gte(hour)).filter(M::Minute.lt(hour + 3600)).all(db).await?;
    let mut sums: BTreeMap<(String, String, String), Counts> = BTreeMap::new();
    for m in minutes {
        let c = Counts::from_columns(m.calls, &m.errors, m.cache_hits, m.rows, m.bytes, &m.latency, m.last_called);
        sums.entry((m.subject, m.name, m.connection_id)).or_default().merge(&c);
    }
    let written = sums.len() as u64;
    use metric_hour::Column as H;
    for ((subject, name, connection_id), c) in sums {
        let row = metric_hour::ActiveModel {
            hour: Set(hour),
            subject: Set(subject),
            name: Set(name),
            connection_id: Set(connection_id),
            calls: Set(col(c.calls)),
            error_count: Set(col(c.error_count())),
            errors: Set(c.errors_json()),
            cache_hits: Set(col(c.cache_hits)),
            rows: Set(col(c.rows)),
            bytes: Set(col(c.bytes)),
            latency: Set(c.latency.encode()),
            last_called: Set(c.last_called),
        };
        let on = OnConflict::columns([H::Hour, H::Subject, H::Name, H::ConnectionId])
            .update_columns([
                H::Calls,
                H::ErrorCount,
                H::Errors,
                H::CacheHits,
                H::Rows,
                H::Bytes,
                H::Latency,
                H::LastCalled,
            ])
            .to_owned();
        metric_hour::Entity::insert(row).on_conflict(on).exec(db).await?;
    }
    Ok(written)
}

/// The lease that makes one control plane of several compact.
pub const LEASE: &str = "telemetry-compaction";

/// Compacts every [`EVERY`], the first time [`EVERY`] after start (start-up
/// has more urgent work; nothing is lost by waiting), until the process ends —
/// while `holder` holds the [`LEASE`] (renewed at each pass; another control
/// plane on the store takes it over two intervals after this one stops).
pub async fn run(db: Db, retention: Retention, holder: String) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + EVERY, EVERY);
    let mut from = Utc::now().timestamp() - i64::from(retention.minute_hours) * 3600;
    loop {
        tick.tick().await;
        match super::super::leases::acquire(&db, LEASE, &holder, EVERY * 2).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "Could not take the compaction lease.");
                continue;
            }
        }
        let now = Utc::now();
        match compact(&db, retention, from, now).await {
            Ok(c) => {
                tracing::debug!(hours = c.hours, deleted = c.deleted, "Telemetry compacted.");
                from = now.timestamp() - REROLL_HOURS * 3600;
            }
            Err(e) => tracing::warn!(error = %e, "Could not compact the delivered metrics."),
        }
    }
}
