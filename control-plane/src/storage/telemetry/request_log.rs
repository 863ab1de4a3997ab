//! The request log: one row per MCP call a runtime delivered, newest first,
//! filtered by name, outcome, client, time and text.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use shared_model::telemetry::CallRecord;

use super::super::StoreError;
use super::super::crud::recent_page_where;
use super::super::entities::request_log;
use super::super::published::escape_like;
use super::col;
use crate::model::telemetry::{LogEntry, LogFilter};

/// Appends `records` delivered by `instance`.
pub async fn append(db: &impl ConnectionTrait, instance: &str, records: &[CallRecord]) -> Result<(), StoreError> {
    // A few hundred rows per statement keeps PostgreSQL under its bind-parameter limit.
    for chunk in records.chunks(200) {
        let rows = chunk.iter().map(|r| request_log::ActiveModel {
            id: sea_orm::ActiveValue::NotSet,
            at: Set(r.at),
            instance_id: Set(instance.to_string()),
            release: Set(col(r.release)),
            subject: Set(r.subject.as_str().into()),
            name: Set(r.name.chars().take(255).collect()),
            client: Set(r.client.chars().take(120).collect()),
            duration_us: Set(col(r.duration_us)),
            queue_wait_us: Set(col(r.queue_wait_us)),
            db_us: Set(col(r.db_us)),
            rows: Set(col(r.rows)),
            bytes: Set(col(r.bytes)),
            error_class: Set(r.error_class.as_ref().map(|c| c.chars().take(64).collect())),
            arguments: Set(r.arguments.to_string()),
        });
        request_log::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// A page of calls, newest first, and how many match. `names` maps a token
/// id to its name, so the entries say who called.
pub async fn page(
    db: &impl ConnectionTrait,
    f: &LogFilter,
    names: &HashMap<String, String>,
    skip: u64,
    limit: u64,
) -> Result<(Vec<LogEntry>, u64), StoreError> {
    use request_log::Column as C;
    let mut cond = Condition::all();
    if let Some(n) = &f.name {
        cond = cond.add(C::Name.eq(n.as_str()));
    }
    if let Some(c) = &f.client {
        cond = cond.add(C::Client.eq(c.as_str()));
    }
    match f.failed {
        Some(true) => cond = cond.add(C::ErrorClass.is_not_null()),
        Some(false) => cond = cond.add(C::ErrorClass.is_null()),
        None => {}
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.is_empty()) {
        // LIKE wildcards in the search text are taken literally.
        let pattern = format!("%{}%", escape_like(&t.to_lowercase()));
        let like = |c: C| Expr::expr(Func::lower(Expr::col(c))).like(LikeExpr::new(pattern.clone()).escape('\\'));
        cond = cond.add(
            Condition::any().add(like(C::Name)).add(like(C::ErrorClass)).add(like(C::Arguments)).add(like(C::Client)),
        );
    }
    let (rows, total) =
        recent_page_where::<request_log::Entity, _>(db, cond, (C::At, f.from, f.to), C::Id, skip, limit).await?;
    let ms = |us: i64| us as f64 / 1e3;
    let items = rows
        .into_iter()
        .map(|m| LogEntry {
            id: m.id,
            at: m.at,
            instance_id: m.instance_id,
            release: u64::try_from(m.release).unwrap_or(0),
            subject: m.subject,
            client: m.client.strip_prefix("token:").and_then(|id| names.get(id)).cloned().unwrap_or(m.client),
            name: m.name,
            duration_ms: ms(m.duration_us),
            queue_wait_ms: ms(m.queue_wait_us),
            db_ms: ms(m.db_us),
            rows: u64::try_from(m.rows).unwrap_or(0),
            bytes: u64::try_from(m.bytes).unwrap_or(0),
            outcome: if m.error_class.is_some() { "error" } else { "ok" }.into(),
            error_class: m.error_class,
            arguments: serde_json::from_str(&m.arguments).unwrap_or_default(),
        })
        .collect();
    Ok((items, total))
}

/// Deletes records older than `cutoff`; returns how many went.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let gone = request_log::Entity::delete_many().filter(request_log::Column::At.lt(cutoff)).exec(db).await?;
    Ok(gone.rows_affected)
}
