//! Store operations shared by every entity: pages, lookups, versioned updates
//! and turning constraint violations into the errors users can act on.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use crate::error::ApiError;

/// One page of an entity, ordered by `order`, with the total count.
pub async fn page<E, C>(db: &C, order: E::Column, skip: u64, limit: u64) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = E::find().count(db).await?;
    let items = E::find().order_by_asc(order).offset(skip).limit(limit).all(db).await?;
    Ok((items, total))
}

/// The row with `id`, or a 404 naming `what`.
pub async fn get<E, C>(db: &C, id: uuid::Uuid, what: &str) -> Result<E::Model, ApiError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    C: ConnectionTrait,
{
    E::find_by_id(id.to_string()).one(db).await?.ok_or_else(|| ApiError::NotFound(format!("no {what} with id {id}")))
}

/// Deletes the row with `id`, or a 404 naming `what`.
pub async fn delete<E, C>(db: &C, id: uuid::Uuid, what: &str) -> Result<(), ApiError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    C: ConnectionTrait,
{
    let res = E::delete_by_id(id.to_string()).exec(db).await?;
    if res.rows_affected == 0 {
        return Err(ApiError::NotFound(format!("no {what} with id {id}")));
    }
    Ok(())
}

/// Inserts `model`; a unique-name violation becomes a 409 naming the entity.
pub async fn insert<A, C>(
    db: &C,
    model: A,
    what: &str,
    name: &str,
) -> Result<<A::Entity as EntityTrait>::Model, ApiError>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    model.insert(db).await.map_err(|e| unique_conflict(e, what, name))
}

/// Writes `model` only if the row still has `expected_version` (optimistic locking).
pub async fn update_versioned<A, C>(
    db: &C,
    model: A,
    id_col: <A::Entity as EntityTrait>::Column,
    version_col: <A::Entity as EntityTrait>::Column,
    id: uuid::Uuid,
    expected_version: i32,
    (what, name): (&str, &str),
) -> Result<(), ApiError>
where
    A: ActiveModelTrait + Send,
    C: ConnectionTrait,
{
    let res = <A::Entity as EntityTrait>::update_many()
        .set(model)
        .filter(id_col.eq(id.to_string()))
        .filter(version_col.eq(expected_version))
        .exec(db)
        .await
        .map_err(|e| unique_conflict(e, what, name))?;
    if res.rows_affected == 0 {
        return Err(ApiError::VersionConflict(format!(
            "version conflict: the {what} changed since version {expected_version}; reload it and retry"
        )));
    }
    Ok(())
}

/// Rejects a PATCH whose `version` is not the current one.
pub fn check_version(sent: Option<i32>, current: i32) -> Result<(), ApiError> {
    match sent {
        Some(v) if v != current => Err(ApiError::VersionConflict(format!(
            "version conflict: expected {v}, current {current}; reload and retry"
        ))),
        _ => Ok(()),
    }
}

/// Maps a unique-constraint violation to a 409, anything else to a 500.
pub fn unique_conflict(e: DbErr, what: &str, name: &str) -> ApiError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict(format!("a {what} named {name:?} (or differing only in case or '-'/'_') already exists"))
        }
        _ => ApiError::internal(e),
    }
}
