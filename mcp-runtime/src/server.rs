//! The MCP server: an rmcp `ServerHandler` written by hand, because tools,
//! resources and prompts are data from the manifest, not Rust functions.
//! Every request reads the current [`Release`] once and finishes on it, so a
//! reload never changes a request half-way. The conformance suite's fixtures
//! are not here: [`FixturesServer`] wraps this handler when they are asked for.
//! A swap that changes what a client would list is announced to connected
//! clients ([`changes`]).

mod changes;
mod cursor;
pub mod direct;
mod fixtures;
mod observe;
mod prompts;
mod resources;
pub mod schema;
mod tools;
mod trace;

pub use changes::ListChanges;
pub use fixtures::FixturesServer;
pub use resources::match_template;

use std::sync::{Arc, RwLock};
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::*;
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use tokio::sync::broadcast;
use tracing::Instrument;

use crate::auth::{Access, AuthCheck, Principal, TokenUses};
use crate::cache::ResultCache;
use crate::exec::ExecutorFactory;
use crate::metrics::Metrics;
use crate::release::Release;

/// State shared by every session and request of one runtime process.
pub struct Shared {
    current: RwLock<Arc<Release>>,
    /// Process-wide metrics, surviving reloads.
    pub metrics: Arc<Metrics>,
    /// Tool result cache.
    pub cache: ResultCache,
    /// Builds executors on (re)load.
    pub factory: Arc<dyn ExecutorFactory>,
    /// `QUARRY_RUNTIME_KEY`.
    pub runtime_key: Option<String>,
    /// When the process started.
    pub started: Instant,
    /// List changes, fanned out to sessions and `subscriptions/listen` streams.
    changes: changes::Channel,
    /// MCP requests running now; shutdown waits for them (see [`crate::drain`]).
    pub in_flight: Arc<crate::drain::InFlight>,
    /// Where the auth rule comes from (the release, or the pulled access document).
    access: RwLock<Access>,
    /// The latest use of each accepted bearer token, for heartbeats.
    pub token_uses: TokenUses,
    /// The cached `/readyz` answer.
    pub ready: crate::ready::ReadyCache,
}

impl Shared {
    /// Wraps the first release.
    pub fn new(
        first: Release,
        metrics: Arc<Metrics>,
        factory: Arc<dyn ExecutorFactory>,
        runtime_key: Option<String>,
    ) -> Shared {
        Shared {
            current: RwLock::new(Arc::new(first)),
            metrics,
            cache: ResultCache::default(),
            factory,
            runtime_key,
            started: Instant::now(),
            changes: changes::Channel::new(),
            in_flight: Arc::default(),
            access: RwLock::new(Access::FromRelease),
            token_uses: TokenUses::default(),
            ready: crate::ready::ReadyCache::default(),
        }
    }

    /// Sets how long a `/readyz` answer is reused (before serving).
    pub fn with_ready_interval(mut self, interval: std::time::Duration) -> Shared {
        self.ready = crate::ready::ReadyCache::new(interval);
        self
    }

    /// Replaces where the auth rule comes from; takes effect on the next request.
    pub fn set_access(&self, access: Access) {
        match self.access.write() {
            Ok(mut a) => *a = access,
            Err(poisoned) => *poisoned.into_inner() = access,
        }
    }

    /// The auth rule in effect now: the pulled access document's, else the current release's.
    pub fn auth_rule(&self) -> AuthRule {
        let access = match self.access.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        match access {
            Access::FromRelease => AuthRule::Release(self.current()),
            Access::Pulled(check) => AuthRule::Pulled(check),
        }
    }

    /// The release serving new requests.
    pub fn current(&self) -> Arc<Release> {
        match self.current.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Makes `next` current; requests already running keep the old one.
    /// Connected clients are told which of their lists changed.
    pub fn swap(&self, next: Release) {
        let next = Arc::new(next);
        let previous = match self.current.write() {
            Ok(mut r) => std::mem::replace(&mut *r, next.clone()),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), next.clone()),
        };
        let changed = ListChanges::between(&previous, &next);
        if changed.any() {
            self.announce(changed);
        }
    }

    /// Tells every connected client that `changed` lists changed.
    pub fn announce(&self, changed: ListChanges) {
        self.changes.send(changed);
    }

    /// A receiver of the changes announced from now on.
    pub fn subscribe_changes(&self) -> broadcast::Receiver<ListChanges> {
        self.changes.subscribe()
    }
}

/// The auth rule in effect, held for the length of one request.
pub enum AuthRule {
    /// The current release's `auth`.
    Release(Arc<Release>),
    /// The pulled access document's.
    Pulled(Arc<AuthCheck>),
}

impl std::ops::Deref for AuthRule {
    type Target = AuthCheck;

    fn deref(&self) -> &AuthCheck {
        match self {
            AuthRule::Release(r) => &r.auth,
            AuthRule::Pulled(c) => c,
        }
    }
}

/// The per-session handler: a cheap clone of the shared state.
#[derive(Clone)]
pub struct QuarryServer {
    shared: Arc<Shared>,
}

impl QuarryServer {
    /// The handler over `shared`.
    pub fn new(shared: Arc<Shared>) -> QuarryServer {
        QuarryServer { shared }
    }

    /// Who is calling: the request log's name for them and, in oauth mode, their token.
    fn caller(&self, cx: &RequestContext<RoleServer>) -> observe::Caller {
        observe::client_of(cx)
    }

    /// In oauth mode, whether the caller's token covers an entity's scopes
    /// (`None`: everything is visible).
    fn visible(&self, cx: &RequestContext<RoleServer>) -> Option<impl Fn(&[String]) -> bool + use<>> {
        self.visible_to(observe::client_of(cx).principal)
    }

    /// [`Self::visible`] for the caller holding `principal`.
    fn visible_to(&self, principal: Option<Arc<Principal>>) -> Option<impl Fn(&[String]) -> bool + use<>> {
        let rule = self.shared.auth_rule().oauth()?.clone();
        Some(move |scopes: &[String]| {
            principal.as_ref().is_some_and(|p| crate::auth::scopes::allowed(&rule, p, scopes))
        })
    }

    /// In oauth mode, refuses a call the caller's token does not cover (the
    /// HTTP layer already answered 403 for it; this holds whatever the transport).
    fn permit(&self, cx: &RequestContext<RoleServer>, scopes: &[String]) -> Result<(), ErrorData> {
        let Some(visible) = self.visible(cx) else { return Ok(()) };
        if visible(scopes) {
            return Ok(());
        }
        Err(ErrorData::invalid_request("insufficient_scope: the access token does not cover this call", None))
    }
}

impl ServerHandler for QuarryServer {
    fn get_info(&self) -> ServerConfig {
        let release = self.shared.current();
        let s = &release.manifest.server;
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_resources()
            .enable_resources_list_changed()
            .enable_prompts()
            .enable_prompts_list_changed()
            .enable_completions()
            .build();
        let mut info = ServerConfig::new(caps).with_server_info(Implementation::new(s.name.clone(), s.version.clone()));
        if let Some(i) = &s.instructions {
            info = info.with_instructions(i.clone());
        }
        info
    }

    async fn on_initialized(&self, cx: NotificationContext<RoleServer>) {
        changes::follow_session(self.shared.subscribe_changes(), cx.peer);
    }

    fn accepted_subscription_filter(&self, requested: &SubscriptionFilter) -> Option<SubscriptionFilter> {
        Some(changes::accepted_filter(&self.shared.changes, requested))
    }

    async fn listen(&self, cx: SubscriptionContext) -> Result<(), ErrorData> {
        changes::listen(&self.shared.changes, cx).await
    }

    async fn list_tools(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let release = self.shared.current();
        let mut list = (*release.tool_list).clone();
        if let Some(visible) = self.visible(&cx) {
            let tools = &release.manifest.tools;
            list.tools.retain(|t| tools.iter().any(|m| m.name == t.name && visible(&m.scopes)));
        }
        Ok(list)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let span = trace::request_span(&cx, "tools/call");
        span.record("mcp.tool.name", request.name.as_ref());
        let release = self.shared.current();
        let caller = self.caller(&cx);
        let tool = release.manifest.tools.iter().find(|t| t.name == request.name.as_ref());
        if let Some(t) = tool {
            self.permit(&cx, &t.scopes)?;
        }
        let args = request.arguments.unwrap_or_default();
        tools::call(&self.shared, release, &request.name, args, cx.ct, caller).instrument(span).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let release = self.shared.current();
        let mut list = resources::list(&release);
        if let Some(visible) = self.visible(&cx) {
            let all = &release.manifest.resources;
            list.resources
                .retain(|r| all.iter().any(|m| m.uri.as_deref() == Some(r.uri.as_str()) && visible(&m.scopes)));
        }
        Ok(list)
    }

    async fn list_resource_templates(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let release = self.shared.current();
        let mut list = resources::templates(&release);
        if let Some(visible) = self.visible(&cx) {
            let all = &release.manifest.resources;
            list.resource_templates.retain(|r| {
                all.iter().any(|m| m.uri_template.as_deref() == Some(r.uri_template.as_str()) && visible(&m.scopes))
            });
        }
        Ok(list)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let span = trace::request_span(&cx, "resources/read");
        span.record("mcp.resource.uri", request.uri.as_str());
        let release = self.shared.current();
        if let Some(rule) = self.shared.auth_rule().oauth()
            && let Some(scopes) = crate::auth::scopes::required(rule, &release.manifest, "resources/read", &request.uri)
        {
            self.permit(&cx, scopes)?;
        }
        let caller = self.caller(&cx);
        let read = resources::read(&self.shared, release, &request.uri, cx.ct, caller);
        read.instrument(span).await.map(Into::into)
    }

    async fn list_prompts(
        &self,
        _r: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let release = self.shared.current();
        let mut list = prompts::list(&release);
        if let Some(visible) = self.visible(&cx) {
            let all = &release.manifest.prompts;
            list.prompts.retain(|p| all.iter().any(|m| m.name == p.name && visible(&m.scopes)));
        }
        Ok(list)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let span = trace::request_span(&cx, "prompts/get");
        span.record("mcp.prompt.name", request.name.as_str());
        let _entered = span.enter(); // nothing below awaits
        let release = self.shared.current();
        if let Some(p) = release.manifest.prompts.iter().find(|p| p.name == request.name) {
            self.permit(&cx, &p.scopes)?;
        }
        let started = Instant::now();
        let out = prompts::get(&release, &request);
        if release.manifest.prompts.iter().any(|p| p.name == request.name) {
            let finished = crate::metrics::FinishedCall {
                subject: shared_model::telemetry::Subject::Prompt,
                name: &request.name,
                connection: "",
                elapsed: started.elapsed(),
                rows: 0,
                bytes: 0,
                cached: false,
                error_class: out.as_ref().err().map(|_| "invalid_argument"),
            };
            let arguments = || serde_json::to_value(&request.arguments).unwrap_or_default();
            observe::finished(
                &self.shared,
                &release,
                finished,
                observe::Spent::default(),
                observe::client_of(&cx).client,
                arguments,
            );
        }
        out.map(Into::into)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        prompts::complete(&self.shared.current(), &request)
    }
}
