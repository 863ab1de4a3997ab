//! `tools/call`: validate (and open a page cursor) → cache → queue → engine →
//! transform → result shaped by the tool's `return_type`, with a signed
//! `next_cursor` when a pageable tool's result was cut (see `cursor.rs`).
//! Failures the model can act on are `isError` results; only an unknown tool
//! is a JSON-RPC error.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value};
use shared_model::manifest::{PAGE_CURSOR, ReturnType, Tool};
use shared_model::telemetry::Subject;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::Shared;
use super::cursor::Signer;
use super::observe::{self, Spent};
use super::trace;
use crate::cache;
use crate::exec::{ExecError, QueryOutput, QueryRequest};
use crate::metrics::FinishedCall;
use crate::release::Release;
use crate::shape;
use crate::transform::{self, TransformInput};

/// Runs one call of the tool `name` with `args` on `release` for `caller`.
pub(super) async fn call(
    shared: &Shared,
    release: Arc<Release>,
    name: &str,
    args: Map<String, Value>,
    ct: CancellationToken,
    caller: observe::Caller,
) -> Result<CallToolResult, ErrorData> {
    let Some(entry) = release.tools.get(name) else {
        return Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None));
    };
    let tool = &release.manifest.tools[entry.index];
    let started = Instant::now();
    let mut spent = Spent::default();
    let Outcome { result, cached, rows, error_class } =
        run(shared, &release, tool, &args, caller.claims(), ct, &mut spent).await;
    let ok = result.is_error != Some(true);
    if cached {
        entry.stats.cache_hits.fetch_add(1, Relaxed);
    }
    let elapsed = started.elapsed();
    shared.metrics.record_call(&entry.stats, name, elapsed, ok);
    let finished = FinishedCall {
        subject: Subject::Tool,
        name,
        connection: &tool.connection,
        elapsed,
        rows,
        bytes: observe::text_bytes(&result),
        cached,
        error_class: error_class.or((!ok).then_some("tool_error")),
    };
    let client = caller.client;
    observe::finished(shared, &release, finished, spent, client, || observe::redacted(&tool.parameters, &args));
    Ok(result)
}

/// A call's result.
struct Outcome {
    result: CallToolResult,
    /// Whether it came from the cache.
    cached: bool,
    /// Rows the query returned.
    rows: u64,
    /// Why it failed, when it did.
    error_class: Option<&'static str>,
}

impl Outcome {
    fn fresh(result: CallToolResult) -> Outcome {
        Outcome { result, cached: false, rows: 0, error_class: None }
    }

    fn failed(result: CallToolResult, class: &'static str) -> Outcome {
        Outcome { error_class: Some(class), ..Outcome::fresh(result) }
    }
}

/// Runs the call, or answers it from the cache.
async fn run(
    shared: &Shared,
    release: &Release,
    tool: &Tool,
    args: &Map<String, Value>,
    claims: Option<&Map<String, Value>>,
    ct: CancellationToken,
    spent: &mut Spent,
) -> Outcome {
    let exec = &release.executor;
    // A pageable tool takes `cursor` besides its parameters; the rest are validated as usual.
    let mut raw = Cow::Borrowed(args);
    let cursor = if tool.pageable && args.contains_key(PAGE_CURSOR) { raw.to_mut().remove(PAGE_CURSOR) } else { None };
    // Claim-bound values join the arguments before validation, so the cache
    // key and the page cursor below (both over the validated arguments) are
    // the caller's own: one user never reads another's cached rows or pages.
    let bound = match crate::args::bind_claims(&tool.parameters, &raw, claims) {
        Ok(b) => b,
        Err(e) => return Outcome::failed(tool_error(e.to_string()), "invalid_argument"),
    };
    let args = match exec.validate(&tool.parameters, &bound) {
        Ok(a) => a,
        Err(e) => return Outcome::failed(tool_error(e.to_string()), "invalid_argument"),
    };
    let offset = match cursor {
        None => 0,
        Some(Value::String(c)) => {
            let signer = Signer::new(shared.runtime_key.as_deref());
            match signer.open(&c, release.manifest.release, &tool.name, &args) {
                Ok(offset) => offset,
                Err(why) => return Outcome::fresh(tool_error(why)),
            }
        }
        Some(_) => {
            return Outcome::fresh(tool_error("`cursor` must be the string a result gave as `next_cursor`".into()));
        }
    };
    let cache_key = (tool.cache_ttl_seconds > 0).then(|| {
        let args = Value::Object(args.clone());
        let what = if offset == 0 { args } else { serde_json::json!({"args": args, "offset": offset}) };
        cache::key(release.manifest.release, &tool.name, &what)
    });
    if let Some(hit) = cache_key.as_deref().and_then(|k| shared.cache.get(k)) {
        let rows = hit.structured_content.as_ref().and_then(|v| v["row_count"].as_u64()).unwrap_or(0);
        return Outcome { result: (*hit).clone(), cached: true, rows, error_class: None };
    }
    let out = match execute(release, tool, &args, offset, ct, spent).await {
        Ok(out) => out,
        Err(e) => {
            let class = observe::error_class(&e);
            return Outcome::failed(db_error(release, &tool.name, e), class);
        }
    };
    let rows = out.rows.len() as u64;
    let page = tool.pageable.then(|| Page { signer: Signer::new(shared.runtime_key.as_deref()), offset });
    let result = crate::otel_span!("transform").in_scope(|| success(release, tool, &args, out, page));
    if result.is_error == Some(true) {
        return Outcome::failed(result, "transform_failed");
    }
    if let Some(key) = cache_key {
        let bytes = result.structured_content.as_ref().map_or(0, |v| v.to_string().len());
        shared.cache.put(key, Duration::from_secs(u64::from(tool.cache_ttl_seconds)), bytes, Arc::new(result.clone()));
    }
    Outcome { rows, ..Outcome::fresh(result) }
}

/// Waits for a slot on the tool's connection queue, then runs its SQL; a cancelled
/// request leaves the line at once and its query is cancelled. The wait and
/// the database time are added to `spent`.
pub(super) async fn execute(
    release: &Release,
    tool: &Tool,
    args: &Map<String, Value>,
    offset: usize,
    ct: CancellationToken,
    spent: &mut Spent,
) -> Result<QueryOutput, ExecError> {
    let (connection, sql) = (tool.connection.as_str(), tool.sql.as_str());
    let queue = release
        .queues
        .get(connection)
        .ok_or_else(|| ExecError::Unavailable { detail: format!("no connection {connection}") })?;
    // The spans open where the time is measured; with traces off they are `Span::none()`.
    let waited = Instant::now();
    let wait_span = crate::otel_span!("queue.wait", quarry.connection = connection);
    let slot = async {
        tokio::select! {
            slot = queue.admit() => Some(slot),
            _ = ct.cancelled() => None,
        }
    }
    .instrument(wait_span)
    .await;
    spent.queue_wait += waited.elapsed();
    let slot = match slot {
        Some(admitted) => admitted.map_err(|e| ExecError::Busy(e.to_string()))?,
        None => return Err(ExecError::Cancelled),
    };
    let request = QueryRequest {
        connection,
        sql,
        params: &tool.parameters,
        args,
        limits: &tool.limits,
        read_only: tool.annotations.read_only,
        exact_numerics: release.manifest.server.exact_numerics,
        offset,
        cancel: ct.clone(),
    };
    // Biased: the engine sees the cancellation first and stops the query
    // server-side; the second branch only guards an engine that ignores it.
    let ran = Instant::now();
    let db_span = crate::otel_span!(
        "db.execute",
        otel.kind = "client",
        db.system = trace::db_system(release, connection),
        quarry.connection = connection,
    );
    let out = async {
        tokio::select! {
            biased;
            out = release.executor.execute(request) => out,
            _ = ct.cancelled() => Err(ExecError::Cancelled),
        }
    }
    .instrument(db_span)
    .await;
    spent.db += ran.elapsed();
    drop(slot);
    out
}

/// Where a pageable tool's call starts, and the key its next cursor is signed with.
struct Page {
    signer: Signer,
    offset: usize,
}

/// `structuredContent` shaped by the tool's `return_type`, and a text block:
/// the tool's transform of the result, or else the JSON of what
/// `structuredContent` holds (the rows, the row or the value). The rows are
/// moved, never copied: a result can be as large as the tool's `max_bytes`.
fn success(
    release: &Release,
    tool: &Tool,
    args: &Map<String, Value>,
    out: QueryOutput,
    page: Option<Page>,
) -> CallToolResult {
    let QueryOutput { columns, rows, truncated } = out;
    let transformed = match &tool.transform_template {
        None => None,
        Some(template) => {
            // The preview renders through the same input, so a template sees
            // the same names there as here.
            let input = TransformInput {
                rows: &rows,
                columns: columns.iter().map(String::as_str).collect(),
                truncated: truncated.is_some(),
                params: args,
                vars: &release.manifest.vars,
            };
            match transform::render(template, &input) {
                Ok(text) => Some(text),
                Err(e) => return tool_error(format!("the result transform failed: {e}")),
            }
        }
    };
    let no_rows = rows.is_empty();
    // A cut result of a pageable tool continues where this page ends.
    let next = match (&page, &truncated) {
        (Some(p), Some(_)) if !no_rows => {
            let end = p.offset + rows.len();
            Some((p.signer.issue(release.manifest.release, &tool.name, args, end), p.offset + 1, end))
        }
        _ => None,
    };
    let (key, mut structured) = shape::structured(tool.return_type, columns, rows, truncated.is_some());
    if let Some((cursor, _, _)) = &next {
        structured.insert(shape::NEXT_CURSOR.into(), Value::String(cursor.clone()));
    }
    // `serde_json::to_string` writes bytes straight into a buffer; `Value`'s
    // `Display` goes through `fmt::Write` and costs about twice as much.
    let text = transformed.unwrap_or_else(|| serde_json::to_string(&structured[key]).unwrap_or_default());
    let mut content = vec![ContentBlock::text(text)];
    // A row or a value is whole however many rows were cut after it; only a
    // list of rows, or a first row lost to the byte cap, needs the notice.
    if let Some((cursor, first, last)) = &next {
        content.push(ContentBlock::text(format!(
            "[truncated] rows {first}–{last} are shown and more exist: call `{}` again with the same arguments \
             plus \"cursor\": \"{cursor}\" for the next rows",
            tool.name
        )));
    } else if let Some(notice) = &truncated
        && (tool.return_type == ReturnType::Rows || no_rows)
    {
        content.push(ContentBlock::text(format!("[truncated] {notice}")));
    }
    let mut result = CallToolResult::success(content);
    result.structured_content = Some(Value::Object(structured));
    result
}

pub(super) fn tool_error(message: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message)])
}

/// Database detail — a failed query's message, or why a connection could not
/// be opened (host, port, driver text) — reaches the client only when the
/// manifest says so; otherwise it is logged under an error id the client sees.
pub(super) fn db_error(release: &Release, what: &str, e: ExecError) -> CallToolResult {
    let hidden = |summary: &str, detail: &str| {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tracing::warn!(error_id = %id, tool = what, detail = %detail, "{summary}");
        format!("(error id {}). The server log holds the detail.", &id[..12])
    };
    match e {
        ExecError::Database { detail } if !release.manifest.server.expose_db_errors => {
            tool_error(format!("The query failed {}", hidden("A query failed.", &detail)))
        }
        ExecError::Unavailable { detail } if !release.manifest.server.expose_db_errors => {
            tool_error(format!("The database is unavailable {}", hidden("A database was unavailable.", &detail)))
        }
        other => tool_error(other.to_string()),
    }
}
