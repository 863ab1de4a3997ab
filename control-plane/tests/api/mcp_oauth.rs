//! Auth mode `oauth` for MCP clients, as the admin configures it: settings
//! validation, the access document and the release's `auth` (the resource
//! from the settings, Quarry's keys inline and following a rotation, external
//! issuers, the sealed introspection secret), and scopes on entities through
//! release, export and import.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use shared_model::Keyring;

use crate::deploy::{TOKEN, spawn_pull_app};
use crate::harness::TestApp;

const SECRET: &str = "introspection-plaintext-secret";

fn oauth_patch() -> Value {
    json!({
        "auth_mode": "oauth",
        "public_url": "https://mcp.example.com/",
        "oauth": {
            "issuers": [{"issuer": "https://login.example.com/realms/main",
                "jwks_uri": "https://login.example.com/realms/main/certs", "audiences": ["quarry-api"]}],
            "introspection": {"endpoint": "https://login.example.com/introspect", "client_id": "quarry-rs",
                "client_secret": SECRET}
        }
    })
}

/// The access document as a runtime pulls it (with forwarding headers naming another host, which must not matter).
async fn access(app: &TestApp) -> Value {
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/runtime/access"))
        .bearer_auth(TOKEN)
        .header("X-Forwarded-Host", "attacker.example.net")
        .header("Forwarded", "host=attacker.example.net;proto=https")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn problem_paths(body: &Value) -> Vec<String> {
    body["problems"]
        .as_array()
        .map_or_else(Vec::new, |p| p.iter().map(|x| x["path"].as_str().unwrap_or_default().to_string()).collect())
}

#[tokio::test]
async fn each_bad_oauth_setting_is_a_422_naming_its_field_and_the_store_stays_as_it_was() {
    let (app, _) = spawn_pull_app().await;
    let (_, before) = app.get("/api/v1/server/config").await;

    let bad = json!({"auth_mode": "oauth", "public_url": "https://mcp.example.com", "oauth": {
        "trust_quarry": true,
        "issuers": [{"issuer": "http://idp.example.com", "jwks_uri": "", "algorithms": ["HS256"], "audiences": [""]}],
        "default_scope": "two words", "leeway_seconds": 900,
        "introspection": {"endpoint": "ftp://idp", "client_id": "", "cache_seconds": 1000}}});
    let (s, b) = app.patch("/api/v1/server/config", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(
        problem_paths(&b),
        [
            "oauth.issuers[0].issuer",
            "oauth.issuers[0].jwks_uri",
            "oauth.issuers[0].algorithms[0]",
            "oauth.issuers[0].audiences",
            "oauth.default_scope",
            "oauth.leeway_seconds",
            "oauth.introspection.endpoint",
            "oauth.introspection.client_id",
            "oauth.introspection.cache_seconds"
        ],
        "{b}"
    );

    // Trusting no one is refused with the way out.
    let none = json!({"auth_mode": "oauth", "public_url": "https://mcp.example.com", "oauth": {"trust_quarry": false}});
    let (s, b) = app.patch("/api/v1/server/config", &none).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(problem_paths(&b), ["oauth.issuers"]);
    assert!(b["detail"].as_str().unwrap().contains("trust_quarry: true"), "{b}");

    // The resource must be a URL clients can reach safely: not plain http on a public name.
    let plain = json!({"auth_mode": "oauth", "public_url": "http://mcp.example.com"});
    let (s, b) = app.patch("/api/v1/server/config", &plain).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(problem_paths(&b), ["public_url"]);
    assert!(b["detail"].as_str().unwrap().contains("https://"), "{b}");

    // Unknown fields too.
    let (s, b) = app.patch("/api/v1/server/config", &json!({"oauth": {"issuer": "x"}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let (_, after) = app.get("/api/v1/server/config").await;
    assert_eq!(after, before, "a refused change leaves the settings as they were");
    let (_, history) = app.get("/api/v1/history?entity_type=server_config").await;
    assert_eq!(history["total"], 0, "and records nothing: {history}");
}

#[tokio::test]
async fn the_access_document_names_the_configured_mcp_url_and_carries_quarrys_keys_through_a_rotation() {
    let (app, _) = spawn_pull_app().await;
    let (s, cfg) = app.patch("/api/v1/server/config", &oauth_patch()).await;
    assert_eq!(s, StatusCode::OK, "{cfg}");
    assert_eq!(cfg["mcp_url"], "https://mcp.example.com/mcp");

    // Client configurations carry no token in oauth mode; the Python SDK one signs in with OAuth.
    let (_, connect) = app.get("/api/v1/server/connect").await;
    assert_eq!(connect["url"], "https://mcp.example.com/mcp");
    assert!(!connect.to_string().contains("Authorization"), "{connect}");
    let python = connect["clients"].as_array().unwrap().iter().find(|c| c["client"] == "python_sdk").unwrap();
    assert!(python["config"].as_str().unwrap().contains("OAuthClientProvider"), "{python}");

    let doc = access(&app).await;
    let auth = &doc["auth"];
    assert_eq!(auth["mode"], "oauth", "{doc}");
    assert_eq!(auth["resource"], "https://mcp.example.com/mcp", "from the settings, not the Host: {doc}");
    assert_eq!(auth["default_scope"], "mcp:tools");
    assert_eq!(auth["leeway_seconds"], 60);
    let issuers = auth["issuers"].as_array().unwrap();
    assert_eq!(issuers.len(), 2, "{doc}");
    assert_eq!(issuers[0]["issuer"], "https://login.example.com/realms/main");
    assert_eq!(issuers[0]["jwks_uri"], "https://login.example.com/realms/main/certs");
    assert_eq!(issuers[0]["audiences"], json!(["quarry-api"]));
    let quarry = &issuers[1];
    assert_eq!(quarry["issuer"], control_plane::oauth::issuer(&app.state.config));
    assert_eq!(quarry["algorithms"], json!(["EdDSA"]));
    assert!(quarry.get("jwks_uri").is_none(), "Quarry's keys travel inline: {quarry}");
    let kid = app.state.agent.oauth.keys.current_kid();
    assert_eq!(quarry["keys"], app.state.agent.oauth.keys.jwks(chrono::Utc::now())["keys"]);
    assert_eq!(quarry["keys"][0]["kid"], kid.as_str());

    // A rotation (what `quarry oauth rotate-key` does) reaches the runtimes within the refresh, the old key kept.
    let new_kid =
        control_plane::oauth::keys::rotate(&app.data_dir, chrono::Duration::minutes(16)).expect("the key rotates");
    let deadline = Instant::now() + Duration::from_secs(10);
    let kids = loop {
        let doc = access(&app).await;
        let kids: Vec<String> = doc["auth"]["issuers"][1]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect();
        if kids.len() == 2 || Instant::now() > deadline {
            break kids;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(kids, [new_kid, kid], "the new key signs, the retired one still verifies");

    // Without trust in Quarry only the external issuer remains.
    let (s, b) = app
        .patch(
            "/api/v1/server/config",
            &json!({"oauth": {"trust_quarry": false,
        "issuers": oauth_patch()["oauth"]["issuers"].clone()}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let doc = access(&app).await;
    assert_eq!(doc["auth"]["issuers"].as_array().unwrap().len(), 1, "{doc}");
}

#[tokio::test]
async fn the_introspection_secret_is_sealed_for_the_runtime_and_readable_nowhere_else() {
    let (app, runtime_key) = spawn_pull_app().await;
    let (s, cfg) = app.patch("/api/v1/server/config", &oauth_patch()).await;
    assert_eq!(s, StatusCode::OK, "{cfg}");
    assert_eq!(cfg["oauth"]["introspection"]["client_secret_set"], true, "{cfg}");
    assert!(cfg["oauth"]["introspection"].get("client_secret").is_none(), "{cfg}");

    // Editing other settings, and the oauth object without the secret, keeps it.
    let (s, b) = app.patch("/api/v1/server/config", &json!({"server_name": "Orders"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut oauth = oauth_patch()["oauth"].clone();
    oauth["introspection"].as_object_mut().unwrap().remove("client_secret");
    oauth["leeway_seconds"] = json!(30);
    let (s, b) = app.patch("/api/v1/server/config", &json!({"oauth": oauth})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["oauth"]["introspection"]["client_secret_set"], true, "{b}");

    // The runtime gets it sealed with its own key; the same sealing while it is unchanged.
    let doc = access(&app).await;
    let sealed = doc["auth"]["introspection"]["client_secret"].as_str().unwrap().to_string();
    let runtime = Keyring::from_base64_list(&runtime_key).unwrap();
    assert_eq!(runtime.decrypt(&sealed).unwrap(), SECRET);
    tokio::time::sleep(control_plane::release::access::REFRESH_EVERY + Duration::from_millis(500)).await;
    assert_eq!(access(&app).await["auth"]["introspection"]["client_secret"], sealed.as_str(), "stable etag");

    // Rolling the settings back neither loses it nor shows it.
    let (_, history) = app.get("/api/v1/history?entity_type=server_config&limit=100").await;
    let first = history["items"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    let (s, b) = app.post(&format!("/api/v1/history/{first}/rollback"), &json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, cfg) = app.get("/api/v1/server/config").await;
    assert_eq!(cfg["oauth"]["introspection"]["client_secret_set"], true, "{cfg}");
    assert_eq!(cfg["auth_mode"], "oauth", "a rollback never changes the auth settings");

    // Not in any API answer, the history, the export, or the store.
    for path in ["/api/v1/server/config", "/api/v1/history?limit=100", "/api/v1/export-import/export", "/api/v1/audit"]
    {
        let (s, body) = app.get(path).await;
        assert!(s.is_success(), "{path}: {body}");
        assert!(!body.to_string().contains(SECRET), "{path} shows the secret");
    }
    let backend = app.state.db.get_database_backend();
    let dump = if backend == DbBackend::Sqlite {
        let mut bytes = Vec::new();
        for file in ["quarry.db", "quarry.db-wal"] {
            bytes.extend(std::fs::read(app.data_dir.join(file)).unwrap_or_default());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        let rows = app
            .state
            .db
            .query_all_raw(Statement::from_string(backend, "SELECT s::text AS t FROM server_config s"))
            .await
            .unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "t").unwrap()).collect::<Vec<_>>().join("\n")
    };
    assert!(!dump.contains(SECRET), "plaintext secret in the store");
}

#[tokio::test]
async fn a_new_introspection_endpoint_or_client_without_the_secret_is_a_422_and_the_stored_secret_stays_put() {
    let (app, runtime_key) = spawn_pull_app().await;
    let runtime = Keyring::from_base64_list(&runtime_key).unwrap();
    let (s, b) = app.patch("/api/v1/server/config", &oauth_patch()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, before) = app.get("/api/v1/server/config").await;
    let (_, history) = app.get("/api/v1/history?entity_type=server_config").await;
    let entries = history["total"].clone();

    let intro = |endpoint: &str, client_id: &str, secret: Option<&str>| {
        let mut i = json!({"endpoint": endpoint, "client_id": client_id});
        if let Some(secret) = secret {
            i["client_secret"] = json!(secret);
        }
        json!({"oauth": {"issuers": oauth_patch()["oauth"]["issuers"].clone(), "introspection": i}})
    };
    // Another endpoint, another client id, or both, with no secret (or an empty one): refused, naming the field.
    for (endpoint, client_id, secret, changed) in [
        ("https://evil.example.net/introspect", "quarry-rs", None, "endpoint"),
        ("https://login.example.com/introspect", "someone-else", None, "client id"),
        ("https://evil.example.net/introspect", "someone-else", Some(""), "endpoint and client id"),
    ] {
        let (s, b) = app.patch("/api/v1/server/config", &intro(endpoint, client_id, secret)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint} {client_id}: {b}");
        assert_eq!(problem_paths(&b), ["oauth.introspection.client_secret"], "{b}");
        let detail = b["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("introspection {changed} changed")), "{detail}");
        assert!(detail.contains("enter the client secret again for the new endpoint"), "{detail}");
    }
    // The store is as it was: settings, history, and the secret the runtime gets.
    let (_, after) = app.get("/api/v1/server/config").await;
    assert_eq!(after, before);
    let (_, history) = app.get("/api/v1/history?entity_type=server_config").await;
    assert_eq!(history["total"], entries, "nothing recorded: {history}");
    let sealed = access(&app).await["auth"]["introspection"]["client_secret"].as_str().unwrap().to_string();
    assert_eq!(runtime.decrypt(&sealed).unwrap(), SECRET);

    // The same endpoint and client without a secret keeps the stored one.
    let (s, b) =
        app.patch("/api/v1/server/config", &intro("https://login.example.com/introspect", "quarry-rs", None)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["oauth"]["introspection"]["client_secret_set"], true, "{b}");

    // A new endpoint with its secret is accepted and the runtime gets the new secret.
    let (s, b) = app
        .patch("/api/v1/server/config", &intro("https://idp2.example.com/introspect", "quarry-rs", Some("second")))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["oauth"]["introspection"]["endpoint"], "https://idp2.example.com/introspect");
    let deadline = Instant::now() + control_plane::release::access::REFRESH_EVERY + Duration::from_secs(5);
    loop {
        let doc = access(&app).await;
        let i = &doc["auth"]["introspection"];
        if i["endpoint"] == "https://idp2.example.com/introspect" {
            assert_eq!(runtime.decrypt(i["client_secret"].as_str().unwrap()).unwrap(), "second");
            break;
        }
        assert!(Instant::now() < deadline, "the new endpoint never reached the access document: {doc}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn scopes_travel_from_the_api_into_the_release_and_through_export_and_import() {
    let (app, _) = spawn_pull_app().await;
    let conn = app.create_connection("warehouse").await;
    let cid = conn["id"].as_str().unwrap();
    let mut tool = crate::harness::tool_body(cid, "orders_by_customer");
    tool["scopes"] = json!(["orders.read", "bad scope"]);
    let (s, b) = app.post("/api/v1/tools", &tool).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(problem_paths(&b), ["scopes[1]"], "{b}");
    let (_, list) = app.get("/api/v1/tools").await;
    assert_eq!(list["total"], 0, "nothing saved");

    tool["scopes"] = json!(["orders.read"]);
    // A claim-bound parameter travels inside `parameters`.
    tool["parameters"][0]["from_claim"] = json!("customer_id");
    let (s, created) = app.post("/api/v1/tools", &tool).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert_eq!(created["scopes"], json!(["orders.read"]));
    let id = created["id"].as_str().unwrap();
    let (s, b) = app.patch(&format!("/api/v1/tools/{id}"), &json!({"scopes": ["orders.read", "orders.admin"]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, got) = app.get(&format!("/api/v1/tools/{id}")).await;
    assert_eq!(got["scopes"], json!(["orders.read", "orders.admin"]));
    let (s, b) = app
        .post(
            "/api/v1/prompts",
            &json!({"name": "summarize", "description": "Summarise", "template": "About {t}",
            "arguments": [{"name": "t"}], "scopes": ["prompts.use"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .post(
            "/api/v1/resources",
            &json!({"name": "readme", "description": "About", "uri_template": "docs://readme",
            "static_content": "hello", "scopes": ["docs.read"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (s, b) = app
        .patch(
            "/api/v1/server/config",
            &json!({"auth_mode": "oauth",
        "public_url": "https://mcp.example.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert!(d.get("token").is_none_or(Value::is_null), "oauth mints no bearer token: {d}");
    let res = crate::deploy::pull(&app, Some(TOKEN), None, 0).await;
    let manifest: Value = res.json().await.unwrap();
    assert_eq!(manifest["tools"][0]["scopes"], json!(["orders.read", "orders.admin"]));
    assert_eq!(manifest["tools"][0]["parameters"][0]["from_claim"], "customer_id");
    assert_eq!(manifest["prompts"][0]["scopes"], json!(["prompts.use"]));
    assert_eq!(manifest["resources"][0]["scopes"], json!(["docs.read"]));
    assert_eq!(manifest["auth"]["mode"], "oauth");
    assert_eq!(manifest["auth"]["resource"], "https://mcp.example.com/mcp");
    let supported = json!(["docs.read", "mcp:tools", "orders.admin", "orders.read", "prompts.use"]);
    assert_eq!(manifest["auth"]["scopes_supported"], supported);
    // The access document lists the deployed entities' scopes too.
    let deadline = Instant::now() + Duration::from_secs(10);
    while access(&app).await["auth"]["scopes_supported"] != supported && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(access(&app).await["auth"]["scopes_supported"], supported);

    let (_, doc) = app.get("/api/v1/export-import/export").await;
    assert_eq!(doc["tools"][0]["scopes"], json!(["orders.read", "orders.admin"]), "{doc}");
    assert_eq!(doc["tools"][0]["parameters"][0]["from_claim"], "customer_id");
    let target = TestApp::spawn().await;
    target.login_admin().await;
    let (s, plan) = target.post("/api/v1/export-import/import", &doc).await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    let (_, again) = target.get("/api/v1/export-import/export").await;
    assert_eq!(again["tools"], doc["tools"]);
    assert_eq!(again["prompts"], doc["prompts"]);
    assert_eq!(again["resources"], doc["resources"]);
    assert_eq!(again["server"]["oauth"], doc["server"]["oauth"]);
}

#[tokio::test]
async fn a_preview_runs_as_a_claim_set_and_a_missing_claim_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("warehouse").await;
    let defs = json!([{"name": "who", "type": "string", "from_claim": "email"},
        {"name": "n", "type": "integer", "default": 2}]);
    let body = |claims: Option<Value>, params: Value| {
        let mut b = json!({"connection_id": conn["id"], "sql_query": "SELECT :who::text AS who, :n::int AS n",
            "parameter_definitions": defs, "parameters": params});
        if let Some(c) = claims {
            b["claims"] = c;
        }
        b
    };
    let (s, b) = app.post("/api/v1/preview/execute", &body(None, json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(problem_paths(&b), ["parameters.who"]);
    assert!(b["detail"].as_str().unwrap().contains("\"email\""), "names the claim: {b}");

    let (s, b) = app.post("/api/v1/preview/execute", &body(Some(json!({"sub": "alice"})), json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("\"email\""), "{b}");

    // A value for a claim-bound parameter cannot be slipped in beside the claims.
    let claims = json!({"sub": "alice", "email": "alice@example.com", "groups": ["sales"]});
    let (s, b) = app.post("/api/v1/preview/execute", &body(Some(claims.clone()), json!({"who": "mallory"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    let (s, b) = app.post("/api/v1/preview/execute", &body(Some(claims), json!({"n": 5}))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["rows"], json!([{"who": "alice@example.com", "n": 5}]));
}

/// `initialize` on a runtime's `/mcp` with `token`: the HTTP status and the `WWW-Authenticate` header.
async fn initialize(port: u16, token: Option<&str>) -> (StatusCode, String) {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "oauth-test", "version": "1"}}});
    let mut req = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/mcp"))
        .header("Accept", "application/json, text/event-stream")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let challenge = res.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (res.status(), challenge)
}

/// A Quarry access token for `aud`, signed with the current key.
fn quarry_token(app: &TestApp, aud: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": control_plane::oauth::issuer(&app.state.config), "sub": "alice",
        "client_id": "test-client", "aud": aud, "iat": now, "nbf": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(), "scope": "mcp:tools orders.read", "email": "alice@example.com"});
    app.state.agent.oauth.keys.sign(&claims).unwrap()
}

#[tokio::test]
async fn a_pulling_runtime_accepts_quarrys_tokens_for_the_configured_url_and_follows_a_key_rotation() {
    let (app, key) = spawn_pull_app().await;
    let conn = app.create_connection("warehouse").await;
    let mut tool = crate::harness::tool_body(conn["id"].as_str().unwrap(), "orders_by_customer");
    tool["scopes"] = json!(["orders.read"]);
    assert_eq!(app.post("/api/v1/tools", &tool).await.0, StatusCode::CREATED);
    // The resource clients ask tokens for; the runtime is reached on another port here, which must not matter.
    let resource = "http://localhost:9/mcp";
    let (s, b) =
        app.patch("/api/v1/server/config", &json!({"auth_mode": "oauth", "public_url": "http://localhost:9"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, d) = app.post("/api/v1/deploy", &json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let port = crate::deploy::start_runtime(&app, &key, "oauth-pod").await;
    crate::deploy::wait_for_release(&app, 1, 1).await;

    let (status, challenge) = initialize(port, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(challenge.contains("resource_metadata"), "{challenge}");
    let within = Duration::from_secs(10);
    let until = |token: String, want: StatusCode| async move {
        let started = Instant::now();
        loop {
            let (got, _) = initialize(port, Some(&token)).await;
            if got == want {
                return;
            }
            assert!(started.elapsed() < within, "still {got}, wanted {want}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    until(quarry_token(&app, resource), StatusCode::OK).await;
    let (status, _) = initialize(port, Some(&quarry_token(&app, "https://elsewhere.example.com/mcp"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a token for another resource is refused");

    // After a rotation the runtime verifies tokens of the new key, without a deploy.
    control_plane::oauth::keys::rotate(&app.data_dir, chrono::Duration::minutes(16)).unwrap();
    until(quarry_token(&app, resource), StatusCode::OK).await;

    // Trust in Quarry withdrawn (an external issuer instead): its tokens are refused at once.
    let (s, b) = app
        .patch(
            "/api/v1/server/config",
            &json!({"oauth": {"trust_quarry": false, "issuers": [{
            "issuer": "https://login.example.com", "jwks_uri": "https://login.example.com/jwks"}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    until(quarry_token(&app, resource), StatusCode::UNAUTHORIZED).await;
}
