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

/// What a save does before its write, whoever saves (REST or agent): a tool's
/// result columns are described by its database; resources and prompts keep
/// the defaults, which change nothing.
pub trait Prepare: Row + Send {
    /// The fields of a create, completed.
    fn prepare_create(_s: &AppState, fields: Self) -> impl Future<Output = Self> + Send {
        async move { fields }
    }

    /// The patch of the entity `id`, completed.
    fn prepare_patch(
        _s: &AppState,
        _id: Uuid,
        patch: Map<String, Value>,
    ) -> impl Future<Output = ApiResult<Map<String, Value>>> + Send {
        async move { Ok(patch) }
    }
}

/// Validates and stores new fields.
pub async fn create<F: Prepare>(s: &AppState, actor: &Actor, fields: F) -> ApiResult<Versioned<F>> {
    let fields = F::prepare_create(s, fields).await;
    Ok(write(&s.db, actor, |w| Box::pin(published::create(w, fields))).await?)
}

/// The entity with `id`, or 404.
pub async fn get<F: Row>(s: &AppState, id: Uuid) -> ApiResult<Versioned<F>> {
    Ok(published::get::<F>(&s.db, id).await?)
}

/// Merges `patch` over the stored fields and writes them if still current.
pub async fn update<F: Prepare>(
    s: &AppState,
    actor: &Actor,
    id: Uuid,
    patch: Map<String, Value>,
) -> ApiResult<Versioned<F>> {
    let patch = F::prepare_patch(s, id, patch).await?;
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
