//! The agent activity log in the store: appended once per agent tool call
//! (not an edit: no `Write`), listed newest first, summarised per tool and per
//! credential, and pruned with the request log's retention.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::StoreError;
use super::crud::recent_page_where;
use super::entities::agent_activity;
use crate::model::agent::activity::{
    ActivityEntry, ActivityFilter, ActivityStats, ActivityStatsRow, NewActivity, STATS_MAX_CALLS, quantile,
};

/// Appends one call.
pub async fn append(db: &impl ConnectionTrait, a: NewActivity) -> Result<(), StoreError> {
    let row = agent_activity::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        at: Set(Utc::now()),
        credential_id: Set(a.credential_id.chars().take(64).collect()),
        credential_name: Set(a.credential_name.chars().take(100).collect()),
        tool: Set(a.tool.chars().take(64).collect()),
        arguments: Set(a.arguments.to_string()),
        outcome: Set(a.outcome.into()),
        detail: Set(a.detail.map(|d| d.chars().take(2000).collect())),
        duration_us: Set(a.duration_us),
    };
    agent_activity::Entity::insert(row).exec(db).await?;
    Ok(())
}

fn condition(f: &ActivityFilter) -> Condition {
    use agent_activity::Column as C;
    let mut cond = Condition::all();
    for (col, value) in [(C::CredentialId, &f.credential_id), (C::Tool, &f.tool), (C::Outcome, &f.outcome)] {
        if let Some(v) = value {
            cond = cond.add(col.eq(v.as_str()));
        }
    }
    cond
}

fn entry(m: agent_activity::Model) -> ActivityEntry {
    ActivityEntry {
        id: m.id,
        at: m.at,
        credential_id: m.credential_id,
        credential_name: m.credential_name,
        tool: m.tool,
        arguments: serde_json::from_str(&m.arguments).unwrap_or_default(),
        outcome: m.outcome,
        detail: m.detail,
        duration_ms: m.duration_us as f64 / 1e3,
    }
}

/// A page of calls, newest first, and how many match.
pub async fn page(
    db: &impl ConnectionTrait,
    f: &ActivityFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<ActivityEntry>, u64), StoreError> {
    use agent_activity::Column as C;
    let (rows, total) =
        recent_page_where::<agent_activity::Entity, _>(db, condition(f), (C::At, f.since, f.until), C::Id, skip, limit)
            .await?;
    Ok((rows.into_iter().map(entry).collect(), total))
}

/// Counts, errors and p50/p95 per tool and per credential of the (newest
/// [`STATS_MAX_CALLS`]) calls `f` selects.
pub async fn stats(db: &impl ConnectionTrait, f: &ActivityFilter) -> Result<ActivityStats, StoreError> {
    use agent_activity::Column as C;
    let mut q = agent_activity::Entity::find().filter(condition(f));
    if let Some(t) = f.since {
        q = q.filter(C::At.gte(t));
    }
    if let Some(t) = f.until {
        q = q.filter(C::At.lt(t));
    }
    let rows: Vec<(String, String, String, String, i64)> = q
        .select_only()
        .columns([C::Tool, C::CredentialId, C::CredentialName, C::Outcome, C::DurationUs])
        .order_by_desc(C::Id)
        .limit(STATS_MAX_CALLS)
        .into_tuple()
        .all(db)
        .await?;
    #[derive(Default)]
    struct Acc {
        name: Option<String>,
        errors: u64,
        ms: Vec<f64>,
    }
    let (mut tools, mut creds): (HashMap<String, Acc>, HashMap<String, Acc>) = Default::default();
    for (tool, cred, cred_name, outcome, us) in &rows {
        let failed = outcome != crate::model::agent::activity::outcome::OK;
        for (acc, name) in
            [(tools.entry(tool.clone()).or_default(), None), (creds.entry(cred.clone()).or_default(), Some(cred_name))]
        {
            acc.errors += u64::from(failed);
            acc.ms.push(*us as f64 / 1e3);
            // Rows are newest first: the first name seen is the current one.
            if acc.name.is_none() {
                acc.name = name.cloned();
            }
        }
    }
    let rows_of = |map: HashMap<String, Acc>| {
        let mut out: Vec<ActivityStatsRow> = map
            .into_iter()
            .map(|(key, mut acc)| {
                acc.ms.sort_by(f64::total_cmp);
                ActivityStatsRow {
                    key,
                    name: acc.name,
                    calls: acc.ms.len() as u64,
                    errors: acc.errors,
                    p50_ms: quantile(&acc.ms, 0.5),
                    p95_ms: quantile(&acc.ms, 0.95),
                }
            })
            .collect();
        out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
        out
    };
    Ok(ActivityStats { calls: rows.len() as u64, by_tool: rows_of(tools), by_credential: rows_of(creds) })
}

/// Deletes calls older than `cutoff`; returns how many went.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let gone = agent_activity::Entity::delete_many().filter(agent_activity::Column::At.lt(cutoff)).exec(db).await?;
    Ok(gone.rows_affected)
}
