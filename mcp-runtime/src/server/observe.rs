//! What a finished call leaves behind for the control plane: its minute
//! delta and, when the release keeps a request log, one record whose
//! arguments have every `sensitive` parameter replaced by `[redacted]`.

use std::time::Duration;

use rmcp::model::CallToolResult;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Map, Value};
use shared_model::ParamDef;
use shared_model::telemetry::{CallRecord, REDACTED};

use super::Shared;
use std::sync::Arc;

use crate::auth::{ClientId, Principal};
use crate::exec::ExecError;
use crate::metrics::FinishedCall;
use crate::release::Release;

/// Longest JSON text of the arguments a record keeps; longer ones are cut.
const MAX_ARGUMENTS_BYTES: usize = 4096;

/// Where a call's time went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    /// Waiting for a queue slot.
    pub queue_wait: Duration,
    /// Running on the database.
    pub db: Duration,
}

/// Who made a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The request log's name for them: `token:<id>` for a bearer token,
    /// `sub:<subject>` for an OAuth access token, else `anonymous`.
    pub client: String,
    /// The OAuth principal, in oauth mode (its claims bind `from_claim` parameters).
    pub principal: Option<Arc<Principal>>,
}

impl Caller {
    /// The token's claims, for [`crate::args::bind_claims`].
    pub fn claims(&self) -> Option<&Map<String, Value>> {
        self.principal.as_ref().map(|p| &p.claims.0)
    }
}

/// Who made the request `cx` belongs to.
pub fn client_of(cx: &RequestContext<RoleServer>) -> Caller {
    let parts = cx.extensions.get::<axum::http::request::Parts>();
    let client =
        parts.and_then(|p| p.extensions.get::<ClientId>()).map_or_else(|| "anonymous".to_string(), |c| c.0.clone());
    let principal = parts.and_then(|p| p.extensions.get::<Arc<Principal>>()).cloned();
    Caller { client, principal }
}

/// The stable class of an execution failure, for metrics and the request log.
pub fn error_class(e: &ExecError) -> &'static str {
    match e {
        ExecError::InvalidArgument { .. } => "invalid_argument",
        ExecError::Database { .. } => "database_error",
        ExecError::Timeout { .. } => "timeout",
        ExecError::Busy(_) => "busy",
        ExecError::Cancelled => "cancelled",
        ExecError::Unavailable { .. } => "unavailable",
    }
}

/// Bytes of text a result hands back.
pub fn text_bytes(result: &CallToolResult) -> u64 {
    result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.len() as u64).sum()
}

/// The arguments as the request log keeps them.
pub fn redacted(params: &[ParamDef], args: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for (k, v) in args {
        let sensitive = params.iter().any(|p| p.sensitive && &p.name == k);
        out.insert(k.clone(), if sensitive { Value::String(REDACTED.into()) } else { v.clone() });
    }
    let out = Value::Object(out);
    if out.to_string().len() > MAX_ARGUMENTS_BYTES {
        return serde_json::json!({ "_truncated": format!("arguments longer than {MAX_ARGUMENTS_BYTES} bytes") });
    }
    out
}

/// Records `call` in the minute deltas and, if the release keeps one, the request log.
pub fn finished(
    shared: &Shared,
    release: &Release,
    call: FinishedCall<'_>,
    spent: Spent,
    client: String,
    arguments: impl FnOnce() -> Value,
) {
    super::trace::finished(release, &call);
    let telemetry = &shared.metrics.telemetry;
    telemetry.record(&call);
    if !release.manifest.server.request_log || !telemetry.enabled() {
        return;
    }
    let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    telemetry.log(CallRecord {
        at: chrono::Utc::now(),
        release: release.manifest.release,
        subject: call.subject,
        name: call.name.to_string(),
        client,
        duration_us: micros(call.elapsed),
        queue_wait_us: micros(spent.queue_wait),
        db_us: micros(spent.db),
        rows: call.rows,
        bytes: call.bytes,
        error_class: call.error_class.map(str::to_string),
        arguments: arguments(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_arguments_are_redacted_and_others_kept() {
        let params: Vec<ParamDef> = serde_json::from_value(serde_json::json!([
            {"name": "email", "type": "string", "sensitive": true},
            {"name": "limit", "type": "integer"}
        ]))
        .unwrap();
        let args = serde_json::json!({"email": "a@b.c", "limit": 5});
        let out = redacted(&params, args.as_object().unwrap());
        assert_eq!(out, serde_json::json!({"email": REDACTED, "limit": 5}));
    }
}
