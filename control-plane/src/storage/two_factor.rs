//! Two-factor login state of the admin: the sealed TOTP secret and its last
//! accepted step, the hashed recovery codes, and pending-login challenges.
//! Single use is enforced here with conditional updates and deletes whose
//! affected-row count decides, so two racing requests cannot both succeed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use super::StoreError;
use super::entities::{admin_totp, login_challenge, recovery_code};

/// Open pending logins kept per admin; older ones are dropped.
pub const MAX_PENDING_LOGINS: usize = 10;

/// The admin's TOTP record as stored.
#[derive(Debug, Clone)]
pub struct StoredTotp {
    /// The base32 secret, still encrypted with the store keyring.
    pub secret_encrypted: String,
    /// Whether the second factor is required at login.
    pub enabled: bool,
    /// The last accepted time step.
    pub last_step: Option<i64>,
}

/// The TOTP record of `admin_id`, if setup was ever started.
pub async fn get(db: &impl ConnectionTrait, admin_id: &str) -> Result<Option<StoredTotp>, StoreError> {
    let row = admin_totp::Entity::find_by_id(admin_id.to_string()).one(db).await?;
    Ok(row.map(|r| StoredTotp { secret_encrypted: r.secret_encrypted, enabled: r.enabled, last_step: r.last_step }))
}

/// Whether two-factor login is on for `admin_id`.
pub async fn is_enabled(db: &impl ConnectionTrait, admin_id: &str) -> Result<bool, StoreError> {
    Ok(get(db, admin_id).await?.is_some_and(|t| t.enabled))
}

/// Stores a new, not yet enabled secret and its recovery codes, replacing an
/// unfinished setup. A conflict when two-factor login is already on.
pub async fn begin_setup(
    db: &impl ConnectionTrait,
    admin_id: &str,
    secret_encrypted: String,
    code_hashes: &[String],
) -> Result<(), StoreError> {
    if is_enabled(db, admin_id).await? {
        return Err(StoreError::Conflict(
            "two-factor login is already on; disable it first to set up a new key".into(),
        ));
    }
    admin_totp::Entity::delete_by_id(admin_id.to_string()).exec(db).await?;
    let now = Utc::now();
    admin_totp::ActiveModel {
        admin_id: Set(admin_id.into()),
        secret_encrypted: Set(secret_encrypted),
        enabled: Set(false),
        last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    replace_recovery_codes(db, admin_id, code_hashes).await
}

/// Turns two-factor login on, recording `step` as used. False when there is
/// no pending setup (none started, or already enabled).
pub async fn enable(db: &impl ConnectionTrait, admin_id: &str, step: i64) -> Result<bool, StoreError> {
    let res = admin_totp::Entity::update_many()
        .col_expr(admin_totp::Column::Enabled, Expr::value(true))
        .col_expr(admin_totp::Column::LastStep, Expr::value(step))
        .col_expr(admin_totp::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(admin_totp::Column::AdminId.eq(admin_id))
        .filter(admin_totp::Column::Enabled.eq(false))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records `step` as used when it is newer than the last accepted one; false
/// when it is not (a replayed or older code).
pub async fn accept_step(db: &impl ConnectionTrait, admin_id: &str, step: i64) -> Result<bool, StoreError> {
    let res = admin_totp::Entity::update_many()
        .col_expr(admin_totp::Column::LastStep, Expr::value(step))
        .col_expr(admin_totp::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(admin_totp::Column::AdminId.eq(admin_id))
        .filter(Condition::any().add(admin_totp::Column::LastStep.is_null()).add(admin_totp::Column::LastStep.lt(step)))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Turns two-factor login off: the secret, the recovery codes and pending
/// logins are deleted.
pub async fn remove(db: &impl ConnectionTrait, admin_id: &str) -> Result<(), StoreError> {
    admin_totp::Entity::delete_by_id(admin_id.to_string()).exec(db).await?;
    recovery_code::Entity::delete_many().filter(recovery_code::Column::AdminId.eq(admin_id)).exec(db).await?;
    login_challenge::Entity::delete_many().filter(login_challenge::Column::AdminId.eq(admin_id)).exec(db).await?;
    Ok(())
}

/// Replaces every recovery code of `admin_id` with `code_hashes`.
pub async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    admin_id: &str,
    code_hashes: &[String],
) -> Result<(), StoreError> {
    recovery_code::Entity::delete_many().filter(recovery_code::Column::AdminId.eq(admin_id)).exec(db).await?;
    let now = Utc::now();
    let rows = code_hashes.iter().map(|h| recovery_code::ActiveModel {
        code_hash: Set(h.clone()),
        admin_id: Set(admin_id.into()),
        created_at: Set(now),
    });
    if !code_hashes.is_empty() {
        recovery_code::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Uses up the recovery code with `code_hash`; false when there is none.
pub async fn use_recovery_code(db: &impl ConnectionTrait, admin_id: &str, code_hash: &str) -> Result<bool, StoreError> {
    let res = recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::CodeHash.eq(code_hash))
        .filter(recovery_code::Column::AdminId.eq(admin_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// How many unused recovery codes `admin_id` has.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, admin_id: &str) -> Result<u64, StoreError> {
    Ok(recovery_code::Entity::find().filter(recovery_code::Column::AdminId.eq(admin_id)).count(db).await?)
}

/// Stores a pending login by the hash of its token; expired ones are purged.
pub async fn add_challenge(
    db: &impl ConnectionTrait,
    token_hash: &str,
    admin_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    login_challenge::Entity::delete_many().filter(login_challenge::Column::ExpiresAt.lte(now)).exec(db).await?;
    login_challenge::ActiveModel {
        token_hash: Set(token_hash.into()),
        admin_id: Set(admin_id.into()),
        expires_at: Set(expires_at),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    // Bound the open logins of one admin: beyond the newest few, the oldest go.
    let stale: Vec<String> = login_challenge::Entity::find()
        .filter(login_challenge::Column::AdminId.eq(admin_id))
        .order_by_desc(login_challenge::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .skip(MAX_PENDING_LOGINS)
        .map(|r| r.token_hash)
        .collect();
    if !stale.is_empty() {
        login_challenge::Entity::delete_many().filter(login_challenge::Column::TokenHash.is_in(stale)).exec(db).await?;
    }
    Ok(())
}

/// The admin of an unexpired pending login, without using it up.
pub async fn challenge_admin(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<String>, StoreError> {
    let row = login_challenge::Entity::find_by_id(token_hash.to_string())
        .filter(login_challenge::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?;
    Ok(row.map(|r| r.admin_id))
}

/// Uses up an unexpired pending login; false when it is gone or expired.
pub async fn consume_challenge(db: &impl ConnectionTrait, token_hash: &str) -> Result<bool, StoreError> {
    let res = login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::TokenHash.eq(token_hash))
        .filter(login_challenge::Column::ExpiresAt.gt(Utc::now()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}
