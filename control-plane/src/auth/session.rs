//! Session tokens: a signed JWT naming a server-side session row, carried in
//! an httpOnly, SameSite=Lax cookie. Logging out or changing the password
//! deletes rows, which revokes tokens that are still within their expiry.

use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AuthError;
use crate::storage::{Conn, admins};

/// Name of the session cookie.
pub const COOKIE: &str = "quarry_session";
/// How long a session lasts.
pub const LIFETIME_HOURS: i64 = 24;

#[derive(Serialize, Deserialize)]
struct Claims {
    /// Admin id.
    sub: String,
    /// Session id.
    sid: String,
    exp: i64,
    iat: i64,
}

/// Signs and checks session tokens.
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    secure: bool,
}

impl SessionKeys {
    /// Keys from the signing secret; `secure` adds the cookie's `Secure` flag.
    pub fn new(secret: &[u8], secure: bool) -> Self {
        super::jwt_provider::install();
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), secure }
    }

    /// Creates a session row for `admin_id` and returns its cookie.
    pub async fn issue(&self, db: &impl Conn, admin_id: &str) -> Result<Cookie<'static>, AuthError> {
        let now = Utc::now();
        let expires = now + Duration::hours(LIFETIME_HOURS);
        let sid = uuid::Uuid::new_v4().to_string();
        admins::add_session(db, &sid, admin_id, expires).await?;
        let claims = Claims { sub: admin_id.to_string(), sid, exp: expires.timestamp(), iat: now.timestamp() };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AuthError::Hashing(e.into()))?;
        Ok(self.cookie(token, time::Duration::hours(LIFETIME_HOURS)))
    }

    /// A cookie that tells the browser to forget the session.
    pub fn removal(&self) -> Cookie<'static> {
        self.cookie(String::new(), time::Duration::ZERO)
    }

    fn cookie(&self, value: String, max_age: time::Duration) -> Cookie<'static> {
        Cookie::build((COOKIE, value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .path("/")
            .max_age(max_age)
            .build()
    }

    /// The admin id of a valid, unrevoked, unexpired session token.
    pub async fn verify(&self, db: &impl Conn, token: &str) -> Result<(String, String), AuthError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| AuthError::Unauthorized("session expired or invalid; log in again".into()))?
            .claims;
        match admins::session_expiry(db, &claims.sid, &claims.sub).await? {
            Some(expires_at) if expires_at > Utc::now() => Ok((claims.sub, claims.sid)),
            _ => Err(AuthError::Unauthorized("session was ended; log in again".into())),
        }
    }
}
