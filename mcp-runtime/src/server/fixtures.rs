//! Test-only fixtures for the MCP conformance suite (`QUARRY_RUNTIME_CONFORMANCE_FIXTURES=1`).
//! The static resources and text prompts come from a fixture manifest
//! (`tests/fixtures/manifests/valid/conformance.json`); what a SQL manifest
//! cannot express — image, audio and embedded content, logging, progress,
//! sampling, elicitation, subscriptions — is added by [`FixturesServer`], a
//! handler that wraps the production [`QuarryServer`] on the same transport
//! and hands it everything that is not a fixture. The production handler
//! knows nothing of them. The fixtures of protocol revision 2026-07-28 are in
//! [`stateless`].

#![allow(deprecated)] // logging, subscribe and sampling are legacy (SEP-2577) but conformance still tests them

use std::time::Duration;

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::*;
use rmcp::service::{RequestContext, RoleServer};
use serde_json::{Value, json};

use super::QuarryServer;

mod stateless;

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=";

const TOOLS: [(&str, &str, Option<&str>); 12] = [
    ("test_simple_text", "Returns simple text content", None),
    ("test_image_content", "Returns image content", None),
    ("test_audio_content", "Returns audio content", None),
    ("test_embedded_resource", "Returns embedded resource content", None),
    ("test_multiple_content_types", "Returns multiple content types", None),
    ("test_tool_with_logging", "Sends logging notifications during execution", None),
    ("test_error_handling", "Always returns an error", None),
    ("test_tool_with_progress", "Reports progress notifications", None),
    ("test_sampling", "Requests LLM sampling from client", Some("prompt")),
    ("test_elicitation", "Requests user input from client", Some("message")),
    ("test_elicitation_sep1034_defaults", "Tests elicitation with default values", None),
    ("test_elicitation_sep1330_enums", "Tests enum schema improvements", None),
];

/// The production handler plus the conformance fixtures. It overrides
/// exactly the methods [`QuarryServer`] implements (a manifest tool, resource
/// or prompt always wins over a fixture of the same name), adds logging and
/// resource subscriptions, and leaves the rest to rmcp's defaults, which read
/// this handler's [`ServerHandler::get_info`].
#[derive(Clone)]
pub struct FixturesServer {
    inner: QuarryServer,
    codec: stateless::StateCodec,
}

impl FixturesServer {
    /// Wraps the production handler.
    pub fn new(inner: QuarryServer) -> FixturesServer {
        FixturesServer { inner, codec: stateless::StateCodec::new() }
    }
}

impl ServerHandler for FixturesServer {
    fn get_info(&self) -> ServerConfig {
        let mut info = self.inner.get_info();
        info.capabilities.logging = Some(Default::default());
        if let Some(r) = info.capabilities.resources.as_mut() {
            r.subscribe = Some(true);
        }
        info
    }

    async fn list_tools(
        &self,
        r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut list = self.inner.list_tools(r, cx).await?;
        list.tools.extend(tools());
        list.tools.extend(stateless::tools());
        Ok(list)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        stateless::header_tool(name)
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        self.inner.accepted_subscription_filter(requested)
    }

    async fn listen(&self, cx: rmcp::service::SubscriptionContext) -> Result<(), ErrorData> {
        Box::pin(self.inner.listen(cx)).await
    }

    async fn on_initialized(&self, cx: rmcp::service::NotificationContext<RoleServer>) {
        self.inner.on_initialized(cx).await
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // rmcp moves each request's future into a task of its own, and its
        // size is that of the largest method future: the fixtures' state
        // machines (elicitation, sampling, progress) are boxed so that every
        // call, the benchmark's no-database one included, stays small to move.
        if self.inner.shared.current().tools.contains_key(request.name.as_ref()) {
            return Box::pin(self.inner.call_tool(request, cx)).await;
        }
        if let Some(outcome) = Box::pin(stateless::call(&self.inner.shared, &self.codec, &request, &cx)).await {
            return outcome;
        }
        Box::pin(call_tool(request, cx)).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.inner.list_resources(r, cx).await
    }

    async fn list_resource_templates(
        &self,
        r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.inner.list_resource_templates(r, cx).await
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        match read_resource(&request.uri) {
            Some(r) => Ok(r.into()),
            None => self.inner.read_resource(request, cx).await,
        }
    }

    async fn list_prompts(
        &self,
        r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut list = self.inner.list_prompts(r, cx).await?;
        list.prompts.extend(prompts());
        list.prompts.push(stateless::prompt());
        Ok(list)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if self.inner.shared.current().manifest.prompts.iter().any(|p| p.name == request.name) {
            return self.inner.get_prompt(request, cx).await;
        }
        if request.name == stateless::prompt().name {
            return stateless::get_prompt(&request);
        }
        get_prompt(&request).map(Into::into)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        self.inner.complete(request, cx).await
    }

    async fn set_level(&self, _r: SetLevelRequestParams, _cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn subscribe(&self, _r: SubscribeRequestParams, _cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        Ok(())
    }

    async fn unsubscribe(
        &self,
        _r: UnsubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Ok(())
    }
}

/// The fixture tools.
fn tools() -> Vec<Tool> {
    TOOLS
        .iter()
        .map(|(name, desc, arg)| {
            let schema = match arg {
                Some(a) => json!({"type": "object", "properties": {*a: {"type": "string"}}, "required": [a]}),
                None => json!({"type": "object", "properties": {}}),
            };
            let Value::Object(schema) = schema else { unreachable!("a JSON object literal") };
            Tool::new(*name, *desc, schema)
        })
        .collect()
}

fn text(t: impl Into<String>) -> ContentBlock {
    ContentBlock::text(t)
}

fn embedded(uri: &str, mime: &str, body: &str) -> ContentBlock {
    ContentBlock::resource(ResourceContents::text(body, uri).with_mime_type(mime))
}

/// The fixture tools whose result is fixed content: no arguments, no peer,
/// so the direct path ([`super::direct`]) may answer them.
pub(super) fn content_only(name: &str) -> Option<CallToolResult> {
    let ok = |c: Vec<ContentBlock>| Some(CallToolResult::success(c));
    match name {
        "test_simple_text" => ok(vec![text("This is a simple text response for testing.")]),
        "test_image_content" => ok(vec![ContentBlock::image(PNG, "image/png")]),
        "test_audio_content" => ok(vec![ContentBlock::audio(WAV, "audio/wav")]),
        "test_embedded_resource" => {
            ok(vec![embedded("test://embedded-resource", "text/plain", "This is an embedded resource content.")])
        }
        "test_multiple_content_types" => ok(vec![
            text("Multiple content types test:"),
            ContentBlock::image(PNG, "image/png"),
            embedded("test://mixed-content-resource", "application/json", r#"{"test":"data","value":123}"#),
        ]),
        "test_error_handling" => {
            Some(CallToolResult::error(vec![text("This tool intentionally returns an error for testing")]))
        }
        _ => None,
    }
}

/// Calls a fixture tool; unknown names are a JSON-RPC error.
async fn call_tool(
    request: CallToolRequestParams,
    cx: RequestContext<RoleServer>,
) -> Result<CallToolResult, ErrorData> {
    if let Some(result) = content_only(request.name.as_ref()) {
        return Ok(result);
    }
    let args = request.arguments.unwrap_or_default();
    let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let ok = |c: Vec<ContentBlock>| Ok(CallToolResult::success(c));
    match request.name.as_ref() {
        "test_tool_with_logging" => {
            for msg in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
                if !stateless::may_log(&cx, LoggingLevel::Info) {
                    break;
                }
                let note = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(msg)).with_logger("quarry");
                let _ = cx.peer.notify_logging_message(note).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ok(vec![text("Logging test completed")])
        }
        "test_tool_with_progress" => {
            let token = cx.meta.get_progress_token();
            for (p, m) in [(0.0, "Starting"), (50.0, "Halfway"), (100.0, "Complete")] {
                if let Some(t) = &token {
                    let _ = cx
                        .peer
                        .notify_progress(ProgressNotificationParam::new(t.clone(), p).with_total(100.0).with_message(m))
                        .await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            ok(vec![text("Progress test completed")])
        }
        "test_sampling" => {
            let params = CreateMessageRequestParams::new(vec![SamplingMessage::user_text(arg("prompt"))], 100);
            match cx.peer.create_message(params).await {
                Ok(r) => {
                    let reply =
                        r.message.content.first().and_then(|c| c.as_text()).map(|t| t.text.clone()).unwrap_or_default();
                    ok(vec![text(format!("LLM response: {reply}"))])
                }
                Err(e) => Ok(CallToolResult::error(vec![text(format!("Sampling error: {e}"))])),
            }
        }
        "test_elicitation" => elicit(&cx, &arg("message"), elicitation_schema(0)).await,
        "test_elicitation_sep1034_defaults" => {
            elicit(&cx, "Please provide values (all have defaults)", elicitation_schema(1)).await
        }
        "test_elicitation_sep1330_enums" => elicit(&cx, "Test enum schema improvements", elicitation_schema(2)).await,
        other => Err(ErrorData::invalid_params(format!("unknown tool: {other}"), None)),
    }
}

fn elicitation_schema(which: u8) -> Value {
    match which {
        0 => json!({"type": "object", "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"}}, "required": ["username", "email"]}),
        1 => json!({"type": "object", "properties": {
            "name": {"type": "string", "description": "User's name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User's age", "default": 30},
            "score": {"type": "number", "description": "User's score", "default": 95.5},
            "status": {"type": "string", "description": "User's status", "enum": ["active", "inactive", "pending"], "default": "active"},
            "verified": {"type": "boolean", "description": "Whether user is verified", "default": true}}}),
        _ => json!({"type": "object", "properties": {
            "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
            "titledSingle": {"type": "string", "oneOf": [
                {"const": "value1", "title": "First Option"}, {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"}]},
            "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"]},
            "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
            "titledMulti": {"type": "array", "items": {"anyOf": [
                {"const": "value1", "title": "First Choice"}, {"const": "value2", "title": "Second Choice"},
                {"const": "value3", "title": "Third Choice"}]}}}}),
    }
}

async fn elicit(cx: &RequestContext<RoleServer>, message: &str, schema: Value) -> Result<CallToolResult, ErrorData> {
    let schema = serde_json::from_value(schema).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    let params =
        ElicitRequestParams::FormElicitationParams { meta: None, message: message.into(), requested_schema: schema };
    match cx.peer.create_elicitation(params).await {
        Ok(r) => Ok(CallToolResult::success(vec![text(format!(
            "Elicitation completed: action={:?}, content={:?}",
            r.action, r.content
        ))])),
        Err(e) => Ok(CallToolResult::error(vec![text(format!("Elicitation error: {e}"))])),
    }
}

/// `test://watched-resource` exists for the subscribe scenarios.
fn read_resource(uri: &str) -> Option<ReadResourceResult> {
    (uri == "test://watched-resource").then(|| {
        ReadResourceResult::new(vec![
            ResourceContents::text("Watched resource content", uri).with_mime_type("text/plain"),
        ])
    })
}

/// The prompts with image and embedded-resource content.
fn prompts() -> Vec<Prompt> {
    vec![
        Prompt::new(
            "test_prompt_with_embedded_resource",
            Some("A test prompt that includes an embedded resource"),
            None,
        ),
        Prompt::new("test_prompt_with_image", Some("A test prompt that includes an image"), None),
    ]
}

/// Renders the fixture prompts.
fn get_prompt(request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    match request.name.as_str() {
        "test_prompt_with_embedded_resource" => Ok(GetPromptResult::new(vec![
            PromptMessage::new_text(Role::User, "Here is a resource:"),
            PromptMessage::new(Role::User, embedded("test://static-text", "text/plain", "Resource content for prompt")),
        ])),
        "test_prompt_with_image" => Ok(GetPromptResult::new(vec![
            PromptMessage::new_text(Role::User, "Here is an image:"),
            PromptMessage::new(Role::User, ContentBlock::image(PNG, "image/png")),
        ])),
        other => Err(ErrorData::invalid_params(format!("unknown prompt: {other}"), None)),
    }
}
