//! The audit trail: events that are not edits of an entity (logins, failed
//! logins) and those that are but matter for security (deploys, stops,
//! release redeploys, tokens, history rollbacks). Written by [`record`] — on
//! the pool for logins, or inside a [`Write`](super::Write)'s transaction by
//! `Write::commit`. Details never hold a secret.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use super::StoreError;
use super::entities::audit_event;
use crate::model::Actor;
use crate::model::history::AuditEntry;

/// Event names used by Quarry itself.
pub mod events {
    /// A successful login.
    pub const LOGIN: &str = "login";
    /// The first admin was created (first-run setup).
    pub const SETUP: &str = "setup";
    /// A session was ended by logging out.
    pub const LOGOUT: &str = "logout";
    /// A refused login (wrong name or password).
    pub const LOGIN_FAILED: &str = "login_failed";
    /// A release was published by a deploy.
    pub const DEPLOY: &str = "deploy";
    /// The deployment was stopped.
    pub const STOP: &str = "stop";
    /// An older release was published again (release rollback).
    pub const RELEASE_REDEPLOY: &str = "release_redeploy";
    /// An MCP token was created.
    pub const TOKEN_CREATED: &str = "token_created";
    /// An MCP token was revoked.
    pub const TOKEN_REVOKED: &str = "token_revoked";
    /// An agent token was created.
    pub const AGENT_TOKEN_CREATED: &str = "agent_token_created";
    /// An agent token was revoked.
    pub const AGENT_TOKEN_REVOKED: &str = "agent_token_revoked";
    /// An OAuth client was created.
    pub const OAUTH_CLIENT_CREATED: &str = "oauth_client_created";
    /// An OAuth client was revoked.
    pub const OAUTH_CLIENT_REVOKED: &str = "oauth_client_revoked";
    /// An admin revoked a user's grant to an MCP client.
    pub const OAUTH_GRANT_REVOKED: &str = "oauth_grant_revoked";
    /// An agent credential was refused (unknown, expired or revoked token).
    pub const AGENT_REFUSED: &str = "agent_refused";
    /// An entity was rolled back to a history snapshot.
    pub const HISTORY_ROLLBACK: &str = "history_rollback";
    /// Two-factor login was turned on.
    pub const TWO_FACTOR_ENABLED: &str = "two_factor_enabled";
    /// Two-factor login was turned off.
    pub const TWO_FACTOR_DISABLED: &str = "two_factor_disabled";
    /// New recovery codes replaced the old ones.
    pub const RECOVERY_CODES_REGENERATED: &str = "recovery_codes_regenerated";
}

/// Records `event` by `actor` (with its client address and user agent) on
/// `db` — the pool, or a transaction to make it part of a write.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, event: &str, detail: Value) -> Result<(), StoreError> {
    let (address, user_agent) = actor.client();
    let row = audit_event::ActiveModel {
        event: Set(event.chars().take(32).collect()),
        actor: Set(actor.to_string()),
        address: Set(address.map(String::from)),
        user_agent: Set(user_agent.map(String::from)),
        detail: Set(detail),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    audit_event::Entity::insert(row).exec(db).await?;
    Ok(())
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this event.
    pub event: Option<String>,
    /// Only this actor (`admin:<id>`, `visitor`, `system`).
    pub actor: Option<String>,
    /// Only events at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this time.
    pub until: Option<DateTime<Utc>>,
}

/// A page of audit events, newest first, and how many match.
pub async fn page(
    db: &impl ConnectionTrait,
    f: &AuditFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<AuditEntry>, u64), StoreError> {
    use audit_event::Column as C;
    let equal = [(C::Event, f.event.as_deref()), (C::Actor, f.actor.as_deref())];
    let (rows, total) = super::crud::recent_page::<audit_event::Entity, _>(
        db,
        &equal,
        (C::CreatedAt, f.since, f.until),
        C::Id,
        skip,
        limit,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|m| AuditEntry {
            id: m.id,
            event: m.event,
            actor: m.actor,
            address: m.address,
            user_agent: m.user_agent,
            detail: m.detail,
            created_at: m.created_at,
        })
        .collect();
    Ok((items, total))
}

/// Deletes events older than `cutoff` and all but the newest `keep`; returns how many went.
pub async fn prune(db: &impl ConnectionTrait, cutoff: DateTime<Utc>, keep: u64) -> Result<u64, StoreError> {
    use audit_event::Column as C;
    let mut gone = audit_event::Entity::delete_many().filter(C::CreatedAt.lt(cutoff)).exec(db).await?.rows_affected;
    let edge: Option<i64> = audit_event::Entity::find()
        .select_only()
        .column(C::Id)
        .order_by_desc(C::Id)
        .offset(keep)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(edge) = edge {
        gone += audit_event::Entity::delete_many().filter(C::Id.lte(edge)).exec(db).await?.rows_affected;
    }
    Ok(gone)
}
