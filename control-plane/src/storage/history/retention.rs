//! Retention: history entries and audit events older than the configured
//! number of days go, and of each entity type (and of the audit trail) only
//! the newest `max_entries` stay. [`prune`] does one pass; [`run`] is the
//! background task `app.rs` spawns, a pass at start and then every hour. The
//! same task prunes the authorization server's dead rows (expired codes, used
//! up refresh tokens, long revoked grants: `storage::authorization::prune`),
//! so one leased hourly job keeps the store from growing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::super::entities::change_history;
use super::super::{Db, StoreError, audit};
use crate::model::history::Retention;

/// How often the background task prunes.
pub const EVERY: Duration = Duration::from_secs(3600);

/// What a pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// History entries deleted.
    pub history: u64,
    /// Audit events deleted.
    pub audit: u64,
}

/// Applies `retention` as of `now`.
pub async fn prune(db: &impl ConnectionTrait, retention: Retention, now: DateTime<Utc>) -> Result<Pruned, StoreError> {
    use change_history::Column as C;
    let cutoff = now - chrono::Duration::days(i64::from(retention.days));
    let mut history =
        change_history::Entity::delete_many().filter(C::CreatedAt.lt(cutoff)).exec(db).await?.rows_affected;
    let types: Vec<String> =
        change_history::Entity::find().select_only().column(C::EntityType).distinct().into_tuple().all(db).await?;
    for t in types {
        let edge: Option<i64> = change_history::Entity::find()
            .select_only()
            .column(C::Id)
            .filter(C::EntityType.eq(t.as_str()))
            .order_by_desc(C::Id)
            .offset(retention.max_entries)
            .into_tuple()
            .one(db)
            .await?;
        if let Some(edge) = edge {
            let old =
                change_history::Entity::delete_many().filter(C::EntityType.eq(t.as_str())).filter(C::Id.lte(edge));
            history += old.exec(db).await?.rows_affected;
        }
    }
    let audit = audit::prune(db, cutoff, retention.max_entries).await?;
    Ok(Pruned { history, audit })
}

/// The lease that makes one control plane of several prune.
pub const LEASE: &str = "history-retention";

/// Prunes now and every [`EVERY`] until the process ends, while `holder`
/// holds the [`LEASE`] (see `storage::leases`).
pub async fn run(db: Db, retention: Retention, holder: String) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match crate::storage::leases::acquire(&db, LEASE, &holder, EVERY * 2).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "Could not take the retention lease.");
                continue;
            }
        }
        match prune(&db, retention, Utc::now()).await {
            Ok(p) if p.history + p.audit > 0 => {
                tracing::info!(history = p.history, audit = p.audit, "Old history and audit entries were deleted.")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "Could not prune the change history."),
        }
        match crate::storage::authorization::prune(&db, Utc::now()).await {
            Ok(p) if p.codes + p.refresh_tokens + p.grants > 0 => tracing::info!(
                codes = p.codes,
                refresh_tokens = p.refresh_tokens,
                grants = p.grants,
                "Expired authorization codes, used up refresh tokens and long revoked grants were deleted."
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "Could not prune the authorization server's rows."),
        }
    }
}
