//! `quarry`: the control plane binary.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    mcp_runtime::logging::init(mcp_runtime::logging::Stream::Stderr);
    // Several crates bring rustls; pick the one provider explicitly before any TLS use.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match control_plane::cli::run(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quarry: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
