//! What tools, resources and prompts share: the stored-entity envelope
//! (`id`, `version`, timestamps around the fields) and the list, create,
//! get, update and delete logic. Each module keeps its fields, their
//! validation and their mapping to its table, and documents its routes.

use std::borrow::Cow;
use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, PrimaryKeyTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::entity::merge_patch;
use super::page::{Page, PageQuery};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult};
use crate::storage::crud;

/// A stored entity as the API returns it: its fields with id, version and timestamps.
#[derive(Serialize)]
pub struct Versioned<F> {
    /// The entity's id.
    pub id: Uuid,
    /// Its editable fields.
    #[serde(flatten)]
    pub fields: F,
    /// Starts at 1; each update increments it.
    pub version: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl<F: ToSchema> PartialSchema for Versioned<F> {
    fn schema() -> RefOr<Schema> {
        let mut schema = F::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            let string =
                |format| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)));
            let version = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("Starts at 1; each update increments it."));
            object.properties.insert("id".into(), string(KnownFormat::Uuid).into());
            object.properties.insert("version".into(), version.into());
            object.properties.insert("created_at".into(), string(KnownFormat::DateTime).into());
            object.properties.insert("updated_at".into(), string(KnownFormat::DateTime).into());
            object.required.extend(["id", "version", "created_at", "updated_at"].map(String::from));
        }
        schema
    }
}

impl<F: ToSchema> ToSchema for Versioned<F> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(F::name().trim_end_matches("Fields").to_string())
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        F::schemas(schemas);
    }
}

/// The table of `F`.
pub type EntityOf<F> = <F as Published>::Entity;
/// A row of `F`'s table.
pub type ModelOf<F> = <EntityOf<F> as EntityTrait>::Model;
/// A row of `F`'s table being written.
pub type ActiveOf<F> = <EntityOf<F> as EntityTrait>::ActiveModel;
/// A column of `F`'s table.
pub type ColumnOf<F> = <EntityOf<F> as EntityTrait>::Column;

/// The columns the shared logic needs.
pub struct Columns<C> {
    /// Primary key (a UUID string).
    pub id: C,
    /// Optimistic-locking version.
    pub version: C,
    /// Creation time.
    pub created_at: C,
    /// Normalised unique name; lists are sorted by it.
    pub name_key: C,
}

/// The editable fields of a published entity and how they map to its table.
pub trait Published: ToSchema + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Its table.
    type Entity: EntityTrait<
            Model: Sync + IntoActiveModel<ActiveOf<Self>>,
            ActiveModel: ActiveModelTrait + Send,
            PrimaryKey: PrimaryKeyTrait<ValueType: From<String>>,
        >;
    /// What it is called in messages (`tool`, `resource`, `prompt`).
    const WHAT: &'static str;
    /// Its table's shared columns.
    fn columns() -> Columns<ColumnOf<Self>>;
    /// Its name.
    fn name(&self) -> &str;
    /// Reads a row.
    fn from_model(m: ModelOf<Self>) -> Result<Versioned<Self>, ApiError>;
    /// The row for these fields; id, version and creation time are set by the caller.
    fn into_active(self) -> ActiveOf<Self>;
    /// Every problem with the fields, as one 422.
    fn validate(&self, db: &DatabaseConnection) -> impl Future<Output = Result<(), ApiError>> + Send;
}

/// One page, sorted by name.
pub async fn list<F: Published>(s: &AppState, q: PageQuery) -> ApiResult<Page<Versioned<F>>> {
    let (skip, limit) = q.bounds()?;
    let (rows, total) = crud::page::<EntityOf<F>, _>(&s.db, F::columns().name_key, skip, limit).await?;
    Ok(Page { items: rows.into_iter().map(F::from_model).collect::<Result<_, _>>()?, total })
}

/// Stores new fields as version 1, without validating them (see [`create`]).
pub async fn insert<F: Published>(s: &AppState, fields: F) -> ApiResult<Versioned<F>> {
    let name = fields.name().to_string();
    let cols = F::columns();
    let mut row = fields.into_active();
    row.set(cols.id, Uuid::new_v4().to_string().into());
    row.set(cols.version, 1.into());
    row.set(cols.created_at, Utc::now().into());
    F::from_model(crud::insert(&s.db, row, F::WHAT, &name).await?)
}

/// Validates and stores new fields.
pub async fn create<F: Published>(s: &AppState, fields: F) -> ApiResult<Versioned<F>> {
    fields.validate(&s.db).await?;
    insert(s, fields).await
}

/// The entity with `id`, or 404.
pub async fn get<F: Published>(s: &AppState, id: Uuid) -> ApiResult<Versioned<F>> {
    F::from_model(crud::get::<EntityOf<F>, _>(&s.db, id, F::WHAT).await?)
}

/// Merges `patch` over the stored fields, validates the result and writes it
/// if the version is still the one the edit was based on.
pub async fn update<F: Published>(s: &AppState, id: Uuid, patch: Map<String, Value>) -> ApiResult<Versioned<F>> {
    let current = get::<F>(s, id).await?;
    let (fields, sent_version) = merge_patch(&current.fields, patch)?;
    crud::check_version(sent_version, current.version)?;
    fields.validate(&s.db).await?;
    let name = fields.name().to_string();
    let cols = F::columns();
    let mut row = fields.into_active();
    row.set(cols.version, (current.version + 1).into());
    crud::update_versioned(&s.db, row, cols.id, cols.version, id, current.version, (F::WHAT, &name)).await?;
    get::<F>(s, id).await
}

/// Deletes the entity with `id`, or 404.
pub async fn delete<F: Published>(s: &AppState, id: Uuid) -> ApiResult<()> {
    crud::delete::<EntityOf<F>, _>(&s.db, id, F::WHAT).await
}
