//! The MCP server: an rmcp `ServerHandler` written by hand, because tools,
//! resources and prompts are data from the manifest, not Rust functions.
//! Every request reads the current [`Release`] once and finishes on it, so a
//! reload never changes a request half-way.

mod fixtures;
mod prompts;
mod resources;
pub mod schema;
mod tools;

use std::sync::{Arc, RwLock};
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::*;
use rmcp::service::{RequestContext, RoleServer};

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
    /// Serve the conformance suite's fixtures too (tests only).
    pub fixtures: bool,
    /// When the process started.
    pub started: Instant,
}

impl Shared {
    /// Wraps the first release.
    pub fn new(
        first: Release,
        metrics: Arc<Metrics>,
        factory: Arc<dyn ExecutorFactory>,
        runtime_key: Option<String>,
        fixtures: bool,
    ) -> Shared {
        Shared {
            current: RwLock::new(Arc::new(first)),
            metrics,
            cache: ResultCache::default(),
            factory,
            runtime_key,
            fixtures,
            started: Instant::now(),
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
    pub fn swap(&self, next: Release) {
        let next = Arc::new(next);
        match self.current.write() {
            Ok(mut r) => *r = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// The per-session handler: a cheap clone of the shared state.
#[derive(Clone)]
pub struct QuarryServer(pub Arc<Shared>);

#[allow(deprecated)] // logging/subscribe are legacy-only but conformance still exercises them
impl ServerHandler for QuarryServer {
    fn get_info(&self) -> ServerConfig {
        let release = self.0.current();
        let s = &release.manifest.server;
        let builder =
            ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().enable_completions();
        let mut caps = if self.0.fixtures { builder.enable_logging().build() } else { builder.build() };
        if self.0.fixtures {
            caps = fixtures::capabilities(caps);
        }
        let mut info = ServerConfig::new(caps).with_server_info(Implementation::new(s.name.clone(), s.version.clone()));
        if let Some(i) = &s.instructions {
            info = info.with_instructions(i.clone());
        }
        info
    }

    async fn list_tools(
        &self,
        _r: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let release = self.0.current();
        if self.0.fixtures {
            let mut list = (*release.tool_list).clone();
            list.tools.extend(fixtures::tools());
            return Ok(list);
        }
        Ok((*release.tool_list).clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let release = self.0.current();
        if self.0.fixtures && !release.tools.contains_key(request.name.as_ref()) {
            return fixtures::call_tool(request, cx).await.map(Into::into);
        }
        tools::call(&self.0, release, request, cx.ct).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        _r: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut list = resources::list(&self.0.current());
        if self.0.fixtures {
            list.resources.extend(fixtures::resources());
        }
        Ok(list)
    }

    async fn list_resource_templates(
        &self,
        _r: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let mut list = resources::templates(&self.0.current());
        if self.0.fixtures {
            list.resource_templates.extend(fixtures::resource_templates());
        }
        Ok(list)
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        if self.0.fixtures
            && let Some(r) = fixtures::read_resource(&request.uri)
        {
            return Ok(r.into());
        }
        resources::read(&self.0, self.0.current(), &request.uri, cx.ct).await.map(Into::into)
    }

    async fn list_prompts(
        &self,
        _r: Option<PaginatedRequestParams>,
        _cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let mut list = prompts::list(&self.0.current());
        if self.0.fixtures {
            list.prompts.extend(fixtures::prompts());
        }
        Ok(list)
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let release = self.0.current();
        if self.0.fixtures && !release.manifest.prompts.iter().any(|p| p.name == request.name) {
            return fixtures::get_prompt(&request).map(Into::into);
        }
        prompts::get(&release, &request).map(Into::into)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        if self.0.fixtures
            && let Some(r) = fixtures::complete(&request)
        {
            return Ok(r);
        }
        prompts::complete(&self.0.current(), &request)
    }

    async fn set_level(&self, _r: SetLevelRequestParams, _cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        if self.0.fixtures { Ok(()) } else { Err(ErrorData::method_not_found::<SetLevelRequestMethod>()) }
    }

    async fn subscribe(&self, _r: SubscribeRequestParams, _cx: RequestContext<RoleServer>) -> Result<(), ErrorData> {
        if self.0.fixtures { Ok(()) } else { Err(ErrorData::method_not_found::<SubscribeRequestMethod>()) }
    }

    async fn unsubscribe(
        &self,
        _r: UnsubscribeRequestParams,
        _cx: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.0.fixtures { Ok(()) } else { Err(ErrorData::method_not_found::<UnsubscribeRequestMethod>()) }
    }
}
