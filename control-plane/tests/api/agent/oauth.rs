//! Quarry as the authorization server of `/agent/mcp`: discovery from the 401
//! to a token and a call, the token endpoint's RFC 6749 errors, scope step-up
//! (403), introspection, and signing-key rotation with the `quarry` binary.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{call, connect, ok, post_call, store_state, text};
use crate::harness::TestApp;

/// Creates an OAuth client allowed `scopes`; returns (record id, client_id, secret).
pub async fn oauth_client(app: &TestApp, scopes: &[&str]) -> (String, String, String) {
    let (s, b) = app.post("/api/v1/oauth-clients", &json!({"name": "ci pipeline", "scopes": scopes})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let field = |k: &str| b[k].as_str().unwrap().to_string();
    (field("id"), field("client_id"), field("client_secret"))
}

/// A POST of `form` as `application/x-www-form-urlencoded` to `path`.
fn form_post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
}

/// POSTs `form` to the token endpoint with HTTP Basic when `basic` is given.
pub async fn token_request(
    app: &TestApp,
    basic: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut req = form_post(app, "/oauth/token", form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.json().await.unwrap())
}

/// An access token for `client_id` (client_secret_basic, all its scopes).
pub async fn access_token(app: &TestApp, client_id: &str, secret: &str) -> String {
    let (s, _, b) = token_request(app, Some((client_id, secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_client_discovers_quarry_from_the_401_gets_a_token_and_acts_as_itself() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let res = reqwest::Client::new().post(app.url("/agent/mcp")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    // URLs are built on QUARRY_PUBLIC_URL, here derived from the port-0 bind: reach them at the bound port.
    let public = app.state.config.public_url.trim_end_matches('/').to_string();
    let local = |url: &str| url.replace(&public, &app.base);
    let prm_url = challenge.split('"').nth(1).unwrap();
    let prm: Value = reqwest::get(local(prm_url)).await.unwrap().json().await.unwrap();
    let issuer = prm["authorization_servers"][0].as_str().unwrap();
    assert_eq!(issuer, public, "{prm}");
    let meta_url = local(&format!("{issuer}/.well-known/oauth-authorization-server"));
    let meta: Value = reqwest::get(meta_url).await.unwrap().json().await.unwrap();
    assert_eq!(meta["issuer"], issuer);
    assert_eq!(meta["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(meta["jwks_uri"], format!("{issuer}/oauth/jwks.json"));
    assert_eq!(meta["introspection_endpoint"], format!("{issuer}/oauth/introspect"));
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(meta["token_endpoint_auth_methods_supported"], json!(["client_secret_basic", "client_secret_post"]));
    assert!(meta["scopes_supported"].as_array().unwrap().contains(&json!("tools:write")));

    let (client, client_id, secret) = oauth_client(&app, &["connections:read", "connections:write"]).await;
    // client_secret_post, a narrower scope and the agent endpoint as the RFC 8707 resource.
    let resource = prm["resource"].as_str().unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", &client_id),
        ("client_secret", &secret),
        ("scope", "connections:read"),
        ("resource", resource),
    ];
    let (s, headers, b) = token_request(&app, None, &form).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(
        (b["token_type"].as_str(), b["expires_in"].as_u64(), b["scope"].as_str()),
        (Some("Bearer"), Some(900), Some("connections:read")),
        "{b}"
    );
    let narrow = b["access_token"].as_str().unwrap();
    let agent = connect(&app, narrow).await;
    let names: Vec<String> = agent.list_all_tools().await.unwrap().iter().map(|t| t.name.to_string()).collect();
    assert!(names.contains(&"list_connections".into()) && !names.contains(&"create_connection".into()), "{names:?}");

    // The full token writes; history and the activity log name the client.
    let full = access_token(&app, &client_id, &secret).await;
    let agent = connect(&app, &full).await;
    let body = json!({"name": "by_oauth", "db_type": "sqlite", "database": "/tmp/quarry-oauth-test.db"});
    ok(&agent, "create_connection", body).await;
    let (_, history) = app.get("/api/v1/history?entity_type=connection").await;
    assert_eq!(history["items"][0]["actor"], format!("agent:{client}"), "{history}");
    let (_, activity) = app.get(&format!("/api/v1/agent-activity?token={client}")).await;
    assert_eq!(activity["items"][0]["credential_name"], "ci pipeline", "{activity}");
    assert_eq!(activity["items"][0]["tool"], "create_connection", "{activity}");
    let (_, clients) = app.get("/api/v1/oauth-clients").await;
    assert!(clients["items"][0]["last_used_at"].is_string(), "{clients}");
}

/// A token request (HTTP Basic credentials when sent, the form) and the status and error it must get.
type Case<'a> = (Option<(&'a str, &'a str)>, Vec<(&'a str, &'a str)>, StatusCode, &'a str);

#[tokio::test]
async fn the_token_endpoint_answers_each_bad_request_with_its_rfc_6749_error_and_audits_bad_secrets() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, client_id, secret) = oauth_client(&app, &["tools:read"]).await;
    let grant = ("grant_type", "client_credentials");
    let cases: Vec<Case> = vec![
        (Some((&client_id, "qos_wrong")), vec![grant], StatusCode::UNAUTHORIZED, "invalid_client"),
        (Some(("qoc_nobody", &secret)), vec![grant], StatusCode::UNAUTHORIZED, "invalid_client"),
        (None, vec![grant], StatusCode::UNAUTHORIZED, "invalid_client"),
        (Some((&client_id, &secret)), vec![], StatusCode::BAD_REQUEST, "invalid_request"),
        (Some((&client_id, &secret)), vec![grant, grant], StatusCode::BAD_REQUEST, "invalid_request"),
        (
            Some((&client_id, &secret)),
            vec![grant, ("client_secret", &secret)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some((&client_id, &secret)),
            vec![("grant_type", "password")],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (Some((&client_id, &secret)), vec![grant, ("scope", "tools:write")], StatusCode::BAD_REQUEST, "invalid_scope"),
        (Some((&client_id, &secret)), vec![grant, ("scope", "root")], StatusCode::BAD_REQUEST, "invalid_scope"),
        (
            Some((&client_id, &secret)),
            vec![grant, ("resource", "https://evil.example/mcp")],
            StatusCode::BAD_REQUEST,
            "invalid_target",
        ),
    ];
    for (basic, form, status, error) in cases {
        let (s, headers, b) = token_request(&app, basic, &form).await;
        assert_eq!((s, b["error"].as_str()), (status, Some(error)), "{form:?}: {b}");
        assert!(b["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{b}");
        if error == "invalid_client" {
            assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"), "{headers:?}");
        }
    }
    // Asked for more than it may have, a client gets what it may have, and is told.
    let form = [grant, ("scope", "tools:read server:write")];
    let (s, _, b) = token_request(&app, Some((&client_id, &secret)), &form).await;
    assert_eq!((s, b["scope"].as_str()), (StatusCode::OK, Some("tools:read")), "{b}");
    // A JSON body is not a token request.
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_request");
    let (_, audit) = app.get("/api/v1/audit?event=agent_refused").await;
    // The wrong secret and the unknown client; sending no credentials at all is not a failed authentication.
    assert_eq!(audit["total"], 2, "each failed client authentication is audited: {audit}");
    assert!(!audit.to_string().contains(&secret), "never the secret");
    // Five failures in a row lock (address, client_id) out, even with the right secret.
    for _ in 0..5 {
        token_request(&app, Some((&client_id, "qos_wrong")), &[grant]).await;
    }
    let (s, headers, b) = token_request(&app, Some((&client_id, &secret)), &[grant]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert!(headers.contains_key("retry-after"));
}

#[tokio::test]
async fn a_call_outside_the_granted_scopes_is_a_403_step_up_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let conn = app.create_connection("warehouse").await;
    let (_, client_id, secret) = oauth_client(&app, &["tools:read", "tools:write"]).await;
    let (_, _, b) = token_request(
        &app,
        Some((&client_id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "tools:read")],
    )
    .await;
    let token = b["access_token"].as_str().unwrap();
    let before = store_state(&app).await;
    let body = crate::harness::tool_body(conn["id"].as_str().unwrap(), "sneaky");
    let res = post_call(&app, token, "create_tool", body).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"tools:write\""), "{challenge}");
    assert!(challenge.contains("resource_metadata=\""), "{challenge}");
    assert_eq!(store_state(&app).await, before, "nothing changed");
    let (_, refused) = app.get("/api/v1/agent-activity?outcome=refused").await;
    assert_eq!(refused["items"][0]["tool"], "create_tool", "{refused}");
    // Malformed arguments within its scopes are tool errors that change nothing either.
    let agent = connect(&app, token).await;
    let r = call(&agent, "get_tool", json!({"id": "not-a-uuid", "extra": 1})).await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(store_state(&app).await, before, "nothing changed");
}

/// POSTs `token` to the introspection endpoint as `client_id`.
async fn introspect(app: &TestApp, client_id: &str, secret: &str, token: &str) -> (StatusCode, Value) {
    let res = form_post(app, "/oauth/introspect", &[("token", token)])
        .basic_auth(client_id, Some(secret))
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn introspection_describes_a_live_token_and_says_inactive_once_its_client_is_revoked() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (id, client_id, secret) = oauth_client(&app, &["tools:read", "preview"]).await;
    let (_, other_id, other_secret) = oauth_client(&app, &["export"]).await;
    let token = access_token(&app, &client_id, &secret).await;
    let (s, b) = introspect(&app, &other_id, &other_secret, &token).await;
    assert_eq!(s, StatusCode::OK);
    let issuer = app.state.config.public_url.trim_end_matches('/').to_string();
    assert_eq!(b["active"], true, "{b}");
    assert_eq!(
        (b["scope"].as_str(), b["client_id"].as_str(), b["sub"].as_str(), b["token_type"].as_str()),
        (Some("tools:read preview"), Some(client_id.as_str()), Some(client_id.as_str()), Some("Bearer")),
        "{b}"
    );
    assert_eq!(
        (b["iss"].as_str().unwrap(), b["aud"].as_str().unwrap()),
        (issuer.as_str(), format!("{issuer}/agent/mcp").as_str())
    );
    assert!(b["exp"].as_i64().unwrap() - b["iat"].as_i64().unwrap() == 900, "{b}");
    assert_eq!(introspect(&app, &other_id, &other_secret, "garbage").await.1, json!({"active": false}));
    assert_eq!(
        introspect(&app, &other_id, "qos_wrong", &token).await.0,
        StatusCode::UNAUTHORIZED,
        "client auth required"
    );
    assert_eq!(app.delete(&format!("/api/v1/oauth-clients/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(introspect(&app, &other_id, &other_secret, &token).await.1, json!({"active": false}));
    let (s, _, b) = token_request(&app, Some((&client_id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")), "revoked: {b}");
}

#[tokio::test]
async fn rotating_the_signing_key_keeps_issued_tokens_valid_and_publishes_both_keys() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, client_id, secret) = oauth_client(&app, &["tools:read"]).await;
    let old = access_token(&app, &client_id, &secret).await;
    let jwks: Value = reqwest::get(app.url("/oauth/jwks.json")).await.unwrap().json().await.unwrap();
    let first = jwks["keys"][0]["kid"].clone();
    assert_eq!(
        (jwks["keys"][0]["kty"].as_str(), jwks["keys"][0]["crv"].as_str()),
        (Some("OKP"), Some("Ed25519")),
        "{jwks}"
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["oauth", "rotate-key"])
        .env("QUARRY_DATA_DIR", &app.data_dir)
        .env("QUARRY_LOG", "off")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["previous_key_kept_seconds"], 960, "TTL + leeway: {printed}");
    let jwks: Value = reqwest::get(app.url("/oauth/jwks.json")).await.unwrap().json().await.unwrap();
    let kids: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|k| &k["kid"]).collect();
    assert_eq!(kids, [&printed["kid"], &first], "the new key first, the previous one kept: {jwks}");
    let new = access_token(&app, &client_id, &secret).await;
    let kid_of = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
    assert_eq!(json!(kid_of(&new)), printed["kid"]);
    for token in [&old, &new] {
        let agent = connect(&app, token).await;
        assert!(!agent.list_all_tools().await.unwrap().is_empty(), "a token of either key works");
    }
}

#[tokio::test]
async fn the_oauth_endpoints_are_public_and_name_the_public_url_whatever_the_host_header_says() {
    let app =
        TestApp::spawn_with(&[("QUARRY_PUBLIC_URL", "https://quarry.example.com"), ("QUARRY_ALLOWED_HOSTS", "*")])
            .await;
    let anon = reqwest::Client::new();
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource/agent/mcp"] {
        let res = anon.get(app.url(path)).header("host", "evil.example").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path} needs no session");
        let doc = res.text().await.unwrap();
        assert!(doc.contains("https://quarry.example.com") && !doc.contains("evil.example"), "{path}: {doc}");
    }
    let jwks = anon.get(app.url("/oauth/jwks.json")).send().await.unwrap();
    assert_eq!(jwks.status(), StatusCode::OK);
    let res = anon.get(app.url("/oauth/authorize?response_type=code")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "unsupported_response_type");
    // The token endpoint authenticates the client, not an admin session.
    let (s, _, b) = token_request(&app, None, &[("grant_type", "client_credentials")]).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_client")));
}
