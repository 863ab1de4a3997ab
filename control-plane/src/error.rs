//! The one error type at the HTTP edge: every failure becomes
//! `{"detail": "..."}` with the right status; internal causes are logged once
//! and never shown to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared_model::{Problems, SecretError};

use crate::auth::AuthError;
use crate::deploy::DeployError;
use crate::storage::StoreError;

/// An error returned by a handler.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be understood.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid session.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// 409: the name (or another unique value) is taken.
    #[error("{0}")]
    Conflict(String),
    /// 409: the edit was based on a version that is no longer current.
    #[error("{0}")]
    VersionConflict(String),
    /// 413: the body is larger than the cap.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: the input is well-formed but invalid; each problem names its field.
    #[error("{0}")]
    Invalid(Problems),
    /// The SQL engine refused or failed: 400 (refused SQL), 404, 422 (bad
    /// argument or settings), 502 (database error), 503 (pool busy), 504 (timeout).
    #[error(transparent)]
    Engine(#[from] mcp_runtime::db::EngineError),
    /// 429: too many attempts; retry after this many seconds.
    #[error("too many attempts; retry in {0} seconds")]
    RateLimited(u64),
    /// 500: a fault of ours; the cause is logged, not returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The wire shape of every error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and how to fix it.
    pub detail: String,
    /// A stable snake_case code for programs, e.g. `version_conflict`, `invalid`, `not_found`.
    pub code: &'static str,
    /// For validation errors: each problem with the path of the field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<ProblemBody>>,
}

/// One validation problem.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemBody {
    /// Dotted path of the offending field, e.g. `parameters[0].name`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl ApiError {
    /// A 422 for a single field.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        let mut p = Problems::default();
        p.push(path, message);
        ApiError::Invalid(p)
    }

    /// Wraps an unexpected failure as a 500.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::VersionConflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Engine(e) => StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY),
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::VersionConflict(_) => "version_conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Invalid(_) => "invalid",
            ApiError::Engine(e) => e.code(),
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<Problems> for ApiError {
    fn from(p: Problems) -> Self {
        ApiError::Invalid(p)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::VersionConflict(m) => ApiError::VersionConflict(m),
            StoreError::Invalid(p) => ApiError::Invalid(p),
            StoreError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized(m) => ApiError::Unauthorized(m),
            AuthError::Forbidden(m) => ApiError::Forbidden(m),
            AuthError::Hashing(cause) => ApiError::Internal(cause),
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<DeployError> for ApiError {
    fn from(e: DeployError) -> Self {
        match e {
            DeployError::Store(e) => e.into(),
            backend @ DeployError::Backend(_) => ApiError::internal(anyhow::anyhow!("deployer: {backend}")),
        }
    }
}

impl From<SecretError> for ApiError {
    /// A stored secret that no longer decrypts (a lost or rotated-out key) is our fault, not the caller's.
    fn from(e: SecretError) -> Self {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let problems = match &self {
            ApiError::Invalid(p) => {
                Some(p.0.iter().map(|p| ProblemBody { path: p.path.clone(), message: p.message.clone() }).collect())
            }
            _ => None,
        };
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "A request failed with an internal error.");
        }
        let body = ErrorBody { detail: self.to_string(), code: self.code(), problems };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited(secs) = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
