//! A loaded release: the validated manifest compiled into what the hot path
//! needs — tool descriptors in order, lookup maps, queues, metric handles,
//! the auth rule and the executor. Built once per (re)load, then shared
//! read-only behind an `Arc`, so in-flight calls keep the release they began on.

use std::collections::HashMap;
use std::sync::Arc;

use rmcp::model::{ListToolsResult, Tool as McpTool};
use shared_model::Problems;
use shared_model::manifest::Manifest;
use shared_model::secret::Keyring;

use crate::auth::AuthCheck;
use crate::exec::{Executor, ExecutorFactory};
use crate::metrics::{Metrics, ToolStats};
use crate::queue::ConnectionQueue;
use crate::server::schema;

/// One manifest, compiled.
pub struct Release {
    /// The manifest as published.
    pub manifest: Manifest,
    /// `tools/list`, built once, in manifest order.
    pub tool_list: Arc<ListToolsResult>,
    /// Tool name → where it is in the manifest and its metric handle.
    pub tools: HashMap<String, ToolEntry>,
    /// Resource name → metric handle (`resource:<name>`).
    pub resource_stats: HashMap<String, Arc<ToolStats>>,
    /// Connection id → admission queue.
    pub queues: HashMap<String, Arc<ConnectionQueue>>,
    /// The auth rule.
    pub auth: AuthCheck,
    /// Runs the SQL.
    pub executor: Arc<dyn Executor>,
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Release({} {})", self.manifest.release, self.manifest.content_hash)
    }
}

/// A tool of a release: where it is in the manifest and its metric handle.
pub struct ToolEntry {
    /// Index into `manifest.tools`.
    pub index: usize,
    /// Its counters.
    pub stats: Arc<ToolStats>,
}

/// What a release needs from the process to load.
pub struct LoadContext<'a> {
    /// `QUARRY_RUNTIME_KEY`, if set.
    pub runtime_key: Option<&'a str>,
    /// The process-wide metrics registry.
    pub metrics: &'a Metrics,
    /// Builds the executor.
    pub factory: &'a dyn ExecutorFactory,
    /// The release being replaced, whose queues and pools may be kept.
    pub previous: Option<&'a Release>,
}

impl Release {
    /// Validates and compiles `manifest`; `Err` lists every problem found.
    pub fn load(manifest: Manifest, cx: LoadContext<'_>) -> Result<Release, Problems> {
        manifest.validate()?;
        let mut problems = Problems::default();
        if manifest.sealed_secrets().next().is_some() {
            match cx.runtime_key.map(Keyring::from_base64_list) {
                Some(Ok(ring)) => {
                    if let Err(p) = manifest.check_secrets(&ring) {
                        problems.0.extend(p.0);
                    }
                }
                Some(Err(e)) => problems.push("QUARRY_RUNTIME_KEY", e.to_string()),
                None => problems.push("QUARRY_RUNTIME_KEY", "the manifest holds sealed secrets but no key is set"),
            }
        }
        let auth =
            AuthCheck::build_after(&manifest.auth, cx.runtime_key, cx.previous.map(|p| &p.auth)).unwrap_or_else(|e| {
                problems.push("auth", e);
                AuthCheck::Open
            });
        let executor = cx.factory.build(&manifest, cx.previous.map(|p| p.executor.clone())).map_err(|e| {
            let mut p = problems.clone();
            p.push("connections", e);
            p
        })?;
        problems.into_result()?;

        let mut queues = HashMap::new();
        for c in &manifest.connections {
            let kept = cx.previous.and_then(|p| p.queues.get(&c.id)).filter(|q| *q.settings() == c.queue);
            let queue = kept.cloned().unwrap_or_else(|| {
                Arc::new(ConnectionQueue::new(&c.id, c.queue.clone(), cx.metrics.connection(&c.id)))
            });
            queues.insert(c.id.clone(), queue);
        }
        let tools = manifest
            .tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), ToolEntry { index: i, stats: cx.metrics.tool(&t.name) }))
            .collect();
        let resource_stats = manifest
            .resources
            .iter()
            .map(|r| (r.name.clone(), cx.metrics.tool(&format!("resource:{}", r.name))))
            .collect();
        let listed: Vec<McpTool> = manifest.tools.iter().map(schema::mcp_tool).collect();
        let mut names: Vec<String> = manifest.tools.iter().map(|t| t.name.clone()).collect();
        names.extend(manifest.resources.iter().map(|r| format!("resource:{}", r.name)));
        let conn_ids: Vec<String> = manifest.connections.iter().map(|c| c.id.clone()).collect();
        cx.metrics.retain(&names, &conn_ids);
        Ok(Release {
            tool_list: Arc::new(ListToolsResult::with_all_items(listed)),
            tools,
            resource_stats,
            queues,
            auth,
            executor,
            manifest,
        })
    }
}
