//! `quarry`: the control plane binary.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Several crates bring rustls; pick the one provider explicitly before any TLS use (the trace exporter's too).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let traces = mcp_runtime::logging::init(mcp_runtime::logging::Stream::Stderr, "quarry");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = control_plane::cli::run(&args).await;
    if let Some(traces) = traces {
        traces.shut_down().await;
    }
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quarry: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
