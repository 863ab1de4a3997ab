//! Leases: background jobs that must run once per installation (telemetry
//! compaction, history retention) run in one control plane at a time when
//! several share the store. Before each pass a process takes or renews the
//! job's lease in one statement — an insert that, on conflict, takes the row
//! over only when it lapsed or is already this holder's — and skips the pass
//! when another process holds it. A holder that dies stops renewing; its lease
//! lapses after `ttl` and the next process to ask takes the job. With one
//! control plane (and on SQLite) the lease is always its own.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use super::StoreError;
use super::entities::lease;

/// This process's name as a lease holder: random per start.
pub fn holder() -> String {
    format!("control-plane-{}", uuid::Uuid::new_v4().simple())
}

/// Takes or renews the lease on `job` for `ttl`; whether `holder` holds it now.
pub async fn acquire(db: &impl ConnectionTrait, job: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
    let now = Utc::now().timestamp();
    let row = lease::ActiveModel {
        name: Set(job.to_string()),
        holder: Set(holder.to_string()),
        expires_at: Set(now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2)),
    };
    let mut on = OnConflict::column(lease::Column::Name);
    on.update_columns([lease::Column::Holder, lease::Column::ExpiresAt]).action_and_where(
        Expr::col((lease::Entity, lease::Column::ExpiresAt)).lt(now).or(Expr::col((
            lease::Entity,
            lease::Column::Holder,
        ))
        .eq(holder)),
    );
    let written = lease::Entity::insert(row).on_conflict(on).exec_without_returning(db).await?;
    Ok(written == 1)
}
