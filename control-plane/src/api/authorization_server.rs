//! `/authorization-server`, `/oauth-grants` and `/oauth-consent`: Quarry as
//! the authorization server of MCP clients (`crate::oauth`). The settings and
//! the grant list need an admin session; the consent endpoints serve the
//! consent page of the browser that started an authorization request (bound
//! by its cookie), signed in as the admin or through the upstream provider.

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page::Page;
use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, AppJson};
use crate::oauth::authorize::{admin_identity, decide, mcp_resource, request_of_browser};
use crate::oauth::settings::ClaimMapping;
use crate::storage::authorization::{self, Identity, OAuthGrant, StoredSettings};
use crate::storage::write;

/// Routes that need an admin session.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_authorization_server, patch_authorization_server))
        .routes(routes!(list_oauth_grants))
        .routes(routes!(revoke_oauth_grant))
}

/// The consent page's routes (no admin session required).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_consent, decide_consent))
}

/// The upstream provider as shown: the secret never, only whether one is set.
#[derive(Serialize, ToSchema)]
pub struct UpstreamView {
    /// The issuer URL.
    pub issuer: String,
    /// Quarry's client id at the provider.
    pub client_id: String,
    /// Whether a client secret is stored (write-only: send `client_secret` to set it, `null` to remove it).
    pub client_secret_set: bool,
    /// Scopes asked of the provider.
    pub scopes: String,
    /// Claims that grant scopes.
    pub claim_mappings: Vec<ClaimMapping>,
    /// Shown on the sign-in button.
    pub display_name: Option<String>,
}

/// The authorization server's settings, and the URLs to configure elsewhere.
#[derive(Serialize, ToSchema)]
pub struct AuthorizationServerView {
    /// Whether MCP clients may obtain tokens here. Default off.
    pub enabled: bool,
    /// Whether RFC 7591 dynamic registration is open. Default on.
    pub dynamic_registration: bool,
    /// Whether the admin account may sign in on the consent page. Default on.
    pub admin_login: bool,
    /// Access-token lifetime, seconds.
    pub access_token_ttl_seconds: u32,
    /// Refresh-token lifetime, days.
    pub refresh_token_ttl_days: u32,
    /// The upstream OpenID Connect provider, if any.
    pub upstream: Option<UpstreamView>,
    /// Scopes every signed-in user may be granted.
    pub default_scopes: Vec<String>,
    /// This server's issuer (the runtimes trust it): the control plane's public URL.
    pub issuer: String,
    /// The MCP resource tokens are issued for (the audience).
    pub resource: String,
    /// The redirect URI to register at the upstream provider.
    pub upstream_callback_url: String,
}

async fn view(s: &AppState, stored: StoredSettings) -> ApiResult<AuthorizationServerView> {
    let issuer = crate::oauth::realm(s).issuer;
    let c = stored.settings;
    Ok(AuthorizationServerView {
        enabled: c.enabled,
        dynamic_registration: c.dynamic_registration,
        admin_login: c.admin_login,
        access_token_ttl_seconds: c.access_token_ttl_seconds,
        refresh_token_ttl_days: c.refresh_token_ttl_days,
        upstream: c.upstream.map(|u| UpstreamView {
            issuer: u.issuer,
            client_id: u.client_id,
            client_secret_set: stored.upstream_client_secret.is_some(),
            scopes: u.scopes,
            claim_mappings: u.claim_mappings,
            display_name: u.display_name,
        }),
        default_scopes: c.default_scopes,
        resource: mcp_resource(s).await?,
        upstream_callback_url: format!("{issuer}{}", crate::oauth::upstream::CALLBACK_PATH),
        issuer,
    })
}

#[utoipa::path(get, path = "/authorization-server", tag = "authorization-server", security(("session" = [])),
    responses((status = 200, body = AuthorizationServerView), (status = 401, body = ErrorBody)))]
async fn get_authorization_server(State(s): State<AppState>) -> ApiResult<AppJson<AuthorizationServerView>> {
    let stored = authorization::load(&s.db).await?;
    Ok(AppJson(view(&s, stored).await?))
}

#[utoipa::path(patch, path = "/authorization-server", tag = "authorization-server", security(("session" = [])),
    request_body(content = Object, description = "Any subset of the settings. `upstream` is replaced whole (or \
        removed with `null`); its `client_secret` is write-only: absent keeps the stored one, a string replaces it, \
        `null` removes it."),
    responses((status = 200, body = AuthorizationServerView), (status = 401, body = ErrorBody),
        (status = 422, description = "Every problem, with its path", body = ErrorBody)))]
async fn patch_authorization_server(
    admin: Admin,
    State(s): State<AppState>,
    AppJson(patch): AppJson<Map<String, Value>>,
) -> ApiResult<AppJson<AuthorizationServerView>> {
    let keyring = s.keyring.clone();
    let stored =
        write(&s.db, &admin.actor(), |w| Box::pin(async move { authorization::update(w, patch, &keyring).await }))
            .await?;
    Ok(AppJson(view(&s, stored).await?))
}

#[utoipa::path(get, path = "/oauth-grants", tag = "authorization-server", security(("session" = [])),
    description = "The grants users gave MCP clients and that are not revoked, newest first.",
    responses((status = 200, body = Page<OAuthGrant>), (status = 401, body = ErrorBody)))]
async fn list_oauth_grants(State(s): State<AppState>) -> ApiResult<AppJson<Page<OAuthGrant>>> {
    let items = authorization::list_grants(&s.db).await?;
    Ok(AppJson(Page { total: items.len() as u64, items }))
}

#[utoipa::path(delete, path = "/oauth-grants/{id}", tag = "authorization-server", params(("id" = String, Path)),
    security(("session" = [])),
    description = "Revokes a grant: its refresh tokens stop working at once; access tokens already issued under it \
        are checked offline by the runtimes and stop working when they expire (at most the access-token lifetime).",
    responses((status = 204, description = "Revoked"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_oauth_grant(
    admin: Admin,
    State(s): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    write(&s.db, &admin.actor(), |w| Box::pin(async move { authorization::revoke_grant(w, &id).await })).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in on the consent page.
#[derive(Serialize, ToSchema)]
pub struct ConsentUser {
    /// `admin`, or the provider's subject.
    pub subject: String,
    /// The email, when known.
    pub email: Option<String>,
    /// The display name (`name`, else `preferred_username`), when known.
    pub name: Option<String>,
    /// `admin` or `upstream`.
    pub via: String,
}

/// What the consent page shows.
#[derive(Serialize, ToSchema)]
pub struct ConsentRequest {
    /// The request's id.
    pub id: String,
    /// The client's `client_id` (for a metadata-document client, its URL).
    pub client_id: String,
    /// The client's name (as the client states it).
    pub client_name: String,
    /// The host the client is identified by (its metadata document's host, else its redirect URI's).
    pub client_host: String,
    /// Where the browser returns.
    pub redirect_uri: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The MCP resource the token is for.
    pub resource: String,
    /// Whether the admin account may sign in here.
    pub admin_login: bool,
    /// The upstream provider's sign-in, when configured: its button label.
    pub upstream_name: Option<String>,
    /// The URL that starts the upstream sign-in.
    pub upstream_start_url: Option<String>,
    /// Who is signed in, if anyone.
    pub signed_in: Option<ConsentUser>,
    /// When the request expires.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// The decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentDecision {
    /// `true` to allow, `false` to deny.
    pub approve: bool,
}

/// Where the browser goes next.
#[derive(Serialize, ToSchema)]
pub struct ConsentRedirect {
    /// The client's redirect URI with the code (or the error), `state` and `iss`.
    pub redirect_to: String,
}

fn gone() -> ApiError {
    ApiError::NotFound(
        "this authorization request is unknown, expired or was started in another browser; start again from your \
         application"
            .into(),
    )
}

/// The signed-in identity for a request: the upstream one stored on it, or
/// the admin session's when admin sign-in is allowed.
async fn identity_of(
    s: &AppState,
    jar: &CookieJar,
    request: &authorization::AuthorizationRequest,
    settings: &crate::oauth::settings::AuthorizationServerSettings,
) -> ApiResult<Option<Identity>> {
    if let Some(i) = &request.identity {
        return Ok(Some(i.clone()));
    }
    if !settings.admin_login {
        return Ok(None);
    }
    let Some(token) = jar.get(crate::auth::session::COOKIE).map(|c| c.value().to_string()).filter(|v| !v.is_empty())
    else {
        return Ok(None);
    };
    if s.sessions.verify(&s.db, &token).await.is_err() {
        return Ok(None);
    }
    let name = crate::storage::admins::find(&s.db).await?.map(|a| a.username).unwrap_or_else(|| "admin".into());
    Ok(Some(admin_identity(&name, settings)))
}

#[utoipa::path(get, path = "/oauth-consent/{id}", tag = "authorization-server", params(("id" = String, Path)),
    description = "The pending authorization request `id`, for the consent page of the browser that started it.",
    responses((status = 200, body = ConsentRequest), (status = 404, body = ErrorBody)))]
async fn get_consent(
    State(s): State<AppState>,
    jar: CookieJar,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<AppJson<ConsentRequest>> {
    let request = request_of_browser(&s, &jar, &id).await?.ok_or_else(gone)?;
    let settings = authorization::load(&s.db).await?.settings;
    if !settings.enabled {
        return Err(gone());
    }
    let signed_in = identity_of(&s, &jar, &request, &settings).await?;
    let host_of = |u: &str| reqwest::Url::parse(u).ok().and_then(|u| u.host_str().map(str::to_string));
    let client_host = host_of(&request.client_id).or_else(|| host_of(&request.redirect_uri)).unwrap_or_default();
    let issuer = crate::oauth::realm(&s).issuer;
    let upstream_name = settings
        .upstream
        .as_ref()
        .map(|u| u.display_name.clone().unwrap_or_else(|| host_of(&u.issuer).unwrap_or_else(|| u.issuer.clone())));
    Ok(AppJson(ConsentRequest {
        upstream_start_url: upstream_name
            .as_ref()
            .map(|_| format!("{issuer}{}?request={}", crate::oauth::upstream::START_PATH, request.id)),
        upstream_name,
        admin_login: settings.admin_login,
        signed_in: signed_in.map(|i| {
            let claim = |k: &str| i.claims.get(k).and_then(Value::as_str).map(str::to_string);
            ConsentUser {
                name: claim("name").or_else(|| claim("preferred_username")),
                subject: i.subject,
                email: i.email,
                via: i.via,
            }
        }),
        id: request.id,
        client_id: request.client_id,
        client_name: request.client_name,
        client_host,
        redirect_uri: request.redirect_uri,
        scopes: request.scopes,
        resource: request.resource,
        expires_at: request.expires_at,
    }))
}

#[utoipa::path(post, path = "/oauth-consent/{id}", tag = "authorization-server", params(("id" = String, Path)),
    request_body = ConsentDecision,
    description = "Approves or denies request `id`. Approving needs a signed-in user (the admin session or the \
        upstream sign-in); denying does not. The answer says where to send the browser.",
    responses((status = 200, body = ConsentRedirect), (status = 401, description = "Nobody is signed in", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn decide_consent(
    State(s): State<AppState>,
    jar: CookieJar,
    ApiPath(id): ApiPath<String>,
    AppJson(body): AppJson<ConsentDecision>,
) -> ApiResult<AppJson<ConsentRedirect>> {
    let request = request_of_browser(&s, &jar, &id).await?.ok_or_else(gone)?;
    let settings = authorization::load(&s.db).await?.settings;
    if !settings.enabled {
        return Err(gone());
    }
    let identity = if body.approve {
        let found = identity_of(&s, &jar, &request, &settings).await?;
        Some(found.ok_or_else(|| ApiError::Unauthorized("sign in before approving".into()))?)
    } else {
        None
    };
    let redirect_to = decide(&s, &request, identity.as_ref()).await.map_err(|e| match e {
        crate::storage::StoreError::NotFound(_) => gone(),
        other => other.into(),
    })?;
    Ok(AppJson(ConsentRedirect { redirect_to }))
}
