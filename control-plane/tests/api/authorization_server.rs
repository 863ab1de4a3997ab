//! Quarry as the authorization server of MCP clients: registration (RFC 7591)
//! and Client ID Metadata Documents, the authorization code flow with PKCE
//! through the consent API, refresh-token rotation and reuse detection,
//! revocation (RFC 7009 and by an admin), and every refusal in the spec's
//! shape — shown before the redirect URI is trusted, redirected after.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::TestApp;

const REDIRECT: &str = "http://127.0.0.1:33418/callback";

/// A browser that keeps cookies and does not follow redirects.
fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A PKCE verifier and its S256 challenge.
fn pkce() -> (String, String) {
    let verifier = format!("v{}", uuid::Uuid::new_v4().simple()).repeat(2);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// An app with the authorization server on (and `extra` settings), the admin
/// signed in on `app.client`; returns it with the MCP resource URL.
async fn enabled(env: &[(&str, &str)], extra: Value) -> (TestApp, String) {
    let app = TestApp::spawn_with(env).await;
    app.login_admin().await;
    let mut patch = json!({"enabled": true});
    patch.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let (s, b) = app.patch("/api/v1/authorization-server", &patch).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let resource = b["resource"].as_str().unwrap().to_string();
    (app, resource)
}

/// POST /oauth/register with `body`.
async fn post_register(app: &TestApp, body: &Value) -> reqwest::Response {
    Client::new().post(app.url("/oauth/register")).json(body).send().await.unwrap()
}

async fn register(app: &TestApp) -> String {
    let body = json!({"client_name": "Test MCP client", "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"], "token_endpoint_auth_method": "none"});
    let res = post_register(app, &body).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["token_endpoint_auth_method"], "none");
    b["client_id"].as_str().unwrap().to_string()
}

/// GET /oauth/authorize with `params` from `browser`: (status, Location, body).
async fn authorize(app: &TestApp, browser: &Client, params: &[(&str, &str)]) -> (StatusCode, String, String) {
    let url = format!("{}?{}", app.url("/oauth/authorize"), serde_urlencoded::to_string(params).unwrap());
    let res = browser.get(url).send().await.unwrap();
    let status = res.status();
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, res.text().await.unwrap())
}

fn query_of(url: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(url).unwrap().query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// The standard authorization parameters for `client_id`.
fn params<'a>(client_id: &'a str, challenge: &'a str, resource: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("state", "st-42"),
        ("resource", resource),
        ("scope", "mcp:tools"),
    ]
}

/// Runs authorize + admin approval in `app.client`'s cookie jar; returns the code.
async fn approved_code(app: &TestApp, client_id: &str, challenge: &str, resource: &str) -> String {
    let b = admin_browser(app).await;
    let (s, location, body) = authorize(app, &b, &params(client_id, challenge, resource)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(location.starts_with("/oauth/consent?request="), "{location}");
    let id = location.rsplit('=').next().unwrap().to_string();
    let (s, consent) = app.send_with(&b, reqwest::Method::GET, &format!("/api/v1/oauth-consent/{id}"), None).await;
    assert_eq!(s, StatusCode::OK, "{consent}");
    assert_eq!(consent["client_name"], "Test MCP client");
    assert_eq!(consent["signed_in"]["via"], "admin");
    assert_eq!(consent["scopes"], json!(["mcp:tools"]));
    let (s, d) = app
        .send_with(&b, reqwest::Method::POST, &format!("/api/v1/oauth-consent/{id}"), Some(&json!({"approve": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let q = query_of(d["redirect_to"].as_str().unwrap());
    assert_eq!(get(&q, "state"), Some("st-42"));
    assert_eq!(get(&q, "iss"), Some(app.state.config.public_url.trim_end_matches('/')));
    get(&q, "code").unwrap().to_string()
}

/// A browser signed in as the admin (its own cookie jar).
async fn admin_browser(app: &TestApp) -> Client {
    let b = browser();
    let (s, body) = app
        .send_with(
            &b,
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(&json!({"username": "admin", "password": "correct horse"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    b
}

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let res = Client::new()
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (StatusCode, Value) {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("code_verifier", verifier),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> (StatusCode, Value) {
    token(app, &[("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", refresh_token)]).await
}

/// Verifies `jwt` against the published JWKS for `audience`; returns its claims.
async fn verify(app: &TestApp, jwt: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let jwks: Value = reqwest::get(app.url("/oauth/jwks.json")).await.unwrap().json().await.unwrap();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == json!(header.kid)).expect("kid in JWKS");
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    v.set_audience(&[audience]);
    v.set_issuer(&[app.state.config.public_url.trim_end_matches('/')]);
    jsonwebtoken::decode::<Value>(jwt, &decoding, &v).expect("the token verifies").claims
}

#[tokio::test]
async fn a_registered_client_approved_by_the_admin_gets_a_token_that_verifies_against_the_jwks_and_rotates_its_refresh_token()
 {
    let (app, resource) = enabled(&[], json!({})).await;
    let meta: Value =
        reqwest::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(meta["client_id_metadata_document_supported"], json!(true));
    assert!(meta["registration_endpoint"].as_str().unwrap().ends_with("/oauth/register"));
    assert!(meta["revocation_endpoint"].as_str().unwrap().ends_with("/oauth/revoke"));
    assert!(meta["grant_types_supported"].as_array().unwrap().contains(&json!("authorization_code")));
    assert!(meta["scopes_supported"].as_array().unwrap().contains(&json!("mcp:tools")));

    let client_id = register(&app).await;
    let (verifier, challenge) = pkce();
    let code = approved_code(&app, &client_id, &challenge, &resource).await;
    let (s, t) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!((t["token_type"].as_str(), t["scope"].as_str()), (Some("Bearer"), Some("mcp:tools")));
    let claims = verify(&app, t["access_token"].as_str().unwrap(), &resource).await;
    assert_eq!(claims["sub"], "admin");
    assert_eq!(claims["scope"], "mcp:tools");
    assert_eq!(claims["client_id"], json!(client_id));
    assert_eq!(claims["preferred_username"], "admin");
    assert_eq!(claims["groups"], json!(["quarry-admin"]));
    assert!(claims["jti"].is_string() && claims["exp"].as_i64() > claims["iat"].as_i64());

    // Rotation: the new refresh token works once; the old one is refused and revokes the family.
    let first = t["refresh_token"].as_str().unwrap().to_string();
    let (s, r1) = refresh(&app, &client_id, &first).await;
    assert_eq!(s, StatusCode::OK, "{r1}");
    let second = r1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    verify(&app, r1["access_token"].as_str().unwrap(), &resource).await;
    let (s, reused) = refresh(&app, &client_id, &first).await;
    assert_eq!((s, reused["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{reused}");
    let (s, after) = refresh(&app, &client_id, &second).await;
    assert_eq!((s, after["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "the family is revoked");
    let (_, grants) = app.get("/api/v1/oauth-grants").await;
    assert_eq!(grants["total"], 0, "{grants}");
    // Tokens never reach the log or the store in the clear.
    let (_, audit) = app.get("/api/v1/audit?limit=100").await;
    assert!(!audit.to_string().contains(&second) && !audit.to_string().contains(&code));
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_issued() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let (verifier, challenge) = pkce();
    let code = approved_code(&app, &client_id, &challenge, &resource).await;
    let (s, t) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let (s, again) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!((s, again["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{again}");
    let (s, r) = refresh(&app, &client_id, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!((s, r["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{r}");
}

#[tokio::test]
async fn the_code_exchange_refuses_a_wrong_verifier_redirect_uri_client_or_resource() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let other = register(&app).await;
    let (verifier, challenge) = pkce();
    let code = approved_code(&app, &client_id, &challenge, &resource).await;
    let wrong_verifier = "x".repeat(43);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", &client_id), ("code_verifier", &wrong_verifier), ("redirect_uri", REDIRECT)],
            "code_verifier",
        ),
        (
            vec![("client_id", &client_id), ("code_verifier", &verifier), ("redirect_uri", "http://127.0.0.1:1/other")],
            "redirect_uri",
        ),
        (vec![("client_id", &other), ("code_verifier", &verifier), ("redirect_uri", REDIRECT)], "another client"),
        (
            vec![
                ("client_id", &client_id),
                ("code_verifier", &verifier),
                ("redirect_uri", REDIRECT),
                ("resource", "https://elsewhere.example/mcp"),
            ],
            "resource",
        ),
    ];
    for (extra, says) in cases {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code.as_str())];
        form.extend(extra);
        let (s, b) = token(&app, &form).await;
        assert_eq!((s, b["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{b}");
        assert!(b["error_description"].as_str().unwrap().contains(says), "{b}");
    }
    let (s, missing) =
        token(&app, &[("grant_type", "authorization_code"), ("client_id", &client_id), ("code", &code)]).await;
    assert_eq!((s, missing["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    // None of the refusals spent the code.
    let (s, t) = exchange(&app, &client_id, &code, &verifier).await;
    assert_eq!(s, StatusCode::OK, "{t}");
}

#[tokio::test]
async fn authorize_refusals_before_the_redirect_uri_is_trusted_are_shown_and_never_redirected() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let (_, challenge) = pkce();
    let b = browser();
    let mut unknown = params("qc_unknown", &challenge, &resource);
    let (s, location, body) = authorize(&app, &b, &unknown).await;
    assert_eq!((s, location.as_str()), (StatusCode::BAD_REQUEST, ""));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "invalid_client");
    let mut wrong = params(&client_id, &challenge, &resource);
    wrong[2] = ("redirect_uri", "http://127.0.0.1:33418/callback/");
    let (s, location, body) = authorize(&app, &b, &wrong).await;
    assert_eq!((s, location.as_str()), (StatusCode::BAD_REQUEST, ""), "a prefix is not a match");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "invalid_request");
    assert!(v["error_description"].as_str().unwrap().contains("redirect_uri"));
    // A browser sees a page, not JSON.
    unknown.push(("x", "1"));
    let url = format!("{}?{}", app.url("/oauth/authorize"), serde_urlencoded::to_string(&unknown).unwrap());
    let res = b.get(url).header("accept", "text/html").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("<h1>This sign-in request was refused</h1>"));
}

#[tokio::test]
async fn authorize_refusals_after_the_redirect_uri_is_trusted_go_back_to_the_client_with_state_and_iss() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let (verifier, challenge) = pkce();
    let b = browser();
    let cases: Vec<(&str, &str, &str)> = vec![
        ("code_challenge_method", "plain", "invalid_request"),
        ("code_challenge", &verifier[..20], "invalid_request"),
        ("response_type", "token", "unsupported_response_type"),
        ("resource", "https://elsewhere.example/mcp", "invalid_target"),
        ("scope", "admin:everything", "invalid_scope"),
    ];
    for (name, value, error) in cases {
        let mut p = params(&client_id, &challenge, &resource);
        for pair in p.iter_mut().filter(|(k, _)| *k == name) {
            pair.1 = value;
        }
        let (s, location, _) = authorize(&app, &b, &p).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{name}");
        assert!(location.starts_with(REDIRECT), "{location}");
        let q = query_of(&location);
        assert_eq!(get(&q, "error"), Some(error), "{name}: {location}");
        assert_eq!(get(&q, "state"), Some("st-42"));
        assert!(get(&q, "iss").is_some());
    }
    // No PKCE at all.
    let p: Vec<_> = params(&client_id, &challenge, &resource)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .collect();
    let (_, location, _) = authorize(&app, &b, &p).await;
    assert_eq!(get(&query_of(&location), "error"), Some("invalid_request"));
}

#[tokio::test]
async fn denying_returns_access_denied_and_approving_needs_a_signed_in_user_in_the_same_browser() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let (_, challenge) = pkce();
    let anonymous = browser();
    let (_, location, _) = authorize(&app, &anonymous, &params(&client_id, &challenge, &resource)).await;
    let id = location.rsplit('=').next().unwrap().to_string();
    let path = format!("/api/v1/oauth-consent/{id}");
    // Another browser (no binding cookie) cannot see or decide it.
    let (s, _) = app.send_with(&browser(), reqwest::Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, c) = app.send_with(&anonymous, reqwest::Method::GET, &path, None).await;
    assert_eq!((s, &c["signed_in"]), (StatusCode::OK, &Value::Null), "{c}");
    assert_eq!(c["admin_login"], true);
    let (s, e) = app.send_with(&anonymous, reqwest::Method::POST, &path, Some(&json!({"approve": true}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    let (s, d) = app.send_with(&anonymous, reqwest::Method::POST, &path, Some(&json!({"approve": false}))).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let q = query_of(d["redirect_to"].as_str().unwrap());
    assert_eq!((get(&q, "error"), get(&q, "state")), (Some("access_denied"), Some("st-42")));
    let (s, _) = app.send_with(&anonymous, reqwest::Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a decided request is gone");
}

#[tokio::test]
async fn registration_switched_off_is_refused_in_the_rfc_shape_and_left_out_of_the_metadata() {
    let (app, _) = enabled(&[], json!({"dynamic_registration": false})).await;
    let res = post_register(&app, &json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"], "access_denied");
    assert!(b["error_description"].as_str().unwrap().contains("switched off"));
    let meta: Value =
        reqwest::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert!(meta.get("registration_endpoint").is_none(), "{meta}");
    // Bad metadata is refused with RFC 7591 errors when registration is on.
    let (s, _) = app.patch("/api/v1/authorization-server", &json!({"dynamic_registration": true})).await;
    assert_eq!(s, StatusCode::OK);
    for (body, error) in [
        (json!({"redirect_uris": ["http://evil.example/cb"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({"redirect_uris": [REDIRECT], "grant_types": ["password"]}), "invalid_client_metadata"),
        (json!("not an object"), "invalid_client_metadata"),
    ] {
        let res = post_register(&app, &body).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], error, "{body}");
    }
}

/// Serves `doc` at `/client.json` on a loopback port; returns the URL.
async fn serve_document(doc: impl Fn(&str) -> Value + Send + Sync + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/client.json", listener.local_addr().unwrap().port());
    let body = doc(&url);
    let router = axum::Router::new().route("/client.json", axum::routing::get(move || async move { axum::Json(body) }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

#[tokio::test]
async fn a_client_id_metadata_document_is_fetched_and_must_name_its_own_url() {
    let (app, resource) = enabled(&[("QUARRY_OAUTH_ALLOW_LOOPBACK_CLIENTS", "1")], json!({})).await;
    let (_, challenge) = pkce();
    let good =
        serve_document(|url| json!({"client_id": url, "client_name": "Doc client", "redirect_uris": [REDIRECT]})).await;
    let b = admin_browser(&app).await;
    let (s, location, body) = authorize(&app, &b, &params(&good, &challenge, &resource)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    let id = location.rsplit('=').next().unwrap().to_string();
    let (_, c) = app.send_with(&b, reqwest::Method::GET, &format!("/api/v1/oauth-consent/{id}"), None).await;
    assert_eq!((c["client_name"].as_str(), c["client_host"].as_str()), (Some("Doc client"), Some("127.0.0.1")));

    let liar = serve_document(
        |_| json!({"client_id": "https://someone-else.example/client.json", "redirect_uris": [REDIRECT]}),
    )
    .await;
    let (s, location, body) = authorize(&app, &b, &params(&liar, &challenge, &resource)).await;
    assert_eq!((s, location.as_str()), (StatusCode::BAD_REQUEST, ""));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert!(v["error_description"].as_str().unwrap().contains("client_id is not the URL"), "{v}");

    // Without the operator's switch, loopback (and plain http) is never fetched.
    let (strict, strict_resource) = enabled(&[], json!({})).await;
    let (s, _, body) = authorize(&strict, &browser(), &params(&good, &challenge, &strict_resource)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "invalid_client");
    let internal = "https://127.0.0.1:9/client.json";
    let (_, _, body) = authorize(&strict, &browser(), &params(internal, &challenge, &strict_resource)).await;
    assert!(body.contains("internal address"), "{body}");
}

#[tokio::test]
async fn settings_are_validated_as_a_whole_the_client_secret_is_write_only_and_a_failed_write_changes_nothing() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (s, before) = app.get("/api/v1/authorization-server").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((before["enabled"].as_bool(), before["dynamic_registration"].as_bool()), (Some(false), Some(true)));
    let (_, history_before) = app.get("/api/v1/history?limit=1").await;
    let bad = json!({"access_token_ttl_seconds": 1, "default_scopes": [],
        "upstream": {"issuer": "ftp://idp", "client_id": "", "scopes": "email"}});
    let (s, e) = app.patch("/api/v1/authorization-server", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let detail = e.to_string();
    for path in
        ["access_token_ttl_seconds", "default_scopes", "upstream.issuer", "upstream.client_id", "upstream.scopes"]
    {
        assert!(detail.contains(path), "{path} missing in {detail}");
    }
    let (_, after) = app.get("/api/v1/authorization-server").await;
    assert_eq!(after, before, "a refused write changes nothing");
    let (_, history_after) = app.get("/api/v1/history?limit=1").await;
    assert_eq!(history_after["total"], history_before["total"]);

    let upstream = json!({"upstream": {"issuer": "https://idp.example.com", "client_id": "quarry",
        "client_secret": "s3cret-value", "claim_mappings": [{"claim": "groups", "value": "sales", "scopes": ["sales:read"]}]}});
    let (s, v) = app.patch("/api/v1/authorization-server", &upstream).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["upstream"]["client_secret_set"], true);
    assert!(!v.to_string().contains("s3cret-value"));
    // Changing another field keeps the secret; the history never holds it.
    let (_, v) = app
        .patch(
            "/api/v1/authorization-server",
            &json!({"upstream": {"issuer": "https://idp.example.com", "client_id": "quarry", "display_name": "IdP"}}),
        )
        .await;
    assert_eq!(
        (v["upstream"]["display_name"].as_str(), v["upstream"]["client_secret_set"].as_bool()),
        (Some("IdP"), Some(true))
    );
    // Another issuer or client id without the secret is refused: the stored one never goes to another provider.
    let (_, kept) = app.get("/api/v1/authorization-server").await;
    let (_, entries) = app.get("/api/v1/history?entity_type=authorization_server").await;
    for (issuer, client_id, changed) in [
        ("https://evil.example.net", "quarry", "issuer"),
        ("https://idp.example.com", "quarry2", "client id"),
        ("https://evil.example.net", "quarry2", "issuer and client id"),
    ] {
        let (s, e) = app
            .patch("/api/v1/authorization-server", &json!({"upstream": {"issuer": issuer, "client_id": client_id}}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["problems"][0]["path"], "upstream.client_secret", "{e}");
        let message = e["problems"][0]["message"].as_str().unwrap();
        assert!(message.starts_with(&format!("the upstream {changed} changed: enter the client secret again")), "{e}");
    }
    let (_, v) = app.get("/api/v1/authorization-server").await;
    assert_eq!(v, kept, "a refused write changes nothing");
    let (_, h) = app.get("/api/v1/history?entity_type=authorization_server").await;
    assert_eq!(h["total"], entries["total"]);
    // With a new secret, or null for a public client, the provider moves.
    let (s, v) = app
        .patch(
            "/api/v1/authorization-server",
            &json!({"upstream": {"issuer": "https://idp.example.com", "client_id": "quarry2", "client_secret": "other"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["upstream"]["client_id"].as_str(), v["upstream"]["client_secret_set"].as_bool()),
        (Some("quarry2"), Some(true))
    );
    let (s, v) = app
        .patch(
            "/api/v1/authorization-server",
            &json!({"upstream": {"issuer": "https://other.example.com", "client_id": "quarry2", "client_secret": null}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["upstream"]["client_secret_set"], false, "{v}");
    let (s, v) = app.patch("/api/v1/authorization-server", &upstream).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, h) = app.get("/api/v1/history?entity_type=authorization_server").await;
    assert!(h["total"].as_u64().unwrap() >= 2, "{h}");
    assert!(!h.to_string().contains("s3cret-value"));
    let row = control_plane::storage::authorization::load(&app.state.db).await.unwrap();
    let sealed = row.upstream_client_secret.unwrap();
    assert!(!sealed.contains("s3cret-value"), "stored sealed");
    let (_, v) = app.patch("/api/v1/authorization-server", &json!({"upstream": null})).await;
    assert!(v["upstream"].is_null());
}

#[tokio::test]
async fn an_admin_revokes_a_grant_and_a_client_revokes_its_refresh_token() {
    let (app, resource) = enabled(&[], json!({})).await;
    let client_id = register(&app).await;
    let mut refresh_tokens = Vec::new();
    for _ in 0..2 {
        let (verifier, challenge) = pkce();
        let code = approved_code(&app, &client_id, &challenge, &resource).await;
        let (_, t) = exchange(&app, &client_id, &code, &verifier).await;
        refresh_tokens.push(t["refresh_token"].as_str().unwrap().to_string());
    }
    // The second consent of the same user to the same client replaces the first grant.
    let (_, grants) = app.get("/api/v1/oauth-grants").await;
    assert_eq!(grants["total"], 1, "{grants}");
    let (s, r) = refresh(&app, &client_id, &refresh_tokens[0]).await;
    assert_eq!((s, r["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "superseded");
    let newest = grants["items"][0].clone();
    assert_eq!((newest["subject"].as_str(), newest["client_name"].as_str()), (Some("admin"), Some("Test MCP client")));
    assert_eq!(newest["resource"], json!(resource));
    let (s, _) = app.delete(&format!("/api/v1/oauth-grants/{}", newest["id"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, again) = app.delete(&format!("/api/v1/oauth-grants/{}", newest["id"].as_str().unwrap())).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{again}");
    let (s, r) = refresh(&app, &client_id, &refresh_tokens[1]).await;
    assert_eq!((s, r["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (_, audit) = app.get("/api/v1/audit?limit=5").await;
    assert!(audit.to_string().contains("oauth_grant_revoked"), "{audit}");

    // RFC 7009: the client revokes its own refresh token; unknown tokens are answered 200 too.
    let revoke = |token: String| {
        let form = serde_urlencoded::to_string([("token", token.as_str()), ("client_id", client_id.as_str())]).unwrap();
        Client::new()
            .post(app.url("/oauth/revoke"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let (verifier, challenge) = pkce();
    let code = approved_code(&app, &client_id, &challenge, &resource).await;
    let (_, t) = exchange(&app, &client_id, &code, &verifier).await;
    let live = t["refresh_token"].as_str().unwrap().to_string();
    let (_, grants) = app.get("/api/v1/oauth-grants").await;
    assert_eq!(grants["total"], 1);
    assert_eq!(revoke(live.clone()).await.unwrap().status(), StatusCode::OK);
    assert_eq!(revoke("qrt_unknown".into()).await.unwrap().status(), StatusCode::OK);
    let (s, r) = refresh(&app, &client_id, &live).await;
    assert_eq!((s, r["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (_, grants) = app.get("/api/v1/oauth-grants").await;
    assert_eq!(grants["total"], 0);
}

#[tokio::test]
async fn while_switched_off_authorization_and_the_new_grants_are_refused() {
    let app = TestApp::spawn().await;
    let (s, b) = token(&app, &[("grant_type", "refresh_token"), ("client_id", "x"), ("refresh_token", "qrt_x")]).await;
    assert_eq!((s, b["error"].as_str()), (StatusCode::BAD_REQUEST, Some("unsupported_grant_type")));
    let res = post_register(&app, &json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let meta: Value =
        reqwest::get(app.url("/.well-known/oauth-authorization-server")).await.unwrap().json().await.unwrap();
    assert_eq!(meta["grant_types_supported"], json!(["client_credentials"]));
}
