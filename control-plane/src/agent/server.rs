//! The agent MCP server: an rmcp `ServerHandler` written by hand over the
//! [`Registry`]. Every request carries the [`Credential`] the HTTP layer
//! authenticated (`http::require_agent`). A call is admitted by the rate
//! limit, then by scope — a refusal names the missing scope and runs nothing
//! — then runs the registry's handler; every call, admitted or not, is
//! recorded in the activity log with its redacted arguments.

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::*;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;
use tracing::Instrument;

use super::activity::{NewActivity, outcome, redact};
use super::credential::Credential;
use super::registry::{Cx, Registry};
use super::scope::Scope;
use crate::app::AppState;
use crate::error::ApiError;
use crate::storage::agent_activity;

/// URI of the export document resource.
pub const EXPORT_URI: &str = "quarry://agent/export";
/// URI of the OpenAPI document resource.
pub const OPENAPI_URI: &str = "quarry://agent/openapi";
/// Name of the guiding prompt.
pub const BUILD_PROMPT: &str = "build_tool_from_question";

/// The per-request handler: a cheap clone of shared state.
#[derive(Clone)]
pub struct AgentServer {
    state: AppState,
    registry: Arc<Registry>,
}

/// The credential the HTTP layer put on the request.
fn credential(cx: &RequestContext<RoleServer>) -> Result<Credential, ErrorData> {
    cx.extensions
        .get::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<Credential>())
        .cloned()
        .ok_or_else(|| ErrorData::internal_error("the request carries no agent credential", None))
}

fn tool_error(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// What a credential lacking `scope` is told when it calls `tool`.
pub fn missing_scope(scope: Scope, tool: &str) -> String {
    format!("this credential lacks the scope `{scope}` that `{tool}` needs; ask an admin for a credential with it")
}

/// Records one call in the activity log (a failure to record is logged, not returned).
pub async fn record_call(
    state: &AppState,
    cred: &Credential,
    tool: &str,
    args: &Value,
    outcome: &'static str,
    detail: Option<String>,
    started: Instant,
) {
    if mcp_runtime::otel::enabled() {
        tracing::Span::current().record("quarry.outcome", outcome);
    }
    let a = NewActivity {
        credential_id: cred.id.clone(),
        credential_name: cred.name.clone(),
        tool: tool.to_string(),
        arguments: redact(args),
        outcome,
        detail,
        duration_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
    };
    if let Err(e) = agent_activity::append(&state.db, a).await {
        tracing::error!(error = %e, tool, "Could not record an agent call in the activity log.");
    }
}

impl AgentServer {
    /// The handler over `state` and `registry`.
    pub fn new(state: AppState, registry: Arc<Registry>) -> AgentServer {
        AgentServer { state, registry }
    }

    /// `tools/call` inside its span: rate limit, scope, then the registry's handler.
    async fn call_tool_traced(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let cred = credential(&cx)?;
        let started = Instant::now();
        let name = request.name.as_ref();
        let Some(tool) = self.registry.get(name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None));
        };
        let args = request.arguments.unwrap_or_default();
        let args_value = Value::Object(args.clone());
        if let Err(wait) = self.state.agent.limiter.admit(&cred.id, started) {
            let text = format!(
                "rate limit: at most {} calls per minute per credential; retry in {} seconds",
                self.state.agent.config.rate_per_minute,
                wait.as_secs().max(1)
            );
            record_call(&self.state, &cred, name, &args_value, outcome::RATE_LIMITED, Some(text.clone()), started)
                .await;
            return Ok(tool_error(text).into());
        }
        // The HTTP layer answers such a call 403 first (`http::require_agent`);
        // this check stays for calls it does not see one by one (JSON-RPC batches).
        if !cred.allows(tool.scope) {
            let text = missing_scope(tool.scope, name);
            record_call(&self.state, &cred, name, &args_value, outcome::REFUSED, Some(text.clone()), started).await;
            return Ok(tool_error(text).into());
        }
        let cx = Cx { s: self.state.clone(), actor: cred.actor() };
        let result = match tool.call(cx, args).await {
            Ok(value) => {
                record_call(&self.state, &cred, name, &args_value, outcome::OK, None, started).await;
                let text = serde_json::to_string_pretty(&value).unwrap_or_default();
                let mut r = CallToolResult::success(vec![ContentBlock::text(text)]);
                r.structured_content = Some(value);
                r
            }
            Err(e) => {
                if let ApiError::Internal(cause) = &e {
                    tracing::error!(
                        error = format!("{cause:#}"),
                        tool = name,
                        "An agent tool failed with an internal error."
                    );
                }
                // The REST API's `detail`, word for word.
                let detail = e.to_string();
                record_call(&self.state, &cred, name, &args_value, outcome::ERROR, Some(detail.clone()), started).await;
                tool_error(detail)
            }
        };
        Ok(result.into())
    }
}

impl ServerHandler for AgentServer {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new("quarry-agent", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Manages this Quarry studio: database connections, SQL tools, resources, prompts, deploys, history, \
                 metrics. Tools listed are those this credential's scopes allow. To publish a new tool: list_connections, \
                 list_tables/list_columns, preview_sql, create_tool, deploy (see the build_tool_from_question prompt).",
            )
    }

    async fn list_tools(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let cred = credential(&cx)?;
        let tools = self.registry.all().filter(|t| cred.allows(t.scope)).map(|t| t.mcp()).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let span = mcp_runtime::otel_span!(
            "agent.tool_call",
            otel.kind = "server",
            rpc.method = "tools/call",
            mcp.tool.name = request.name.as_ref(),
            quarry.outcome = tracing::field::Empty,
        );
        let headers = cx.extensions.get::<axum::http::request::Parts>().map(|p| &p.headers);
        if mcp_runtime::otel::enabled() {
            let parent = mcp_runtime::otel::mcp_parent(cx.meta.get_traceparent(), cx.meta.get_tracestate(), headers);
            mcp_runtime::otel::set_parent(&span, parent);
        }
        self.call_tool_traced(request, cx).instrument(span).await
    }

    async fn list_resources(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let cred = credential(&cx)?;
        let mut items = Vec::new();
        if cred.allows(Scope::Export) {
            items.push(
                Resource::new(EXPORT_URI, "configuration")
                    .with_description("The whole configuration as one document (what export_configuration returns).")
                    .with_mime_type("application/json"),
            );
        }
        items.push(
            Resource::new(OPENAPI_URI, "openapi")
                .with_description(
                    "The OpenAPI document of Quarry's REST API: every type the agent tools take and return.",
                )
                .with_mime_type("application/json"),
        );
        Ok(ListResourcesResult::with_all_items(items))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let cred = credential(&cx)?;
        let text = match request.uri.as_str() {
            EXPORT_URI if cred.allows(Scope::Export) => {
                let doc = crate::portable::export(&self.state.db)
                    .await
                    .map_err(|e| ErrorData::internal_error(ApiError::from(e).to_string(), None))?;
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            }
            EXPORT_URI => {
                return Err(ErrorData::invalid_params("this credential lacks the scope `export`", None));
            }
            OPENAPI_URI => crate::api::openapi_document().to_pretty_json().unwrap_or_default(),
            other => return Err(ErrorData::resource_not_found(format!("no resource {other}"), None)),
        };
        let contents = ResourceContents::text(text, request.uri.clone()).with_mime_type("application/json");
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn list_prompts(
        &self,
        _r: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let args = vec![
            PromptArgument::new("question")
                .with_description("The question the new tool should answer, in plain words.")
                .with_required(true),
            PromptArgument::new("connection")
                .with_description("The name of the connection to use, if known.")
                .with_required(false),
        ];
        let prompt = Prompt::new(
            BUILD_PROMPT,
            Some("Guides building, checking and publishing a SQL tool that answers a question."),
            Some(args),
        );
        Ok(ListPromptsResult::with_all_items(vec![prompt]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != BUILD_PROMPT {
            return Err(ErrorData::invalid_params(format!("unknown prompt: {}", request.name), None));
        }
        let arg =
            |k: &str| request.arguments.as_ref().and_then(|a| a.get(k)).and_then(Value::as_str).map(str::to_string);
        let Some(question) = arg("question").filter(|q| !q.trim().is_empty()) else {
            return Err(ErrorData::invalid_params("the argument `question` is required", None));
        };
        let connection = arg("connection").map_or_else(
            || "Call list_connections and pick the connection whose database holds the data.".to_string(),
            |c| format!("Use the connection named {c:?} (find its id with list_connections)."),
        );
        let text = format!(
            "Build a Quarry SQL tool that answers: {question}\n\n\
             1. {connection}\n\
             2. Call list_tables, then list_columns for the tables that look relevant; note exact column names and types.\n\
             3. Write ONE read-only SELECT. Turn the values a user would vary into `:name` placeholders.\n\
             4. Call preview_sql with the SQL, sample `parameters` and matching `parameter_definitions`; fix the SQL until \
                the rows answer the question. Never guess column names: preview proves them.\n\
             5. Call create_tool with a snake_case `name`, a `description` saying when a model should use the tool, the \
                `connection_id`, the `sql_query` and one `parameters` entry (name, type, description) per placeholder.\n\
             6. Call deploy, then get_deploy_status to confirm the new release is active. Report the tool's name and the \
                release number."
        );
        let result = GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description("Schema → preview → create → deploy");
        Ok(result.into())
    }
}
