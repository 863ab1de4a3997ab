//! Releases and the deploy state. A release is stored and made active in one
//! transaction, numbered one past the newest.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect};
use shared_model::manifest::Manifest;

use super::entities::{deploy_state, release};
use super::write::{Action, Kind, State, Write};
use super::{StoreError, crud};
use crate::model::release::{Change, DeployState, StoredRelease};

fn from_model(m: release::Model) -> Result<StoredRelease, StoreError> {
    Ok(StoredRelease {
        source: Manifest::from_json(&m.source).map_err(StoreError::internal)?,
        changes: crud::column(&m.changes)?,
        number: m.number,
        content_hash: m.content_hash,
        source_hash: m.source_hash,
        manifest: m.manifest,
        rolled_back_from: m.rolled_back_from,
        created_at: m.created_at,
    })
}

/// The newest release, if any.
pub async fn latest(db: &impl ConnectionTrait) -> Result<Option<StoredRelease>, StoreError> {
    release::Entity::find().order_by_desc(release::Column::Number).one(db).await?.map(from_model).transpose()
}

/// Release `number`.
pub async fn get(db: &impl ConnectionTrait, number: i64) -> Result<StoredRelease, StoreError> {
    let row = release::Entity::find_by_id(number).one(db).await?;
    from_model(row.ok_or_else(|| StoreError::NotFound(format!("no release {number}")))?)
}

/// A page of releases, newest first, and the total.
pub async fn page(db: &impl ConnectionTrait, skip: u64, limit: u64) -> Result<(Vec<StoredRelease>, u64), StoreError> {
    let total = release::Entity::find().count(db).await?;
    let rows = release::Entity::find().order_by_desc(release::Column::Number).offset(skip).limit(limit).all(db).await?;
    Ok((rows.into_iter().map(from_model).collect::<Result<_, _>>()?, total))
}

/// What a new release holds; its number is given by the store.
pub struct NewRelease<'a> {
    /// The manifest as served (secrets sealed).
    pub manifest: &'a Manifest,
    /// The fingerprinted form.
    pub source: &'a Manifest,
    /// What changed since the previous release.
    pub changes: &'a [Change],
    /// Set for a rollback.
    pub rolled_back_from: Option<i64>,
}

/// Stores `new` as release `number` and makes it active. `number` must be one
/// past the newest, otherwise another deploy published meanwhile: conflict.
pub async fn publish(w: &mut Write<'_>, number: i64, new: NewRelease<'_>) -> Result<StoredRelease, StoreError> {
    let next = latest(w.tx()).await?.map_or(1, |p| p.number + 1);
    if next != number {
        return Err(StoreError::Conflict("another deploy published a release meanwhile; deploy again".into()));
    }
    let json = |m: &Manifest| serde_json::to_string(m).map_err(StoreError::internal);
    let row = release::ActiveModel {
        number: Set(number),
        content_hash: Set(new.manifest.content_hash.clone()),
        source_hash: Set(new.source.content_hash.clone()),
        manifest: Set(json(new.manifest)?),
        source: Set(json(new.source)?),
        changes: Set(crud::to_column(&new.changes)),
        rolled_back_from: Set(new.rolled_back_from),
        created_at: Set(Utc::now()),
    };
    let saved = release::Entity::insert(row).exec_with_returning(w.tx()).await.map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            StoreError::Conflict("another deploy published a release meanwhile; deploy again".into())
        }
        _ => StoreError::internal(e),
    })?;
    set_state(w, DeployState { active_release: Some(number), stopped: false }).await?;
    let after = serde_json::json!({"number": number, "content_hash": new.manifest.content_hash,
        "rolled_back_from": new.rolled_back_from});
    let state = State { version: None, before: None, after: Some(after) };
    w.record(Kind::Release, number.to_string(), format!("release {number}"), Action::Created, state);
    from_model(saved)
}

/// The deploy state (nothing deployed yet: no active release, not stopped).
pub async fn state(db: &impl ConnectionTrait) -> Result<DeployState, StoreError> {
    let row = deploy_state::Entity::find_by_id(1).one(db).await?;
    Ok(row.map_or_else(DeployState::default, |r| DeployState { active_release: r.active_release, stopped: r.stopped }))
}

/// Sets the active release and the stopped flag.
pub async fn set_state(w: &mut Write<'_>, state: DeployState) -> Result<(), StoreError> {
    let row = deploy_state::ActiveModel {
        id: Set(1),
        active_release: Set(state.active_release),
        stopped: Set(state.stopped),
        updated_at: Set(Utc::now()),
    };
    if deploy_state::Entity::find_by_id(1).one(w.tx()).await?.is_some() {
        deploy_state::Entity::update(row).exec(w.tx()).await?;
    } else {
        deploy_state::Entity::insert(row).exec(w.tx()).await?;
    }
    let what = if state.stopped { "stopped" } else { "running" };
    let after = serde_json::json!({"active_release": state.active_release, "stopped": state.stopped});
    let id = state.active_release.unwrap_or(0).to_string();
    w.record(Kind::Release, id, what, Action::Updated, State { version: None, before: None, after: Some(after) });
    Ok(())
}
