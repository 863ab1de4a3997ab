//! `/auth`: first-run setup, login with rate limiting, logout, and the
//! admin's own account.

use axum::extract::State;
use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::guard::user_agent_of;
use crate::auth::{Admin, MAX_USERNAME_LEN, check_username, create_admin, password, totp};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::model::Actor;
use crate::storage::Write;
use crate::storage::admins::{self, StoredAdmin};
use crate::storage::audit::{self, events};
use crate::storage::two_factor;

/// Routes that work without a session.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth_status))
        .routes(routes!(setup))
        .routes(routes!(login))
        .routes(routes!(logout))
}

/// Routes that need a session.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me, update_me))
}

/// Whether the first admin still has to be created.
#[derive(Serialize, ToSchema)]
pub struct AuthStatus {
    /// True until an admin exists.
    pub setup_required: bool,
    /// True when setup must also carry the one-time `setup_token` printed in
    /// the control plane's log (it listens beyond loopback and no
    /// `QUARRY_ADMIN_*` was given).
    pub setup_token_required: bool,
}

/// The first admin's credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// Login name (1–255 characters).
    pub username: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// The one-time setup token from the control plane's log, when `setup_token_required`.
    #[serde(default)]
    pub setup_token: Option<String>,
}

/// Credentials for setup and login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Login name (1–255 characters).
    pub username: String,
    /// Password (at least 8 characters for setup).
    pub password: String,
}

/// The outcome of a successful setup or login; the session is in the cookie.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// The admin's name.
    pub username: String,
    /// True when the password was right and a code is due: no session was
    /// set; send `pending_token` and the code to `/auth/login/verify-2fa`.
    pub requires_2fa: bool,
    /// Single-use token for the second step, valid for five minutes.
    pub pending_token: Option<String>,
}

/// The current admin.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Login name.
    pub username: String,
    /// Whether two-factor login is on.
    pub totp_enabled: bool,
}

/// A change to the admin's own account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// The current password, required for any change.
    pub current_password: String,
    /// A new login name.
    pub new_username: Option<String>,
    /// A new password (at least 8 characters); ends every other session.
    pub new_password: Option<String>,
}

/// Plain acknowledgement.
#[derive(Serialize, ToSchema)]
pub struct Ok {
    /// Always true.
    pub ok: bool,
}

#[utoipa::path(get, path = "/auth/status", tag = "auth",
    responses((status = 200, description = "Whether setup is needed", body = AuthStatus)))]
async fn auth_status(State(s): State<AppState>) -> ApiResult<AppJson<AuthStatus>> {
    let admins = admins::count(&s.db).await?;
    let setup_required = admins == 0;
    Ok(AppJson(AuthStatus { setup_required, setup_token_required: setup_required && s.setup_token.is_some() }))
}

#[utoipa::path(post, path = "/auth/setup", tag = "auth", request_body = SetupRequest,
    description = "Creates the first admin. When the control plane listens beyond loopback and no `QUARRY_ADMIN_*` \
        was given, `setup_token` must be the one-time token printed in its log (403 otherwise), so that whoever \
        reaches a fresh install first cannot claim it.",
    responses((status = 200, body = LoginResponse), (status = 403, description = "Missing or wrong setup token", body = ErrorBody),
        (status = 409, description = "An admin exists", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn setup(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    AppJson(c): AppJson<SetupRequest>,
) -> ApiResult<(CookieJar, AppJson<LoginResponse>)> {
    // Hashing is the expensive part: a setup that cannot succeed never reaches it.
    if admins::count(&s.db).await? > 0 {
        return Err(ApiError::Conflict("an admin already exists; log in instead".into()));
    }
    if let Some(expected) = &s.setup_token {
        use subtle::ConstantTimeEq;
        let given = c.setup_token.as_deref().unwrap_or_default().trim();
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(ApiError::Forbidden(
                "the setup token is missing or wrong: copy setup_token, the one-time token printed in the control plane's \
                 log at start"
                    .into(),
            ));
        }
    }
    let admin = create_admin(&s.db, &c.username, &c.password).await?;
    let cookie = s.sessions.issue(&s.db, &admin.id).await?;
    let user_agent = user_agent_of(&headers);
    let actor = Actor::Admin { id: admin.id.clone(), address: Some(ip.to_string()), user_agent };
    audit::record(&s.db, &actor, events::SETUP, serde_json::json!({"username": admin.username})).await?;
    Ok((jar.add(cookie), AppJson(LoginResponse { username: admin.username, requires_2fa: false, pending_token: None })))
}

#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, description = "Logged in, or with 2FA on: `requires_2fa` and a `pending_token`", body = LoginResponse),
        (status = 401, body = ErrorBody), (status = 422, description = "The username is too long", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody)))]
async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    AppJson(c): AppJson<Credentials>,
) -> ApiResult<(CookieJar, AppJson<LoginResponse>)> {
    // No name can be longer than this, so such an attempt is refused before
    // it costs a limiter entry, a store read or a hash.
    if c.username.chars().count() > MAX_USERNAME_LEN {
        let problem = format!("must be at most {MAX_USERNAME_LEN} characters");
        return Err(shared_model::Problems::one("username", problem).into());
    }
    let address = Some(ip.to_string());
    let user_agent = user_agent_of(&headers);
    // The failure is counted before the hash runs (and refunded on success),
    // so parallel guesses cannot all slip past the limit while hashing.
    let reservation = s.limiter.reserve(ip, &c.username).map_err(ApiError::RateLimited)?;
    let row = admins::find(&s.db).await?;
    let matched = match &row {
        Some(a) if a.username == c.username => password::verify(c.password, a.password_hash.clone()).await,
        _ => false,
    };
    let admin = match (matched, row) {
        (true, Some(a)) => a,
        _ => {
            drop(reservation);
            let tried = c.username;
            let visitor = Actor::Visitor { address, user_agent };
            audit::record(&s.db, &visitor, events::LOGIN_FAILED, serde_json::json!({"username": tried})).await?;
            return Err(ApiError::Unauthorized("wrong username or password".into()));
        }
    };
    if two_factor::is_enabled(&s.db, &admin.id).await? {
        // The password was right but the second factor is due: no session yet, and the
        // failures counted so far stay until the code step succeeds.
        reservation.refund();
        let actor = Actor::Admin { id: admin.id.clone(), address, user_agent };
        let w = Write::begin(&s.db, &actor).await?;
        let pending_token = totp::start_login(w.tx(), &admin.id).await?;
        w.commit().await?;
        let body = LoginResponse { username: admin.username, requires_2fa: true, pending_token: Some(pending_token) };
        return Ok((jar, AppJson(body)));
    }
    reservation.refund();
    s.limiter.clear(ip, &c.username);
    let cookie = s.sessions.issue(&s.db, &admin.id).await?;
    let actor = Actor::Admin { id: admin.id.clone(), address, user_agent };
    audit::record(&s.db, &actor, events::LOGIN, serde_json::json!({"username": admin.username})).await?;
    Ok((jar.add(cookie), AppJson(LoginResponse { username: admin.username, requires_2fa: false, pending_token: None })))
}

#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 200, body = Ok)))]
async fn logout(State(s): State<AppState>, jar: CookieJar) -> ApiResult<(CookieJar, AppJson<Ok>)> {
    if let Some(token) = jar.get(crate::auth::session::COOKIE).map(|c| c.value().to_string())
        && let Ok((admin_id, sid)) = s.sessions.verify(&s.db, &token).await
    {
        admins::end_session(&s.db, &sid).await?;
        audit::record(&s.db, &Actor::admin(admin_id), events::LOGOUT, serde_json::json!({})).await?;
    }
    Ok((jar.add(s.sessions.removal()), AppJson(Ok { ok: true })))
}

async fn load_admin(s: &AppState, admin: &Admin) -> Result<StoredAdmin, ApiError> {
    admins::get(&s.db, &admin.id).await?.ok_or_else(|| ApiError::Unauthorized("admin no longer exists".into()))
}

#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(admin: Admin, State(s): State<AppState>) -> ApiResult<AppJson<Me>> {
    let row = load_admin(&s, &admin).await?;
    let totp_enabled = two_factor::is_enabled(&s.db, &admin.id).await?;
    Ok(AppJson(Me { username: row.username, totp_enabled }))
}

#[utoipa::path(patch, path = "/auth/me", tag = "auth", security(("session" = [])), request_body = UpdateMe,
    responses((status = 200, body = Me), (status = 403, description = "Wrong current password", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn update_me(
    admin: Admin,
    State(s): State<AppState>,
    jar: CookieJar,
    AppJson(u): AppJson<UpdateMe>,
) -> ApiResult<(CookieJar, AppJson<Me>)> {
    let row = load_admin(&s, &admin).await?;
    if !password::verify(u.current_password, row.password_hash.clone()).await {
        return Err(ApiError::Forbidden("current_password is wrong".into()));
    }
    let new_username = u.new_username.as_deref().map(check_username).transpose()?;
    if let Some(p) = &u.new_password {
        password::check_new("new_password", p)?;
    }
    let new_hash = match u.new_password {
        Some(p) => Some(password::hash(p).await?),
        None => None,
    };
    let password_changed = new_hash.is_some();
    let actor = admin.actor();
    let w = Write::begin(&s.db, &actor).await?;
    let saved = admins::update(w.tx(), &admin.id, new_username, new_hash).await?;
    let jar = if password_changed {
        // A new password ends every session, this one included; the caller gets a fresh one.
        admins::end_sessions(w.tx(), &admin.id).await?;
        jar.add(s.sessions.issue(w.tx(), &admin.id).await?)
    } else {
        jar
    };
    let totp_enabled = two_factor::is_enabled(w.tx(), &admin.id).await?;
    w.commit().await?;
    Ok((jar, AppJson(Me { username: saved.username, totp_enabled })))
}
