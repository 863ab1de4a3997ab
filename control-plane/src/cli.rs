//! The `quarry` command line: `serve` (default), `migrate`, `openapi`,
//! `admin reset-password`, `admin disable-2fa`, `oauth rotate-key`, `healthcheck`, `export`, `apply`.

mod apply;

use std::io::BufRead;

use anyhow::{Context, bail};

use crate::{Application, Config, api, auth, storage};

const USAGE: &str = "usage: quarry [serve | migrate | openapi | healthcheck | export | apply FILE | admin reset-password [--username NAME] [--password-stdin] | admin disable-2fa | oauth rotate-key]
  serve                  run the control plane (default)
  migrate                create or upgrade the store, then exit
  openapi                print the OpenAPI document
  healthcheck [--url URL]
                         exit 0 when the local control plane (or the one at URL) answers /api/health
  export [--format yaml|json]
                         print the configuration document (no passwords, secrets or tokens; YAML by default);
                         export --schema prints its JSON Schema
  apply FILE [--dry-run] [--prune]
                         make the store match FILE (YAML or JSON) in one transaction: print the plan, then apply
                         it (--dry-run: only print it; --prune: also delete what FILE no longer has);
                         passwords may be ${VAR} references to this process's environment
  admin reset-password   set the admin password (from QUARRY_ADMIN_PASSWORD or one line of stdin; the name from
                         --username or QUARRY_ADMIN_USERNAME, else unchanged); ends every session
  admin disable-2fa      turn two-factor login off (a lost authenticator and no recovery codes); ends every
                         session
  oauth rotate-key       make a new current OAuth signing key in the data directory; the previous key stays in
                         the JWKS until the tokens it signed expire (QUARRY_OAUTH_TOKEN_TTL_SECONDS + 60 s);
                         a running control plane switches on its next token request";

/// Runs the command named by `args` (without the program name).
pub async fn run(args: &[String]) -> anyhow::Result<()> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => Application::build(Config::from_env()?).await?.run().await,
        ["migrate"] => {
            storage::connect(&Config::from_env()?.database_url).await?;
            println!("The store is up to date.");
            Ok(())
        }
        ["openapi"] => {
            println!("{}", api::openapi_document().to_pretty_json()?);
            Ok(())
        }
        ["healthcheck"] => healthcheck(&Config::from_env()?).await,
        ["healthcheck", "--url", url] => healthcheck_url(url).await,
        ["admin", "reset-password", rest @ ..] => reset_password(rest).await,
        ["admin", "disable-2fa"] => disable_two_factor().await,
        ["oauth", "rotate-key"] => {
            let config = Config::from_env()?;
            let keep = crate::oauth::OAuthServer::keep_retired_for(config.agent.oauth_token_ttl_seconds);
            let kid = crate::oauth::keys::rotate(&config.data_dir, keep)?;
            println!("{}", serde_json::json!({"kid": kid, "previous_key_kept_seconds": keep.num_seconds()}));
            Ok(())
        }
        ["export", rest @ ..] => apply::export(rest).await,
        ["apply", rest @ ..] => apply::apply(rest).await,
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("unknown command {:?}\n{USAGE}", words.join(" ")),
    }
}

async fn reset_password(rest: &[&str]) -> anyhow::Result<()> {
    let mut username = None;
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "--username" => username = Some(it.next().context("--username needs a value")?.to_string()),
            "--password-stdin" => {}
            other => bail!("unknown option {other:?}\n{USAGE}"),
        }
    }
    let password = match std::env::var("QUARRY_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprintln!("New admin password (one line on stdin):");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let username = username.or_else(|| std::env::var("QUARRY_ADMIN_USERNAME").ok().filter(|u| !u.is_empty()));
    // The bootstrap-admin variables are this command's input, not a bootstrap request.
    let config = Config::from_source(|k| if k.starts_with("QUARRY_ADMIN_") { None } else { std::env::var(k).ok() })?;
    let db = storage::connect(&config.database_url).await?;
    let name = auth::reset_password(&db, username.as_deref(), &password).await?;
    println!("The password of {name:?} was reset; every session was ended.");
    Ok(())
}

async fn disable_two_factor() -> anyhow::Result<()> {
    let config = Config::from_source(|k| if k.starts_with("QUARRY_ADMIN_") { None } else { std::env::var(k).ok() })?;
    let db = storage::connect(&config.database_url).await?;
    let (name, was_on) = auth::disable_two_factor(&db).await?;
    if was_on {
        println!("Two-factor login of {name:?} is off; every session was ended. Log in with the password alone.");
    } else {
        println!("Two-factor login of {name:?} was not on; every session was ended.");
    }
    Ok(())
}

/// `GET URL/api/health` must answer 2xx: how a Helm test pod checks the
/// control plane through its Service.
async fn healthcheck_url(url: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build()?;
    let status = client.get(format!("{}/api/health", url.trim_end_matches('/'))).send().await?.status();
    if status.is_success() { Ok(()) } else { bail!("unhealthy: {url} answered {status}") }
}

/// A plain HTTP/1.1 GET of `/api/health`, so images without curl can check themselves.
async fn healthcheck(config: &Config) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    if config.tls.files.is_some() {
        // Liveness over loopback: the certificate names the public host.
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(std::time::Duration::from_secs(3))
            .build()?;
        let status = client.get(format!("https://{addr}/api/health")).send().await?.status();
        return if status.is_success() { Ok(()) } else { bail!("unhealthy: {status}") };
    }
    let mut stream =
        tokio::time::timeout(std::time::Duration::from_secs(3), tokio::net::TcpStream::connect(addr)).await??;
    // The address itself as Host: an IP literal passes any QUARRY_ALLOWED_HOSTS.
    let request = format!("GET /api/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    if response.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        bail!("unhealthy: {}", response.lines().next().unwrap_or(""))
    }
}
