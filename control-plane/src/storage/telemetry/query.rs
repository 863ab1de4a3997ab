//! Reads over the delivered metrics: aggregates per subject, time series and
//! the queues. Periods up to the minute retention read minute rows; longer
//! ones read hourly rollups for the hours the compactor has settled (older
//! than [`SETTLED`]) and minute rows after that. Percentiles always come from
//! the merged sketches of every row in range.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared_model::sketch::Sketch;
use shared_model::telemetry::QueueSnapshot;

use super::super::StoreError;
use super::super::entities::{metric_hour, metric_minute, queue_snapshot};
use super::Counts;
use crate::model::telemetry::{ConnectionQueue, InstanceQueue, QueueFigures, SubjectStats, TimePoint, TimeSeries};

/// Hours older than this many seconds before the current hour are read from the rollup.
pub const SETTLED: i64 = 2 * 3600;
/// A queue snapshot older than this many seconds no longer counts (its instance is gone).
pub const QUEUE_FRESH: i64 = 120;

/// Which rows a read covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this subject (`tool`, `resource`, `prompt`).
    pub subject: Option<String>,
    /// Only this name.
    pub name: Option<String>,
    /// Only this connection.
    pub connection: Option<String>,
}

/// One row of either table: its time (Unix seconds), subject, name and counts.
struct Row {
    at: i64,
    subject: String,
    name: String,
    counts: Counts,
}

async fn rows(
    db: &impl ConnectionTrait,
    scope: &Scope,
    since: i64,
    now: i64,
    minute_hours: u32,
) -> Result<Vec<Row>, StoreError> {
    let from_minutes = if now - since <= i64::from(minute_hours) * 3600 { since } else { now / 3600 * 3600 - SETTLED };
    let mut out = Vec::new();
    if from_minutes > since {
        use metric_hour::Column as H;
        let mut q =
            metric_hour::Entity::find().filter(H::Hour.gte(since / 3600 * 3600)).filter(H::Hour.lt(from_minutes));
        if let Some(s) = &scope.subject {
            q = q.filter(H::Subject.eq(s.as_str()));
        }
        if let Some(n) = &scope.name {
            q = q.filter(H::Name.eq(n.as_str()));
        }
        if let Some(c) = &scope.connection {
            q = q.filter(H::ConnectionId.eq(c.as_str()));
        }
        for m in q.all(db).await? {
            let counts =
                Counts::from_columns(m.calls, &m.errors, m.cache_hits, m.rows, m.bytes, &m.latency, m.last_called);
            out.push(Row { at: m.hour, subject: m.subject, name: m.name, counts });
        }
    }
    use metric_minute::Column as M;
    let mut q = metric_minute::Entity::find().filter(M::Minute.gte(from_minutes.max(since)));
    if let Some(s) = &scope.subject {
        q = q.filter(M::Subject.eq(s.as_str()));
    }
    if let Some(n) = &scope.name {
        q = q.filter(M::Name.eq(n.as_str()));
    }
    if let Some(c) = &scope.connection {
        q = q.filter(M::ConnectionId.eq(c.as_str()));
    }
    for m in q.all(db).await? {
        let counts = Counts::from_columns(m.calls, &m.errors, m.cache_hits, m.rows, m.bytes, &m.latency, m.last_called);
        out.push(Row { at: m.minute, subject: m.subject, name: m.name, counts });
    }
    Ok(out)
}

/// Aggregates per subject and name over `[since, now]`, by name.
pub async fn stats(
    db: &impl ConnectionTrait,
    scope: &Scope,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    minute_hours: u32,
) -> Result<Vec<SubjectStats>, StoreError> {
    let mut merged: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for r in rows(db, scope, since.timestamp(), now.timestamp(), minute_hours).await? {
        merged.entry((r.name, r.subject)).or_default().merge(&r.counts);
    }
    Ok(merged
        .into_iter()
        .map(|((name, subject), c)| {
            let errors = c.error_count();
            let per_call = |v: u64| if c.calls == 0 { 0.0 } else { v as f64 / c.calls as f64 };
            SubjectStats {
                subject,
                name,
                calls: c.calls,
                errors,
                error_rate: per_call(errors),
                p50_ms: c.latency.quantile_ms(0.50),
                p95_ms: c.latency.quantile_ms(0.95),
                p99_ms: c.latency.quantile_ms(0.99),
                mean_rows: per_call(c.rows),
                mean_bytes: per_call(c.bytes),
                cache_hits: c.cache_hits,
                last_called: (c.last_called > 0).then(|| Utc.timestamp_opt(c.last_called, 0).single()).flatten(),
                errors_by_class: c.errors,
            }
        })
        .collect())
}

/// Points of `step` seconds over `[since, now]`, oldest first, empty steps included.
pub async fn timeseries(
    db: &impl ConnectionTrait,
    scope: &Scope,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    step: i64,
    minute_hours: u32,
) -> Result<TimeSeries, StoreError> {
    let first = since.timestamp() / step * step;
    let mut steps: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut t = first;
    while t <= now.timestamp() {
        steps.insert(t, Counts::default());
        t += step;
    }
    for r in rows(db, scope, since.timestamp(), now.timestamp(), minute_hours).await? {
        let at = r.at / step * step;
        steps.entry(at.max(first)).or_default().merge(&r.counts);
    }
    let points = steps
        .into_iter()
        .map(|(at, c)| TimePoint {
            at: Utc.timestamp_opt(at, 0).single().unwrap_or_default(),
            calls: c.calls,
            errors: c.error_count(),
            p50_ms: c.latency.quantile_ms(0.50),
            p95_ms: c.latency.quantile_ms(0.95),
        })
        .collect();
    Ok(TimeSeries { step_seconds: u64::try_from(step).unwrap_or(60), points })
}

fn figures(s: &QueueSnapshot) -> QueueFigures {
    QueueFigures {
        running: s.running,
        waiting: s.waiting,
        limit: s.limit,
        rejected: s.rejected,
        timed_out: s.timed_out,
        wait_p50_ms: s.wait.quantile_ms(0.50),
        wait_p95_ms: s.wait.quantile_ms(0.95),
        pool_in_use: s.pool_in_use,
        pool_idle: s.pool_idle,
    }
}

/// Every connection's queue, per instance that reported within [`QUEUE_FRESH`] s and summed.
pub async fn queues(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<ConnectionQueue>, StoreError> {
    let fresh = now - chrono::Duration::seconds(QUEUE_FRESH);
    let rows = queue_snapshot::Entity::find().filter(queue_snapshot::Column::ReceivedAt.gte(fresh)).all(db).await?;
    let mut by_conn: BTreeMap<String, (Vec<InstanceQueue>, Sketch, QueueFigures)> = BTreeMap::new();
    for r in rows {
        let Ok(s) = serde_json::from_str::<QueueSnapshot>(&r.body) else { continue };
        let (list, wait, total) = by_conn.entry(r.connection_id).or_default();
        wait.merge(&s.wait);
        total.running += s.running;
        total.waiting += s.waiting;
        total.limit += s.limit;
        total.rejected += s.rejected;
        total.timed_out += s.timed_out;
        total.pool_in_use += s.pool_in_use;
        total.pool_idle += s.pool_idle;
        list.push(InstanceQueue { instance_id: r.instance_id, reported_at: r.received_at, figures: figures(&s) });
    }
    Ok(by_conn
        .into_iter()
        .map(|(connection_id, (mut instances, wait, mut total))| {
            total.wait_p50_ms = wait.quantile_ms(0.50);
            total.wait_p95_ms = wait.quantile_ms(0.95);
            instances.sort_by(|a, b| a.instance_id.cmp(&b.instance_id));
            ConnectionQueue { connection_id, total, instances }
        })
        .collect())
}
