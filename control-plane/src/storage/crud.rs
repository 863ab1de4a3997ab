//! Row operations shared by every table: pages, lookups, versioned updates
//! and turning constraint violations into errors users can act on.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait,
    PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use super::StoreError;

/// One page of an entity, ordered by `order`, with the total count.
pub async fn page<E, C>(db: &C, order: E::Column, skip: u64, limit: u64) -> Result<(Vec<E::Model>, u64), StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = E::find().count(db).await?;
    let items = E::find().order_by_asc(order).offset(skip).limit(limit).all(db).await?;
    Ok((items, total))
}

/// The row with `id`, or not found naming `what`.
pub async fn get<E, C>(db: &C, id: uuid::Uuid, what: &str) -> Result<E::Model, StoreError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    C: ConnectionTrait,
{
    E::find_by_id(id.to_string()).one(db).await?.ok_or_else(|| StoreError::NotFound(format!("no {what} with id {id}")))
}

/// Deletes the row with `id`, or not found naming `what`.
pub async fn delete<E, C>(db: &C, id: uuid::Uuid, what: &str) -> Result<(), StoreError>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    C: ConnectionTrait,
{
    let res = E::delete_by_id(id.to_string()).exec(db).await?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound(format!("no {what} with id {id}")));
    }
    Ok(())
}

/// Inserts `model`; a unique-name violation becomes a conflict naming the entity.
pub async fn insert<A, C>(
    db: &C,
    model: A,
    what: &str,
    name: &str,
) -> Result<<A::Entity as EntityTrait>::Model, StoreError>
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
) -> Result<(), StoreError>
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
        return Err(StoreError::VersionConflict(format!(
            "version conflict: the {what} changed since version {expected_version}; reload it and retry"
        )));
    }
    Ok(())
}

/// Refuses an edit whose `version` is not the current one.
pub fn check_version(sent: Option<i32>, current: i32) -> Result<(), StoreError> {
    match sent {
        Some(v) if v != current => Err(StoreError::VersionConflict(format!(
            "version conflict: expected {v}, current {current}; reload and retry"
        ))),
        _ => Ok(()),
    }
}

/// Maps a unique-constraint violation to a conflict, anything else to an internal error.
pub fn unique_conflict(e: DbErr, what: &str, name: &str) -> StoreError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict(format!(
            "a {what} named {name:?} (or differing only in case or '-'/'_') already exists"
        )),
        _ => StoreError::internal(e),
    }
}

/// One page, newest first by `id`, of the rows of `E` whose `equal` columns
/// hold the given values (absent: any) and whose `at` column lies in
/// `[since, until)`, with how many match: the shape of the history and audit lists.
pub async fn recent_page<E, C>(
    db: &C,
    equal: &[(E::Column, Option<&str>)],
    at: (E::Column, Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>),
    id: E::Column,
    skip: u64,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let mut cond = sea_orm::Condition::all();
    for (col, value) in equal {
        if let Some(v) = value {
            cond = cond.add(col.eq(*v));
        }
    }
    recent_page_where::<E, C>(db, cond, at, id, skip, limit).await
}

/// [`recent_page`] with any condition in place of the equal columns (the request log's filters).
pub async fn recent_page_where<E, C>(
    db: &C,
    cond: sea_orm::Condition,
    (at, since, until): (E::Column, Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>),
    id: E::Column,
    skip: u64,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let mut q = E::find().filter(cond);
    if let Some(t) = since {
        q = q.filter(at.gte(t));
    }
    if let Some(t) = until {
        q = q.filter(at.lt(t));
    }
    let total = q.clone().count(db).await?;
    Ok((q.order_by_desc(id).offset(skip).limit(limit).all(db).await?, total))
}

/// Decodes a JSON column into its typed form (columns are written by us, so a
/// failure is a fault of ours).
pub fn column<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(v.clone()).map_err(StoreError::internal)
}

/// Encodes a typed value for a JSON column.
pub fn to_column<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("our types always serialize")
}
