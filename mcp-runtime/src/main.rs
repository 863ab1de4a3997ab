//! `quarry-runtime`: serves one manifest over MCP. `quarry-runtime schema`
//! prints the manifest JSON Schema; `quarry-runtime healthcheck` exits 0 when
//! the local runtime answers `/healthz` (`--url BASE` checks a remote one with
//! an MCP `initialize`).

use std::io::Write;
use std::sync::Arc;

use mcp_runtime::app::Application;
use mcp_runtime::config::{ProcessEnv, RuntimeConfig};
use mcp_runtime::engine_adapter::EngineFactory;
use shared_model::manifest::Manifest;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "schema") {
        let schema = serde_json::to_string_pretty(&Manifest::json_schema())?;
        let _ = writeln!(std::io::stdout(), "{schema}"); // a closed pipe is not an error here
        return Ok(());
    }
    if args.first().is_some_and(|a| a == "healthcheck") {
        let outcome = match args.get(1..).unwrap_or_default() {
            [] => mcp_runtime::healthcheck::check(&ProcessEnv),
            [flag, url] if flag == "--url" => mcp_runtime::healthcheck::check_mcp(url),
            _ => Err("usage: quarry-runtime healthcheck [--url BASE_URL]".into()),
        };
        if let Err(e) = outcome {
            eprintln!("unhealthy: {e}");
            std::process::exit(1);
        }
        return Ok(());
    }
    // reqwest (pull mode) and the database drivers share one rustls provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = RuntimeConfig::load(&args, &ProcessEnv)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(config.workers).enable_all().build()?;
    runtime.block_on(async {
        // On the runtime: the trace exporter's batches are sent by a task.
        let traces = mcp_runtime::logging::init(mcp_runtime::logging::Stream::Stdout, "quarry-runtime");
        let factory = EngineFactory::new(config.runtime_key.as_ref().map(|k| k.0.as_str()));
        let app = Application::build(config, Arc::new(factory)).await?;
        tracing::info!(port = app.port(), "quarry-runtime is serving /mcp.");
        let served = app.run().await;
        if let Some(traces) = traces {
            traces.shut_down().await;
        }
        served?;
        Ok(())
    })
}
