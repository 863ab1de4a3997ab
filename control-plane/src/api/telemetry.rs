//! `POST /runtime/telemetry`: where runtimes deliver their minute deltas,
//! queue snapshots and request-log records (see `shared_model::telemetry`),
//! with the runtime token. A resend of a delivery already applied answers 204
//! and changes nothing.

use axum::extract::State;
use axum::http::StatusCode;
use shared_model::telemetry::{Delivery, MAX_DELTAS, MAX_RECORDS};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::runtime::RuntimeToken;
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::storage::telemetry;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(deliver))
}

fn check(d: &Delivery) -> Result<(), ApiError> {
    if d.instance_id.trim().is_empty() || d.instance_id.len() > 100 {
        return Err(ApiError::invalid("instance_id", "must be 1–100 characters"));
    }
    if d.sequence == 0 {
        return Err(ApiError::invalid("sequence", "must start at 1"));
    }
    if d.metrics.len() > MAX_DELTAS || d.records.len() > MAX_RECORDS || d.queues.len() > 1000 {
        return Err(ApiError::invalid(
            "body",
            format!("at most {MAX_DELTAS} metrics, {MAX_RECORDS} records and 1000 queues per delivery"),
        ));
    }
    for (i, m) in d.metrics.iter().enumerate() {
        if m.minute % 60 != 0 || m.name.is_empty() || m.name.len() > 255 || m.connection.len() > 64 {
            return Err(ApiError::invalid(
                format!("metrics[{i}]"),
                "minute must be a multiple of 60, name 1–255 and connection ≤ 64 characters",
            ));
        }
    }
    if let Some(i) = d.queues.iter().position(|q| q.connection.is_empty() || q.connection.len() > 64) {
        return Err(ApiError::invalid(format!("queues[{i}].connection"), "must be 1–64 characters"));
    }
    Ok(())
}

#[utoipa::path(post, path = "/runtime/telemetry", tag = "runtime", request_body = Object,
    security(("runtime_token" = [])),
    responses((status = 204, description = "Applied, or already applied before"), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn deliver(_: RuntimeToken, State(s): State<AppState>, AppJson(d): AppJson<Delivery>) -> ApiResult<StatusCode> {
    check(&d)?;
    if telemetry::apply(&s.db, &d).await? == telemetry::Applied::Duplicate {
        tracing::debug!(instance = %d.instance_id, sequence = d.sequence, "A telemetry delivery was resent; already applied.");
    }
    Ok(StatusCode::NO_CONTENT)
}
