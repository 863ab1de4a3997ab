//! `/server/ssl`: the certificate in use and ACME issuance; plus the public
//! `/.well-known/acme-challenge/{token}` answers.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::tls::acme::{Acme, AcmeError, AcmeRequest};
use crate::tls::cert::{CertSummary, summarize};

/// Routes of this module (session-protected).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status)).routes(routes!(issue))
}

/// The unauthenticated challenge route, served on every listener.
pub fn challenge_router() -> Router<AppState> {
    Router::new().route("/.well-known/acme-challenge/{token}", get(challenge))
}

async fn challenge(State(s): State<AppState>, Path(token): Path<String>) -> impl IntoResponse {
    match s.acme.answer(&token) {
        Some(answer) => (StatusCode::OK, answer).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// TLS as the control plane sees it.
#[derive(Serialize, ToSchema)]
pub struct SslStatus {
    /// Whether this control plane serves HTTPS (`QUARRY_TLS_CERT` + `QUARRY_TLS_KEY`).
    pub https: bool,
    /// The certificate being served, if any.
    pub serving: Option<CertSummary>,
    /// The certificate obtained by ACME (in `$QUARRY_DATA_DIR/tls`).
    pub acme: CertSummary,
    /// What the last ACME issuance asked for (renewals reuse it).
    pub acme_request: Option<AcmeRequest>,
    /// The ACME server.
    pub acme_directory: String,
    /// Renewal starts this many days before expiry.
    pub renew_before_days: i64,
    /// The last ACME failure, if the last attempt failed.
    pub last_error: Option<String>,
}

fn current(s: &AppState) -> SslStatus {
    let cfg = &s.config.tls;
    SslStatus {
        https: cfg.files.is_some(),
        serving: cfg.files.as_ref().map(|f| summarize(&f.cert, cfg.renew_before_days)),
        acme: summarize(&cfg.acme_cert(), cfg.renew_before_days),
        acme_request: Acme::saved_request(cfg),
        acme_directory: cfg.acme_directory.clone(),
        renew_before_days: cfg.renew_before_days,
        last_error: s.acme.last_error.lock().unwrap_or_else(|e| e.into_inner()).clone(),
    }
}

#[utoipa::path(get, path = "/server/ssl/status", tag = "server", security(("session" = [])),
    responses((status = 200, body = SslStatus), (status = 401, body = ErrorBody)))]
async fn status(State(s): State<AppState>) -> ApiResult<AppJson<SslStatus>> {
    Ok(AppJson(current(&s)))
}

#[utoipa::path(post, path = "/server/ssl/issue", tag = "server", request_body = AcmeRequest, security(("session" = [])),
    description = "Obtains a certificate by ACME HTTP-01: each domain must reach this control plane on port 80 \
        (`/.well-known/acme-challenge/`; see QUARRY_HTTP_CHALLENGE_BIND). Stored in the data directory and renewed \
        before expiry; serve it with QUARRY_TLS_CERT=$QUARRY_DATA_DIR/tls/cert.pem QUARRY_TLS_KEY=…/key.pem.",
    responses((status = 200, body = SslStatus), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 400, description = "The ACME server refused; `detail` says why", body = ErrorBody)))]
async fn issue(State(s): State<AppState>, AppJson(req): AppJson<AcmeRequest>) -> ApiResult<AppJson<SslStatus>> {
    match s.acme.issue(&s.config.tls, &req).await {
        Ok(_) => Ok(AppJson(current(&s))),
        Err(AcmeError::Invalid(m)) if m.contains("already running") => Err(ApiError::Conflict(m)),
        Err(AcmeError::Invalid(m)) => Err(ApiError::invalid("domains", m)),
        Err(e) => Err(ApiError::BadRequest(e.to_string())),
    }
}
