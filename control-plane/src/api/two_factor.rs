//! `/auth/2fa/*` and `/auth/login/verify-2fa`: two-factor login with an
//! authenticator app (TOTP) and recovery codes. The logic is in `auth::totp`;
//! every failed proof counts toward the login limiter under the admin's name.

use std::net::IpAddr;

use axum::extract::State;
use axum::http::HeaderMap;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::LoginResponse;
use crate::app::AppState;
use crate::auth::client_ip::ClientIp;
use crate::auth::guard::user_agent_of;
use crate::auth::totp::{self, Proof};
use crate::auth::{Admin, password};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::model::Actor;
use crate::storage::Write;
use crate::storage::admins::{self, StoredAdmin};
use crate::storage::audit::{self, events};

/// Routes that work without a session.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login_verify_2fa))
}

/// Routes that need a session.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(two_factor_status))
        .routes(routes!(two_factor_setup))
        .routes(routes!(two_factor_verify_setup))
        .routes(routes!(two_factor_disable))
        .routes(routes!(two_factor_regenerate_recovery))
}

/// The second step of a login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyLogin {
    /// The `pending_token` returned by `POST /auth/login`.
    pub pending_token: String,
    /// The 6-digit code from the authenticator app, or a recovery code.
    pub code: String,
    /// True when `code` is a recovery code.
    #[serde(default)]
    pub is_recovery: bool,
}

/// What to enrol in an authenticator app. Shown once; 2FA is not on until `verify-setup`.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// The base32 secret, for typing into an app.
    pub secret: String,
    /// The `otpauth://totp/...` URI.
    pub otpauth_uri: String,
    /// The URI as a QR code (an SVG `data:` URI, usable as an image source).
    pub qr_data_uri: String,
    /// Single-use recovery codes; store them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    /// The current 6-digit code.
    pub code: String,
}

/// The proofs a sensitive 2FA change needs: the password and a current code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordAndCode {
    /// The admin's password.
    pub current_password: String,
    /// The current 6-digit code, or a recovery code with `is_recovery`.
    pub code: String,
    /// True when `code` is a recovery code (it is used up).
    #[serde(default)]
    pub is_recovery: bool,
}

/// Acknowledgement of a 2FA change.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorChanged {
    /// Always true.
    pub ok: bool,
    /// What changed.
    pub message: String,
}

/// New recovery codes; the previous ones no longer work.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Single-use recovery codes; shown once.
    pub recovery_codes: Vec<String>,
}

/// Whether 2FA is on.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorStatus {
    /// Whether login asks for a code.
    pub enabled: bool,
    /// Unused recovery codes (0 when 2FA is off).
    pub recovery_codes_remaining: u64,
    /// The same count under the name the product Quarry replaces used, so its clients keep working.
    pub remaining_recovery_codes: u64,
}

async fn load_admin(s: &AppState, id: &str) -> Result<StoredAdmin, ApiError> {
    admins::get(&s.db, id).await?.ok_or_else(|| ApiError::Unauthorized("admin no longer exists".into()))
}

/// Runs a proof check, counting a refusal (or a malformed code) as a failed
/// attempt of `username` from `ip`.
fn counted<T>(s: &AppState, ip: IpAddr, username: &str, r: Result<T, ApiError>) -> Result<T, ApiError> {
    if let Err(ApiError::Unauthorized(_) | ApiError::Forbidden(_) | ApiError::Invalid(_)) = &r {
        s.limiter.record_failure(ip, username);
    }
    r
}

fn accepted(proof: Proof, refuse: fn(String) -> ApiError) -> Result<(), ApiError> {
    match proof {
        Proof::Accepted => Ok(()),
        other => Err(refuse(other.refusal().to_string())),
    }
}

#[utoipa::path(post, path = "/auth/login/verify-2fa", tag = "auth", request_body = VerifyLogin,
    responses((status = 200, description = "Logged in; the session is in the cookie", body = LoginResponse),
        (status = 401, description = "Wrong or used code, or an unknown, used or expired pending token", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody)))]
async fn login_verify_2fa(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    AppJson(b): AppJson<VerifyLogin>,
) -> ApiResult<(CookieJar, AppJson<LoginResponse>)> {
    let admin_id = totp::pending_login_admin(&s.db, &b.pending_token).await?;
    let admin = load_admin(&s, &admin_id).await?;
    s.limiter.check(ip, &admin.username).map_err(ApiError::RateLimited)?;
    let actor =
        Actor::Admin { id: admin.id.clone(), address: Some(ip.to_string()), user_agent: user_agent_of(&headers) };
    let w = Write::begin(&s.db, &actor).await?;
    let proof = totp::verify(w.tx(), &s.keyring, &admin.id, &b.code, b.is_recovery).await.map_err(ApiError::from);
    counted(&s, ip, &admin.username, proof.and_then(|p| accepted(p, ApiError::Unauthorized)))?;
    totp::finish_login(w.tx(), &b.pending_token).await?;
    let cookie = s.sessions.issue(w.tx(), &admin.id).await?;
    let detail = serde_json::json!({"username": admin.username, "second_factor": if b.is_recovery { "recovery_code" } else { "totp" }});
    audit::record(w.tx(), &actor, events::LOGIN, detail).await?;
    w.commit().await?;
    s.limiter.clear(ip, &admin.username);
    Ok((jar.add(cookie), AppJson(LoginResponse { username: admin.username, requires_2fa: false, pending_token: None })))
}

#[utoipa::path(get, path = "/auth/2fa/status", tag = "auth", security(("session" = [])),
    responses((status = 200, body = TwoFactorStatus), (status = 401, body = ErrorBody)))]
async fn two_factor_status(admin: Admin, State(s): State<AppState>) -> ApiResult<AppJson<TwoFactorStatus>> {
    let st = totp::status(&s.db, &admin.id).await?;
    Ok(AppJson(TwoFactorStatus {
        enabled: st.enabled,
        recovery_codes_remaining: st.recovery_codes_left,
        remaining_recovery_codes: st.recovery_codes_left,
    }))
}

#[utoipa::path(post, path = "/auth/2fa/setup", tag = "auth", security(("session" = [])),
    responses((status = 200, description = "A new secret; 2FA stays off until verify-setup", body = TwoFactorSetup),
        (status = 409, description = "2FA is already on", body = ErrorBody)))]
async fn two_factor_setup(admin: Admin, State(s): State<AppState>) -> ApiResult<AppJson<TwoFactorSetup>> {
    let row = load_admin(&s, &admin.id).await?;
    let actor = admin.actor();
    let w = Write::begin(&s.db, &actor).await?;
    let e = totp::begin_setup(w.tx(), &s.keyring, &admin.id, &row.username).await?;
    w.commit().await?;
    Ok(AppJson(TwoFactorSetup {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
        qr_data_uri: e.qr_data_uri,
        recovery_codes: e.recovery_codes,
    }))
}

#[utoipa::path(post, path = "/auth/2fa/verify-setup", tag = "auth", security(("session" = [])), request_body = CodeInput,
    responses((status = 200, description = "2FA is on", body = TwoFactorChanged),
        (status = 403, description = "Wrong code", body = ErrorBody),
        (status = 409, description = "Setup not started, or 2FA already on", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn two_factor_verify_setup(
    admin: Admin,
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(b): AppJson<CodeInput>,
) -> ApiResult<AppJson<TwoFactorChanged>> {
    let row = load_admin(&s, &admin.id).await?;
    s.limiter.check(ip, &row.username).map_err(ApiError::RateLimited)?;
    let actor = admin.actor();
    let w = Write::begin(&s.db, &actor).await?;
    let proof = totp::confirm_setup(w.tx(), &s.keyring, &admin.id, &b.code).await.map_err(ApiError::from);
    counted(&s, ip, &row.username, proof.and_then(|p| accepted(p, ApiError::Forbidden)))?;
    audit::record(w.tx(), &actor, events::TWO_FACTOR_ENABLED, serde_json::json!({})).await?;
    w.commit().await?;
    Ok(AppJson(TwoFactorChanged { ok: true, message: "two-factor login is on".into() }))
}

/// Checks the password, outside any write: on SQLite a write holds the store's write lock, and argon2 takes
/// long enough that other writes would time out behind it. Counted before the hash runs, refunded when the
/// password is right (as at login).
async fn check_password(s: &AppState, ip: IpAddr, row: &StoredAdmin, b: &PasswordAndCode) -> Result<(), ApiError> {
    let reservation = s.limiter.reserve(ip, &row.username).map_err(ApiError::RateLimited)?;
    if !password::verify(b.current_password.clone(), row.password_hash.clone()).await {
        drop(reservation);
        return Err(ApiError::Forbidden("current_password is wrong".into()));
    }
    reservation.refund();
    Ok(())
}

/// The code half of [`check_password`]'s pair, inside the write (a code is used up with it).
async fn check_code(
    s: &AppState,
    w: &Write<'_>,
    ip: IpAddr,
    row: &StoredAdmin,
    b: PasswordAndCode,
) -> Result<(), ApiError> {
    let proof = totp::verify(w.tx(), &s.keyring, &row.id, &b.code, b.is_recovery).await.map_err(ApiError::from);
    counted(s, ip, &row.username, proof.and_then(|p| accepted(p, ApiError::Forbidden)))
}

#[utoipa::path(post, path = "/auth/2fa/disable", tag = "auth", security(("session" = [])), request_body = PasswordAndCode,
    responses((status = 200, description = "2FA is off", body = TwoFactorChanged),
        (status = 403, description = "Wrong password or code", body = ErrorBody),
        (status = 409, description = "2FA is not on", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn two_factor_disable(
    admin: Admin,
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(b): AppJson<PasswordAndCode>,
) -> ApiResult<AppJson<TwoFactorChanged>> {
    let row = load_admin(&s, &admin.id).await?;
    // The password first, outside the write: on SQLite a write holds the store's write lock,
    // and argon2 takes long enough that other writes timed out behind it (500s under load).
    check_password(&s, ip, &row, &b).await?;
    let actor = admin.actor();
    let w = Write::begin(&s.db, &actor).await?;
    check_code(&s, &w, ip, &row, b).await?;
    totp::disable(w.tx(), &admin.id).await?;
    audit::record(w.tx(), &actor, events::TWO_FACTOR_DISABLED, serde_json::json!({})).await?;
    w.commit().await?;
    Ok(AppJson(TwoFactorChanged { ok: true, message: "two-factor login is off".into() }))
}

#[utoipa::path(post, path = "/auth/2fa/regenerate-recovery", tag = "auth", security(("session" = [])),
    request_body = PasswordAndCode,
    responses((status = 200, description = "New codes; the old ones no longer work", body = RecoveryCodes),
        (status = 403, description = "Wrong password or code", body = ErrorBody),
        (status = 409, description = "2FA is not on", body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn two_factor_regenerate_recovery(
    admin: Admin,
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    AppJson(b): AppJson<PasswordAndCode>,
) -> ApiResult<AppJson<RecoveryCodes>> {
    let row = load_admin(&s, &admin.id).await?;
    // The password first, outside the write: on SQLite a write holds the store's write lock,
    // and argon2 takes long enough that other writes timed out behind it (500s under load).
    check_password(&s, ip, &row, &b).await?;
    let actor = admin.actor();
    let w = Write::begin(&s.db, &actor).await?;
    check_code(&s, &w, ip, &row, b).await?;
    let codes = totp::regenerate_recovery_codes(w.tx(), &admin.id).await?;
    audit::record(w.tx(), &actor, events::RECOVERY_CODES_REGENERATED, serde_json::json!({})).await?;
    w.commit().await?;
    Ok(AppJson(RecoveryCodes { recovery_codes: codes }))
}
