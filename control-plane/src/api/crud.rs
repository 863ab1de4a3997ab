//! The list, create, get, update, delete and duplicate handlers' logic that
//! tools, resources and prompts share; each module documents its routes.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::page::{LinkedFilterQuery, Page, PageQuery};
use crate::app::AppState;
use crate::error::ApiResult;
use crate::model::{Actor, Versioned};
use crate::storage::published::{self, Row};
use crate::storage::write;

/// One page of the filtered list, sorted by name.
pub async fn list<F: Row>(s: &AppState, q: PageQuery, filter: LinkedFilterQuery) -> ApiResult<Page<Versioned<F>>> {
    let (skip, limit) = q.bounds()?;
    let filter = filter.filter()?;
    let (items, total) = published::page::<F>(&s.db, &filter, skip, limit).await?;
    Ok(Page { items, total })
}

/// Validates and stores new fields.
pub async fn create<F: Row>(s: &AppState, actor: &Actor, fields: F) -> ApiResult<Versioned<F>> {
    Ok(write(&s.db, actor, |w| Box::pin(published::create(w, fields))).await?)
}

/// The entity with `id`, or 404.
pub async fn get<F: Row>(s: &AppState, id: Uuid) -> ApiResult<Versioned<F>> {
    Ok(published::get::<F>(&s.db, id).await?)
}

/// Merges `patch` over the stored fields and writes them if still current.
pub async fn update<F: Row>(
    s: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: Map<String, Value>,
) -> ApiResult<Versioned<F>> {
    Ok(write(&s.db, actor, |w| Box::pin(published::update::<F>(w, id, patch))).await?)
}

/// Deletes the entity with `id`, or 404.
pub async fn delete<F: Row>(s: &AppState, actor: &Actor, id: Uuid) -> ApiResult<()> {
    Ok(write(&s.db, actor, |w| Box::pin(published::delete::<F>(w, id))).await?)
}

/// Copies the entity with `id` under a free `<name>_copy…` name.
pub async fn duplicate<F: Row>(s: &AppState, actor: &Actor, id: Uuid) -> ApiResult<Versioned<F>> {
    Ok(write(&s.db, actor, |w| Box::pin(published::duplicate::<F>(w, id))).await?)
}
