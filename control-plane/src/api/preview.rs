//! `POST /preview/execute`: run SQL read-only through the same engine a
//! deployed tool uses, with a small row limit and a 10 s timeout, and its
//! transform through the same function (`mcp_runtime::transform::render`).
//! With `claims`, it runs as a caller whose OAuth token carries them: claim-bound
//! parameters are filled by the runtime's `args::bind_claims`. The answer also
//! carries the output schema a release would give a tool with this SQL
//! (`describe::describe_sql`, then `shape::output_schema` as the build calls it).

use axum::extract::State;
use mcp_runtime::db::{Limits, PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_BYTES, PREVIEW_MAX_ROWS, PREVIEW_TIMEOUT, Query};
use mcp_runtime::shape;
use mcp_runtime::transform::{self, TransformInput};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::manifest::ReturnType;
use shared_model::{ParamDef, ParamType, scan_sql};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::app::AppState;
use crate::describe;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::storage::connections;
use crate::storage::settings;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview_execute))
}

/// What to preview.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The connection to run on.
    pub connection_id: Uuid,
    /// One SQL statement with `:name` placeholders (≤ 100000 bytes).
    pub sql_query: String,
    /// Values for the placeholders, by name.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// The tool's parameter definitions; without them each placeholder is
    /// typed after the JSON type of its value.
    #[serde(default)]
    pub parameter_definitions: Option<Vec<ParamDef>>,
    /// Rows to return, 1–1000 (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
    /// A minijinja template applied to the result; it sees what a deployed tool's
    /// transform sees: `rows`, `columns`, `row_count`, `truncated`, `params` and
    /// `vars` (the server's current global variables).
    #[serde(default)]
    pub transform_template: Option<String>,
    /// Run as a caller whose OAuth access token carries these claims, e.g.
    /// `{"sub": "alice", "email": "alice@example.com", "groups": ["sales"]}`:
    /// parameters bound to a claim (`from_claim` in the definitions) take their
    /// values from it, exactly as on a deployed server. A claim-bound parameter
    /// without its claim is refused (422), never run with a default.
    #[serde(default)]
    pub claims: Option<Map<String, Value>>,
    /// The tool's `return_type` (`rows`, `row` or `scalar`; default `rows`): shapes the `output_schema` answered.
    #[serde(default)]
    pub return_type: Option<String>,
    /// Whether the tool is pageable (`return_type` `rows` only): adds `next_cursor` to the `output_schema` answered.
    #[serde(default)]
    pub pageable: bool,
}

/// A column of the result.
#[derive(Serialize, ToSchema)]
pub struct ResultColumn {
    pub name: String,
    /// The database's type name.
    #[serde(rename = "type")]
    pub db_type: String,
}

/// The rows and what became of them.
#[derive(Serialize, ToSchema)]
pub struct PreviewResult {
    /// Rows as JSON objects keyed by column name.
    pub rows: Vec<Map<String, Value>>,
    pub columns: Vec<ResultColumn>,
    /// Rows returned.
    pub row_count: usize,
    /// Whether the row or byte limit cut the result.
    pub truncated: bool,
    /// Milliseconds the query took.
    pub execution_time: u64,
    /// The template's output (parsed as JSON when it is JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transformed_result: Option<Value>,
    /// Why the template failed, if it did; the raw rows are still returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transform_error: Option<String>,
    /// The output schema a release would carry for a tool with this SQL, return type and paging: derived from the
    /// result columns as the database describes the statement (as when the tool is saved) and the server's
    /// `exact_numerics`. Absent when the database could not describe it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub output_schema: Option<Map<String, Value>>,
}

/// The parameter type matching a JSON value's type.
fn json_type(v: &Value) -> ParamType {
    match v {
        Value::Bool(_) => ParamType::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => ParamType::Integer,
        Value::Number(_) => ParamType::Number,
        Value::Array(_) => ParamType::Array,
        _ => ParamType::String,
    }
}

/// Definitions for the placeholders of `sql`, typed after the given values.
fn inferred_definitions(
    sql: &str,
    dialect: shared_model::Dialect,
    values: &Map<String, Value>,
) -> Result<Vec<ParamDef>, ApiError> {
    let scan = scan_sql(sql, dialect).map_err(|e| ApiError::invalid("sql_query", e))?;
    Ok(scan
        .names()
        .into_iter()
        .map(|name| {
            let value = values.get(name);
            let item = value.and_then(Value::as_array).and_then(|a| a.first()).map(json_type);
            let param_type = value.map_or(ParamType::String, json_type);
            let def = serde_json::json!({"name": name, "type": param_type, "item_type": item.filter(|_| param_type == ParamType::Array)});
            serde_json::from_value(def).expect("a minimal definition")
        })
        .collect())
}

#[utoipa::path(post, path = "/preview/execute", tag = "preview", request_body = PreviewRequest, security(("session" = [])),
    responses((status = 200, body = PreviewResult),
        (status = 400, description = "The SQL was refused (several statements, a write in read-only mode)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Bad argument, naming the parameter", body = ErrorBody),
        (status = 502, description = "The database reported an error", body = ErrorBody),
        (status = 504, description = "The query ran past 10 s", body = ErrorBody)))]
async fn preview_execute(
    State(s): State<AppState>,
    AppJson(req): AppJson<PreviewRequest>,
) -> ApiResult<AppJson<PreviewResult>> {
    Ok(AppJson(execute(&s, req).await?))
}

/// Runs `req` read-only through the engine a deployed tool uses, and its transform.
pub async fn execute(s: &AppState, req: PreviewRequest) -> ApiResult<PreviewResult> {
    let max_rows = req.limit.unwrap_or(PREVIEW_DEFAULT_ROWS);
    if !(1..=PREVIEW_MAX_ROWS).contains(&max_rows) {
        return Err(ApiError::invalid("limit", format!("must be between 1 and {PREVIEW_MAX_ROWS}")));
    }
    if req.sql_query.trim().is_empty() || req.sql_query.len() > 100_000 {
        return Err(ApiError::invalid("sql_query", "must be 1–100000 bytes"));
    }
    let spec = connections::get(&s.db, req.connection_id).await?.engine_spec(&s.keyring)?;
    let params = match req.parameter_definitions {
        Some(defs) => defs,
        None => inferred_definitions(&req.sql_query, spec.db_type.dialect(), &req.parameters)?,
    };
    // The runtime's one function for claim-bound parameters: values from the
    // claims, none from the request for those parameters.
    let args = mcp_runtime::args::bind_claims(&params, &req.parameters, req.claims.as_ref()).map_err(|e| {
        let to = if req.claims.is_some() { "add it to the claims" } else { "run as a claim set (`claims`)" };
        ApiError::invalid(format!("parameters.{}", e.param), format!("{}; to preview, {to}", e.message))
    })?;
    let limits = Limits { max_rows, max_bytes: PREVIEW_MAX_BYTES, timeout: PREVIEW_TIMEOUT };
    let (server, _) = settings::load(&s.db).await?;
    let query = Query {
        sql: &req.sql_query,
        params: &params,
        args: &args,
        read_only: true,
        limits,
        exact_numerics: server.exact_numerics,
        offset: 0,
    };
    let result = s.engine.execute(&req.connection_id.to_string(), &spec, &query).await?;
    let return_type = match req.return_type.as_deref() {
        None => ReturnType::Rows,
        Some(t) => t.parse().map_err(|_| ApiError::invalid("return_type", "must be rows, row or scalar"))?,
    };
    // What the release will carry: the columns described as on save, shaped by the function `release::build`
    // shapes them with, under the same settings.
    let described = describe::describe_sql(&s.db, &s.engine, &s.keyring, req.connection_id, &req.sql_query, &params);
    let output_schema = match described.await {
        Ok(columns) => Some(shape::output_schema(
            spec.db_type,
            &columns,
            return_type,
            server.exact_numerics,
            req.pageable && return_type == ReturnType::Rows,
        )),
        Err(e) => {
            tracing::debug!(error = %e, "The previewed statement could not be described; no output schema is shown.");
            None
        }
    };
    let (transformed_result, transform_error) = match &req.transform_template {
        None => (None, None),
        Some(t) => {
            // What a deployed tool's transform sees: the arguments as validated
            // (defaults applied; the engine has just accepted them) and the
            // global variables the next release will carry.
            let args = mcp_runtime::args::validate(&params, &args).unwrap_or(args);
            let input = TransformInput {
                rows: &result.rows,
                columns: result.columns.iter().map(|c| c.name.as_str()).collect(),
                truncated: result.truncated,
                params: &args,
                vars: &server.global_variables,
            };
            match transform::render(t, &input) {
                Ok(text) => (Some(transform::output_value(&text)), None),
                Err(e) => (None, Some(e)),
            }
        }
    };
    Ok(PreviewResult {
        columns: result.columns.into_iter().map(|c| ResultColumn { name: c.name, db_type: c.db_type }).collect(),
        row_count: result.row_count,
        truncated: result.truncated,
        execution_time: result.execution_time_ms,
        rows: result.rows,
        transformed_result,
        transform_error,
        output_schema,
    })
}
