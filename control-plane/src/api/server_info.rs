//! `/server/health`, `/server/generated` and `/server/connect`: is the runtime
//! up and on the latest release, what it serves (secrets masked), and how to
//! point MCP clients at it.

use std::time::Duration;

use axum::extract::State;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::connections::MASK;
use crate::app::AppState;
use crate::deploy::deployer::Target;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::AppJson;
use crate::settings::AuthMode;
use crate::storage::{releases as store, settings};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(server_health)).routes(routes!(generated)).routes(routes!(connect))
}

/// The runtime's health as the control plane sees it.
#[derive(Serialize, ToSchema)]
pub struct RuntimeHealth {
    /// Whether a runtime answered (local, docker: its `/readyz`; kubernetes: a recent heartbeat).
    pub reachable: bool,
    /// The release the runtime serves.
    pub served_release: Option<u64>,
    /// The release it should serve.
    pub active_release: Option<i64>,
    /// Whether it serves the active release.
    pub up_to_date: bool,
    /// What was checked and what it said.
    pub detail: String,
}

async fn probe(url: &str) -> Result<Option<u64>, String> {
    // Liveness over loopback: the runtime's certificate names its public host.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .tls_danger_accept_invalid_certs(true)
        .build()
        .map_err(|e| e.to_string())?;
    let res = client.get(url).send().await.map_err(|e| format!("{url} did not answer: {e}"))?;
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {}", body["detail"].as_str().unwrap_or("not ready")));
    }
    Ok(body["release"].as_u64())
}

#[utoipa::path(get, path = "/server/health", tag = "server", security(("session" = [])),
    responses((status = 200, body = RuntimeHealth), (status = 401, body = ErrorBody)))]
async fn server_health(State(s): State<AppState>) -> ApiResult<AppJson<RuntimeHealth>> {
    let state = store::state(&s.db).await?;
    let active = state.active_release.filter(|_| !state.stopped);
    let (reachable, served, detail) = if s.deploy.target() == Target::Kubernetes {
        let live = s.deploy.hub().live();
        let served = live.iter().filter_map(|i| i.release).min();
        (!live.is_empty(), served, format!("{} runtime(s) sent a heartbeat in the last 90 s", live.len()))
    } else {
        let bind = s.deploy.config.runtime_bind;
        let host = if bind.ip().is_unspecified() { "127.0.0.1".into() } else { bind.ip().to_string() };
        let scheme = if s.deploy.config.runtime_tls.is_some() { "https" } else { "http" };
        let host = if host.contains(':') { format!("[{host}]") } else { host };
        let url = format!("{scheme}://{host}:{}/readyz", bind.port());
        match probe(&url).await {
            Ok(release) => (true, release, format!("{url} answered ready")),
            Err(e) => (false, None, e),
        }
    };
    let up_to_date = active.is_some() && served == active.map(|n| n as u64);
    Ok(AppJson(RuntimeHealth { reachable, served_release: served, active_release: active, up_to_date, detail }))
}

#[utoipa::path(get, path = "/server/generated", tag = "server", security(("session" = [])),
    description = "The manifest of the active release, as runtimes get it, with every secret masked.",
    responses((status = 200, description = "Manifest v1", body = Object), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn generated(State(s): State<AppState>) -> ApiResult<AppJson<Value>> {
    let state = store::state(&s.db).await?;
    let number = state.active_release.ok_or_else(|| ApiError::NotFound("nothing deployed yet".into()))?;
    let release = store::get(&s.db, number).await?;
    let mut manifest: Value = serde_json::from_str(&release.manifest).map_err(ApiError::internal)?;
    mask(&mut manifest);
    Ok(AppJson(manifest))
}

/// Replaces sealed passwords and token hashes with the mask.
pub fn mask(manifest: &mut Value) {
    for c in manifest["connections"].as_array_mut().into_iter().flatten() {
        if c.get("password").is_some() {
            c["password"] = json!(MASK);
        }
    }
    for t in manifest["auth"]["tokens"].as_array_mut().into_iter().flatten() {
        t["hash"] = json!(MASK);
    }
}

/// Ready-to-paste client configurations.
#[derive(Serialize, ToSchema)]
pub struct ConnectInfo {
    /// The MCP endpoint.
    pub url: String,
    /// The server's key in the client configurations (the server name as a slug).
    pub name: String,
    /// `none` or `bearer`.
    pub auth_mode: AuthMode,
    /// The placeholder to replace with a token from `POST /server/tokens` (bearer only).
    pub token_placeholder: Option<String>,
    /// One entry per client.
    pub clients: Vec<ClientConfig>,
}

/// How one client is configured.
#[derive(Serialize, ToSchema)]
pub struct ClientConfig {
    /// `claude_code`, `cursor`, `claude_desktop`, `vscode`, `windsurf`, or (auth mode `oauth`) `python_sdk`.
    pub client: &'static str,
    /// Where it goes: a shell, or a file.
    pub target: &'static str,
    /// `shell` (run it), `json` (merge into the file) or `python` (a script to save and run).
    pub format: &'static str,
    /// The command or file content.
    pub config: String,
}

const TOKEN: &str = "<YOUR_TOKEN>";

#[utoipa::path(get, path = "/server/connect", tag = "server", security(("session" = [])),
    description = "Configurations for Claude Code, Cursor, Claude Desktop, VS Code and Windsurf with the real URL and auth header.",
    responses((status = 200, body = ConnectInfo), (status = 401, body = ErrorBody)))]
async fn connect(State(s): State<AppState>) -> ApiResult<AppJson<ConnectInfo>> {
    let (settings, _) = settings::load(&s.db).await?;
    let url = settings.mcp_url(&s.deploy.config.runtime_url());
    let name = slug(&settings.server_name);
    let bearer = settings.auth_mode == AuthMode::Bearer;
    let mut clients = clients(&name, &url, bearer);
    if settings.auth_mode == AuthMode::Oauth {
        clients.push(python_sdk(&url));
    }
    Ok(AppJson(ConnectInfo {
        clients,
        url,
        name,
        auth_mode: settings.auth_mode,
        token_placeholder: bearer.then(|| TOKEN.into()),
    }))
}

fn pretty(v: Value) -> String {
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn clients(name: &str, url: &str, bearer: bool) -> Vec<ClientConfig> {
    let auth = format!("Bearer {TOKEN}");
    let headers = if bearer { json!({"Authorization": auth}) } else { json!({}) };
    let claude_code = if bearer {
        format!("claude mcp add --transport http {name} {url} --header \"Authorization: {auth}\"")
    } else {
        format!("claude mcp add --transport http {name} {url}")
    };
    let mut remote_args = vec![json!("-y"), json!("mcp-remote"), json!(url)];
    if bearer {
        remote_args.extend([json!("--header"), json!("Authorization:${AUTH_HEADER}")]);
    }
    let mut desktop = json!({"command": "npx", "args": remote_args});
    if bearer {
        desktop["env"] = json!({"AUTH_HEADER": auth});
    }
    let mut vscode = json!({"servers": {name: {"type": "http", "url": url}}});
    if bearer {
        vscode["servers"][name]["headers"] = json!({"Authorization": "Bearer ${input:quarry-token}"});
        vscode["inputs"] = json!([{"type": "promptString", "id": "quarry-token", "description": "Quarry MCP token", "password": true}]);
    }
    let mut cursor = json!({"mcpServers": {name: {"url": url}}});
    // Windsurf names the remote endpoint `serverUrl`; a Cursor-style `url` does not connect.
    let mut windsurf = json!({"mcpServers": {name: {"serverUrl": url}}});
    if bearer {
        cursor["mcpServers"][name]["headers"] = headers.clone();
        windsurf["mcpServers"][name]["headers"] = headers;
    }
    vec![
        ClientConfig { client: "claude_code", target: "shell", format: "shell", config: claude_code },
        ClientConfig { client: "cursor", target: "~/.cursor/mcp.json", format: "json", config: pretty(cursor) },
        ClientConfig {
            client: "claude_desktop",
            target: "claude_desktop_config.json",
            format: "json",
            config: pretty(json!({"mcpServers": {name: desktop}})),
        },
        ClientConfig { client: "vscode", target: ".vscode/mcp.json", format: "json", config: pretty(vscode) },
        ClientConfig {
            client: "windsurf",
            target: "~/.codeium/windsurf/mcp_config.json",
            format: "json",
            config: pretty(windsurf),
        },
    ]
}

/// A server name as a config key: lowercase letters, digits and `-`.
fn slug(name: &str) -> String {
    let s: String =
        name.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() { "quarry".into() } else { s }
}

/// The Python SDK with OAuth: it discovers the authorization server from the
/// runtime's 401 and its protected-resource metadata, registers itself, and
/// opens the browser for the user to sign in (auth mode `oauth`).
fn python_sdk(url: &str) -> ClientConfig {
    let config = format!(
        r#"# pip install mcp
import asyncio, webbrowser
from urllib.parse import parse_qs, urlparse

from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

URL = "{url}"


class MemoryStorage(TokenStorage):
    def __init__(self):
        self.tokens, self.client = None, None
    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens
    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens
    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client
    async def set_client_info(self, info: OAuthClientInformationFull) -> None:
        self.client = info


async def open_browser(url: str) -> None:
    webbrowser.open(url)


async def paste_callback() -> tuple[str, str | None]:
    q = parse_qs(urlparse(input("Paste the URL you were sent back to: ")).query)
    return q["code"][0], q.get("state", [None])[0]


async def main():
    auth = OAuthClientProvider(
        server_url=URL,
        client_metadata=OAuthClientMetadata(
            client_name="My MCP client",
            redirect_uris=["http://localhost:3030/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
        storage=MemoryStorage(),
        redirect_handler=open_browser,
        callback_handler=paste_callback,
    )
    async with streamablehttp_client(URL, auth=auth) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            print([t.name for t in (await session.list_tools()).tools])


asyncio.run(main())
"#
    );
    ClientConfig { client: "python_sdk", target: "client.py", format: "python", config }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_carry_the_url_and_the_auth_header() {
        let c = clients("sales-db", "https://mcp.example.com/mcp", true);
        assert_eq!(
            c[0].config,
            "claude mcp add --transport http sales-db https://mcp.example.com/mcp --header \"Authorization: Bearer <YOUR_TOKEN>\""
        );
        assert!(c[1].config.contains("\"Authorization\": \"Bearer <YOUR_TOKEN>\""));
        let windsurf: Value = serde_json::from_str(&c[4].config).unwrap();
        assert_eq!((c[4].client, c[4].target), ("windsurf", "~/.codeium/windsurf/mcp_config.json"));
        assert_eq!(
            windsurf,
            json!({"mcpServers": {"sales-db": {
                "serverUrl": "https://mcp.example.com/mcp",
                "headers": {"Authorization": "Bearer <YOUR_TOKEN>"}
            }}})
        );
        let open = clients("q", "http://127.0.0.1:8080/mcp", false);
        assert_eq!(
            serde_json::from_str::<Value>(&open[4].config).unwrap(),
            json!({"mcpServers": {"q": {"serverUrl": "http://127.0.0.1:8080/mcp"}}})
        );
        assert!(!open.iter().any(|c| c.config.contains("Authorization")));
        assert_eq!(slug("Sales DB (prod)"), "sales-db-prod");
    }
}
