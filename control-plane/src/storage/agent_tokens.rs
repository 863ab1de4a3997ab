//! Agent tokens in the store: created and revoked through a [`Write`] (so
//! history and audit record them), looked up by keyed hash on every agent
//! request, and stamped with their latest use (not an edit: no `Write`).

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::entities::agent_token;
use super::history::snap;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::agent::scope::Scope;
use crate::model::agent::token::{AgentToken, MAX_TOKENS, Minted};

fn public(m: agent_token::Model) -> Result<AgentToken, StoreError> {
    let names: Vec<String> = crud::column(&m.scopes)?;
    Ok(AgentToken {
        id: m.id,
        name: m.name,
        prefix: m.prefix,
        // A scope this version no longer knows is dropped, never widened.
        scopes: names.iter().filter_map(|n| Scope::parse(n)).collect(),
        expires_at: m.expires_at,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        last_used_from: m.last_used_from,
    })
}

/// Stores a minted token (at most [`MAX_TOKENS`]).
pub async fn create(w: &mut Write<'_>, minted: &Minted) -> Result<(), StoreError> {
    if agent_token::Entity::find().count(w.tx()).await? >= MAX_TOKENS {
        return Err(StoreError::Conflict(format!("at most {MAX_TOKENS} agent tokens; revoke one first")));
    }
    let t = &minted.record;
    let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
    let row = agent_token::ActiveModel {
        id: Set(t.id.clone()),
        name: Set(t.name.clone()),
        prefix: Set(t.prefix.clone()),
        token_hash: Set(minted.hash.clone()),
        scopes: Set(crud::to_column(&scopes)),
        expires_at: Set(t.expires_at),
        created_at: Set(t.created_at),
        last_used_at: Set(None),
        last_used_from: Set(None),
    };
    agent_token::Entity::insert(row).exec(w.tx()).await?;
    let state = State { version: None, before: None, after: snap(t) };
    w.record(Kind::AgentToken, t.id.clone(), t.name.clone(), Action::Created, state);
    Ok(())
}

/// Every agent token, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<AgentToken>, StoreError> {
    let rows = agent_token::Entity::find().order_by_asc(agent_token::Column::CreatedAt).all(db).await?;
    rows.into_iter().map(public).collect()
}

/// Revokes token `id`: its row goes, so the next request with it is refused.
pub async fn revoke(w: &mut Write<'_>, id: &str) -> Result<(), StoreError> {
    let Some(row) = agent_token::Entity::find_by_id(id.to_string()).one(w.tx()).await? else {
        return Err(StoreError::NotFound(format!("no agent token with id {id}")));
    };
    agent_token::Entity::delete_by_id(id.to_string()).exec(w.tx()).await?;
    let gone = public(row)?;
    let state = State { version: None, before: snap(&gone), after: None };
    w.record(Kind::AgentToken, gone.id, gone.name, Action::Deleted, state);
    Ok(())
}

/// The token whose keyed hash is `hash`, if one exists (expired or not).
pub async fn find_by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<AgentToken>, StoreError> {
    let row = agent_token::Entity::find().filter(agent_token::Column::TokenHash.eq(hash)).one(db).await?;
    row.map(public).transpose()
}

/// Records that token `id` authenticated a request from `from` at `at`.
pub async fn touch(
    db: &impl ConnectionTrait,
    id: &str,
    at: DateTime<Utc>,
    from: Option<&str>,
) -> Result<(), StoreError> {
    let row = agent_token::ActiveModel {
        id: Set(id.to_string()),
        last_used_at: Set(Some(at)),
        last_used_from: Set(from.map(|f| f.chars().take(64).collect())),
        ..Default::default()
    };
    agent_token::Entity::update_many().set(row).filter(agent_token::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}
