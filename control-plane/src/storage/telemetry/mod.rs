//! What runtimes deliver (`shared_model::telemetry`), on disk. [`apply`]
//! takes one delivery in one transaction: it is applied only when its number
//! is above the instance's last applied one, so a resend is a no-op; then each
//! minute delta is added to that instance's row for the minute (each instance
//! writes only its own rows, one delivery at a time, so the read-add-write
//! never races), the queue snapshots replace the instance's previous ones and
//! the records are appended to the request log. Telemetry is not an admin's
//! edit, so it does not go through `storage::write` (no history, no audit).

pub mod query;
pub mod request_log;
pub mod rollup;

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use shared_model::sketch::Sketch;
use shared_model::telemetry::{Delivery, MinuteDelta};

use super::entities::{metric_minute, queue_snapshot, telemetry_instance};
use super::{Db, StoreError};

/// The counters of a minute or hour row, decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Calls.
    pub calls: u64,
    /// Failures by class.
    pub errors: BTreeMap<String, u64>,
    /// Cache hits.
    pub cache_hits: u64,
    /// Rows summed.
    pub rows: u64,
    /// Bytes summed.
    pub bytes: u64,
    /// Latency.
    pub latency: Sketch,
    /// Start of the latest minute with a call, Unix seconds.
    pub last_called: i64,
}

impl Counts {
    /// Adds `other`.
    pub fn merge(&mut self, other: &Counts) {
        self.calls += other.calls;
        for (k, n) in &other.errors {
            *self.errors.entry(k.clone()).or_insert(0) += n;
        }
        self.cache_hits += other.cache_hits;
        self.rows += other.rows;
        self.bytes += other.bytes;
        self.latency.merge(&other.latency);
        self.last_called = self.last_called.max(other.last_called);
    }

    /// Failed calls.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn from_delta(d: &MinuteDelta) -> Counts {
        Counts {
            calls: d.calls,
            errors: d.errors.clone(),
            cache_hits: d.cache_hits,
            rows: d.rows,
            bytes: d.bytes,
            latency: d.latency.clone(),
            last_called: if d.calls > 0 { d.minute } else { 0 },
        }
    }

    /// Decodes the columns of a stored row.
    #[allow(clippy::too_many_arguments)]
    pub fn from_columns(
        calls: i64,
        errors: &str,
        cache_hits: i64,
        rows: i64,
        bytes: i64,
        latency: &str,
        last: i64,
    ) -> Counts {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Counts {
            calls: n(calls),
            errors: serde_json::from_str(errors).unwrap_or_default(),
            cache_hits: n(cache_hits),
            rows: n(rows),
            bytes: n(bytes),
            latency: Sketch::decode(latency),
            last_called: last,
        }
    }

    /// The errors column.
    pub fn errors_json(&self) -> String {
        serde_json::to_string(&self.errors).unwrap_or_else(|_| "{}".into())
    }
}

/// Saturating conversion for the store's signed columns.
pub(crate) fn col(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Whether a delivery was taken or was a resend of one already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Applied now.
    New,
    /// Its number was already applied; nothing changed.
    Duplicate,
}

/// Applies `d` once (see the module doc).
pub async fn apply(db: &Db, d: &Delivery) -> Result<Applied, StoreError> {
    let txn = db.begin().await?;
    // Write first: SQLite then takes its write lock now (waiting out the busy
    // timeout) instead of failing on the upgrade from a read later, and
    // PostgreSQL locks the instance's row against a concurrent resend.
    use telemetry_instance::Column as I;
    telemetry_instance::Entity::update_many()
        .col_expr(I::LastSequence, Expr::col(I::LastSequence))
        .filter(I::InstanceId.eq(d.instance_id.as_str()))
        .exec(&txn)
        .await?;
    let known = telemetry_instance::Entity::find_by_id(d.instance_id.clone()).one(&txn).await?;
    if known.as_ref().is_some_and(|k| u64::try_from(k.last_sequence).unwrap_or(0) >= d.sequence) {
        return Ok(Applied::Duplicate);
    }
    for delta in &d.metrics {
        add_minute(&txn, &d.instance_id, delta).await?;
    }
    let now = Utc::now();
    for q in &d.queues {
        let row = queue_snapshot::ActiveModel {
            instance_id: Set(d.instance_id.clone()),
            connection_id: Set(q.connection.clone()),
            body: Set(serde_json::to_string(q).map_err(StoreError::internal)?),
            received_at: Set(now),
        };
        let on = OnConflict::columns([queue_snapshot::Column::InstanceId, queue_snapshot::Column::ConnectionId])
            .update_columns([queue_snapshot::Column::Body, queue_snapshot::Column::ReceivedAt])
            .to_owned();
        queue_snapshot::Entity::insert(row).on_conflict(on).exec(&txn).await?;
    }
    request_log::append(&txn, &d.instance_id, &d.records).await?;
    let row = telemetry_instance::ActiveModel {
        instance_id: Set(d.instance_id.clone()),
        last_sequence: Set(col(d.sequence)),
        release: Set(col(d.release)),
        dropped_records: Set(col(d.dropped_records)),
        dropped_deltas: Set(col(d.dropped_deltas)),
        last_seen: Set(now),
    };
    let on = OnConflict::column(I::InstanceId)
        .update_columns([I::LastSequence, I::Release, I::DroppedRecords, I::DroppedDeltas, I::LastSeen])
        .to_owned();
    telemetry_instance::Entity::insert(row).on_conflict(on).exec(&txn).await?;
    txn.commit().await?;
    Ok(Applied::New)
}

async fn add_minute(db: &impl ConnectionTrait, instance: &str, d: &MinuteDelta) -> Result<(), StoreError> {
    let key = (instance.to_string(), d.minute, d.subject.as_str().to_string(), d.name.clone(), d.connection.clone());
    let mut counts = Counts::from_delta(d);
    let existing = metric_minute::Entity::find_by_id(key.clone()).one(db).await?;
    if let Some(m) = &existing {
        counts.merge(&Counts::from_columns(
            m.calls,
            &m.errors,
            m.cache_hits,
            m.rows,
            m.bytes,
            &m.latency,
            m.last_called,
        ));
    }
    let row = metric_minute::ActiveModel {
        instance_id: Set(key.0),
        minute: Set(key.1),
        subject: Set(key.2),
        name: Set(key.3),
        connection_id: Set(key.4),
        calls: Set(col(counts.calls)),
        error_count: Set(col(counts.error_count())),
        errors: Set(counts.errors_json()),
        cache_hits: Set(col(counts.cache_hits)),
        rows: Set(col(counts.rows)),
        bytes: Set(col(counts.bytes)),
        latency: Set(counts.latency.encode()),
        last_called: Set(counts.last_called),
    };
    if existing.is_some() {
        metric_minute::Entity::update(row).exec(db).await?;
    } else {
        metric_minute::Entity::insert(row).exec(db).await?;
    }
    Ok(())
}
