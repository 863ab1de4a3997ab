//! Releases and the deploy state in the store.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, QueryOrder, QuerySelect, TransactionTrait,
};
use shared_model::manifest::Manifest;

use super::build::Built;
use super::diff::{Change, changes};
use crate::error::ApiError;
use crate::storage::entities::{deploy_state, release};

/// The newest release, if any.
pub async fn latest<C: ConnectionTrait>(db: &C) -> Result<Option<release::Model>, ApiError> {
    Ok(release::Entity::find().order_by_desc(release::Column::Number).one(db).await?)
}

/// Release `number`, or a 404.
pub async fn get<C: ConnectionTrait>(db: &C, number: i64) -> Result<release::Model, ApiError> {
    release::Entity::find_by_id(number).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no release {number}")))
}

/// A page of releases, newest first, and the total.
pub async fn page<C: ConnectionTrait>(db: &C, skip: u64, limit: u64) -> Result<(Vec<release::Model>, u64), ApiError> {
    let total = release::Entity::find().count(db).await?;
    let rows = release::Entity::find().order_by_desc(release::Column::Number).offset(skip).limit(limit).all(db).await?;
    Ok((rows, total))
}

/// The source form of a stored release.
pub fn source_of(r: &release::Model) -> Result<Manifest, ApiError> {
    Manifest::from_json(&r.source).map_err(ApiError::internal)
}

/// Stores `built` as the next release (its number must be `latest + 1`) and
/// makes it active, in one transaction.
pub async fn publish(
    db: &sea_orm::DatabaseConnection,
    built: &Built,
    rolled_back_from: Option<i64>,
) -> Result<(release::Model, Vec<Change>), ApiError> {
    let tx = db.begin().await?;
    let previous = latest(&tx).await?;
    let number = previous.as_ref().map_or(1, |p| p.number + 1);
    if built.manifest.release != number as u64 {
        return Err(ApiError::Conflict("another deploy published a release meanwhile; deploy again".into()));
    }
    let old = previous.as_ref().map(source_of).transpose()?;
    let changed = changes(old.as_ref(), &built.source);
    let row = release::ActiveModel {
        number: Set(number),
        content_hash: Set(built.manifest.content_hash.clone()),
        source_hash: Set(built.source.content_hash.clone()),
        manifest: Set(serde_json::to_string(&built.manifest).map_err(ApiError::internal)?),
        source: Set(serde_json::to_string(&built.source).map_err(ApiError::internal)?),
        changes: Set(serde_json::to_value(&changed).map_err(ApiError::internal)?),
        rolled_back_from: Set(rolled_back_from),
        created_at: Set(Utc::now()),
    };
    let saved = release::Entity::insert(row).exec_with_returning(&tx).await?;
    set_state(&tx, Some(number), false).await?;
    tx.commit().await?;
    Ok((saved, changed))
}

/// The deploy state (nothing deployed yet: no active release, not stopped).
pub async fn state<C: ConnectionTrait>(db: &C) -> Result<deploy_state::Model, ApiError> {
    Ok(deploy_state::Entity::find_by_id(1).one(db).await?.unwrap_or(deploy_state::Model {
        id: 1,
        active_release: None,
        stopped: false,
        updated_at: Utc::now(),
    }))
}

/// Sets the active release and the stopped flag.
pub async fn set_state<C: ConnectionTrait>(db: &C, active: Option<i64>, stopped: bool) -> Result<(), ApiError> {
    let row = deploy_state::ActiveModel {
        id: Set(1),
        active_release: Set(active),
        stopped: Set(stopped),
        updated_at: Set(Utc::now()),
    };
    if deploy_state::Entity::find_by_id(1).one(db).await?.is_some() {
        deploy_state::Entity::update(row).exec(db).await?;
    } else {
        deploy_state::Entity::insert(row).exec(db).await?;
    }
    Ok(())
}
