//! Admin authentication: the account, passwords, sessions, the login limiter
//! and the guard in front of protected routes. The routes are in `api::auth`.

pub mod client_ip;
pub mod guard;
/// The one `jsonwebtoken` crypto provider lives in the runtime library (it verifies access tokens too).
pub use mcp_runtime::jwt::provider as jwt_provider;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod totp;

use shared_model::Problems;

pub use guard::Admin;

use crate::storage::admins::{self, StoredAdmin};
use crate::storage::{Conn, StoreError};

/// Quarry has a single administrator; a fixed id makes "only one" a key constraint.
pub const ADMIN_ID: &str = "00000000-0000-4000-8000-000000000001";

/// Why an authentication step failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No valid session or credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but the proof for this step is wrong.
    #[error("{0}")]
    Forbidden(String),
    /// Hashing a password failed.
    #[error("password hashing failed")]
    Hashing(#[source] anyhow::Error),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Problems> for AuthError {
    fn from(p: Problems) -> Self {
        AuthError::Store(StoreError::Invalid(p))
    }
}

/// Longest login name, in characters.
pub const MAX_USERNAME_LEN: usize = 255;

/// A login name, trimmed, or the problem with it.
pub fn check_username(name: &str) -> Result<String, Problems> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_USERNAME_LEN {
        return Err(Problems::one("username", format!("must be 1–{MAX_USERNAME_LEN} characters")));
    }
    Ok(name.to_string())
}

/// Creates the admin; a conflict if one exists.
pub async fn create_admin(db: &impl Conn, username: &str, password: &str) -> Result<StoredAdmin, AuthError> {
    let username = check_username(username)?;
    password::check_new("password", password)?;
    let hash = password::hash(password.to_string()).await?;
    Ok(admins::create(db, ADMIN_ID, &username, hash).await?)
}

/// Sets a new password from the shell and ends every session.
pub async fn reset_password(db: &impl Conn, username: Option<&str>, password: &str) -> anyhow::Result<String> {
    password::check_new("password", password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name = match admins::find(db).await? {
        Some(a) => {
            let new_name = username.map(check_username).transpose().map_err(|e| anyhow::anyhow!("{e}"))?;
            let hash = password::hash(password.to_string()).await?;
            admins::update(db, &a.id, new_name, Some(hash)).await?.username
        }
        None => {
            let u = username.ok_or_else(|| anyhow::anyhow!("no admin exists yet; pass --username to create one"))?;
            create_admin(db, u, password).await?.username
        }
    };
    admins::end_sessions(db, ADMIN_ID).await?;
    Ok(name)
}

/// Turns two-factor login off from the shell (a lost authenticator and no
/// recovery codes) and ends every session. The name of the admin, or an error
/// when there is none.
pub async fn disable_two_factor(db: &crate::storage::Db) -> anyhow::Result<(String, bool)> {
    let admin = admins::find(db).await?.ok_or_else(|| anyhow::anyhow!("no admin exists yet"))?;
    let was_on = crate::storage::two_factor::is_enabled(db, &admin.id).await?;
    let actor = crate::model::Actor::System;
    let w = crate::storage::Write::begin(db, &actor).await?;
    totp::disable(w.tx(), &admin.id).await?;
    admins::end_sessions(w.tx(), &admin.id).await?;
    w.commit().await?;
    Ok((admin.username, was_on))
}
