//! The administrator account (one row, fixed id) and its sessions.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::StoreError;
use super::entities::{admin, session};

/// The administrator as stored.
#[derive(Debug, Clone)]
pub struct StoredAdmin {
    /// Fixed id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

fn from_model(m: admin::Model) -> StoredAdmin {
    StoredAdmin { id: m.id, username: m.username, password_hash: m.password_hash }
}

/// How many admins exist (0 or 1).
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(admin::Entity::find().count(db).await?)
}

/// The admin, if one exists.
pub async fn find(db: &impl ConnectionTrait) -> Result<Option<StoredAdmin>, StoreError> {
    Ok(admin::Entity::find().one(db).await?.map(from_model))
}

/// The admin with `id`, if it exists.
pub async fn get(db: &impl ConnectionTrait, id: &str) -> Result<Option<StoredAdmin>, StoreError> {
    Ok(admin::Entity::find_by_id(id.to_string()).one(db).await?.map(from_model))
}

/// Creates the admin; a conflict when one exists.
pub async fn create(
    db: &impl ConnectionTrait,
    id: &str,
    username: &str,
    password_hash: String,
) -> Result<StoredAdmin, StoreError> {
    let now = Utc::now();
    let row = admin::ActiveModel {
        id: Set(id.into()),
        username: Set(username.into()),
        password_hash: Set(password_hash),
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db).await.map(from_model).map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            StoreError::Conflict("an admin already exists; log in instead".into())
        }
        _ => StoreError::internal(e),
    })
}

/// Changes the admin's name and/or password hash.
pub async fn update(
    db: &impl ConnectionTrait,
    id: &str,
    username: Option<String>,
    password_hash: Option<String>,
) -> Result<StoredAdmin, StoreError> {
    let row = admin::Entity::find_by_id(id.to_string()).one(db).await?;
    let row = row.ok_or_else(|| StoreError::NotFound("admin no longer exists".into()))?;
    let mut active: admin::ActiveModel = row.into();
    if let Some(name) = username {
        active.username = Set(name);
    }
    if let Some(hash) = password_hash {
        active.password_hash = Set(hash);
    }
    active.updated_at = Set(Utc::now());
    Ok(from_model(active.update(db).await?))
}

/// Stores session `sid` of `admin_id`, valid until `expires_at`.
pub async fn add_session(
    db: &impl ConnectionTrait,
    sid: &str,
    admin_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::ActiveModel {
        id: Set(sid.into()),
        admin_id: Set(admin_id.into()),
        expires_at: Set(expires_at),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// When session `sid` of `admin_id` expires, if it exists.
pub async fn session_expiry(
    db: &impl ConnectionTrait,
    sid: &str,
    admin_id: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row = session::Entity::find_by_id(sid.to_string())
        .filter(session::Column::AdminId.eq(admin_id.to_string()))
        .one(db)
        .await?;
    Ok(row.map(|s| s.expires_at))
}

/// Ends one session.
pub async fn end_session(db: &impl ConnectionTrait, sid: &str) -> Result<(), StoreError> {
    session::Entity::delete_by_id(sid.to_string()).exec(db).await?;
    Ok(())
}

/// Ends every session of an admin.
pub async fn end_sessions(db: &impl ConnectionTrait, admin_id: &str) -> Result<(), StoreError> {
    session::Entity::delete_many().filter(session::Column::AdminId.eq(admin_id)).exec(db).await?;
    Ok(())
}
