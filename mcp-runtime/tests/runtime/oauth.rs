//! Auth mode `oauth` over real HTTP: JWT access tokens signed in the test
//! (ring: Ed25519, P-256, RSA) and checked against inline keys or a JWKS
//! served by a tiny HTTP server; scopes, the protected-resource metadata,
//! and claim-bound parameters against a real PostgreSQL.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair};
use serde_json::{Value, json};

use crate::harness::{TestApp, manifest};
use crate::real_db::{connection, release, spawn};
use crate::support::pg;

pub const RESOURCE: &str = "https://mcp.example.com/mcp";
pub const ISSUER: &str = "http://127.0.0.1:9/idp";

/// A signing key of the test's authorization server.
pub enum Key {
    Ed(sig::Ed25519KeyPair),
    Es(sig::EcdsaKeyPair),
    Rs(sig::RsaKeyPair),
}

impl Key {
    pub fn ed() -> Key {
        let pkcs8 = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Key::Ed(sig::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }
    pub fn es() -> Key {
        let rng = SystemRandom::new();
        let alg = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Key::Es(sig::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap())
    }
    /// ring cannot generate RSA keys: a 2048-bit key made for these tests only.
    pub fn rs() -> Key {
        let der = include_bytes!("../../../tests/fixtures/oauth/rsa2048-test-only.der"); // PKCS#1
        Key::Rs(sig::RsaKeyPair::from_der(der).unwrap())
    }
    pub fn alg(&self) -> &'static str {
        match self {
            Key::Ed(_) => "EdDSA",
            Key::Es(_) => "ES256",
            Key::Rs(_) => "RS256",
        }
    }
    pub fn jwk(&self, kid: &str) -> Value {
        match self {
            Key::Ed(k) => json!({"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": B64.encode(k.public_key().as_ref())}),
            Key::Es(k) => {
                let p = k.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..65])})
            }
            Key::Rs(k) => {
                let p = sig::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": B64.encode(&p.n), "e": B64.encode(&p.e)})
            }
        }
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            Key::Ed(k) => k.sign(msg).as_ref().to_vec(),
            Key::Es(k) => k.sign(&rng, msg).unwrap().as_ref().to_vec(),
            Key::Rs(k) => {
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(&sig::RSA_PKCS1_SHA256, &rng, msg, &mut out).unwrap();
                out
            }
        }
    }
    /// A compact JWT with this header and payload.
    pub fn token(&self, header: Value, claims: Value) -> String {
        let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
        let s = self.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(s))
    }
    /// A token for `kid` with the usual claims, `extra` merged over them.
    pub fn access_token(&self, kid: &str, extra: Value) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut c = json!({"iss": ISSUER, "aud": RESOURCE, "sub": "alice", "exp": now + 300, "iat": now,
                           "client_id": "test-client", "scope": "mcp:tools"});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        self.token(json!({"alg": self.alg(), "kid": kid, "typ": "at+jwt"}), c)
    }
}

/// A JWKS endpoint that counts its fetches.
pub struct Jwks {
    pub url: String,
    pub keys: Arc<Mutex<Value>>,
    pub fetches: Arc<AtomicUsize>,
}

impl Jwks {
    pub async fn serve(keys: Value) -> Jwks {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (k, f) = (keys.clone(), fetches.clone());
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || {
                let (k, f) = (k.clone(), f.clone());
                async move {
                    f.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({"keys": k.lock().unwrap().clone()}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Jwks { url, keys, fetches }
    }
    pub fn count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// `auth` in oauth mode trusting [`ISSUER`] through `jwks_uri`.
pub fn oauth(jwks_uri: &str) -> Value {
    json!({"mode": "oauth", "resource": RESOURCE,
           "issuers": [{"issuer": ISSUER, "jwks_uri": jwks_uri, "algorithms": ["RS256", "ES256", "EdDSA"]}]})
}

async fn post_mcp(app: &TestApp, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/mcp", app.base))
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn init() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
           "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
}

fn challenge(r: &reqwest::Response) -> String {
    r.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test]
async fn oauth_accepts_tokens_from_a_trusted_issuer_for_this_resource_and_refuses_every_other() {
    let (ed, es, rs) = (Key::ed(), Key::es(), Key::rs());
    let jwks = Jwks::serve(json!([ed.jwk("ed-1"), es.jwk("es-1"), rs.jwk("rs-1")])).await;
    let mut m = manifest(crate::tools());
    m["auth"] = oauth(&jwks.url);
    let app = TestApp::spawn(m, &[]).await;

    for (key, kid) in [(&ed, "ed-1"), (&es, "es-1"), (&rs, "rs-1")] {
        let t = key.access_token(kid, json!({}));
        let r = post_mcp(&app, Some(&t), init()).await;
        assert_eq!(r.status(), 200, "{} token accepted", key.alg());
        let mut s = app.session(Some(&t)).await;
        let ok = s.call("echo", json!({"id": 1})).await;
        assert_eq!(ok["result"]["isError"], json!(false), "{ok}");
    }
    assert_eq!(jwks.count(), 1, "the JWKS is fetched once and cached");

    let now = chrono::Utc::now().timestamp();
    let other = Key::ed();
    let hs_with_public_key = {
        // HS256 keyed with the issuer's public key (the algorithm-confusion attack).
        use hmac::Mac;
        let pubkey = ed.jwk("ed-1")["x"].as_str().unwrap().to_string();
        let input = format!(
            "{}.{}",
            B64.encode(json!({"alg": "HS256", "kid": "ed-1"}).to_string()),
            B64.encode(json!({"iss": ISSUER, "aud": RESOURCE, "sub": "x", "exp": now + 300}).to_string())
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(pubkey.as_bytes()).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", B64.encode(mac.finalize().into_bytes()))
    };
    let none = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none"}).to_string()),
        B64.encode(json!({"iss": ISSUER, "aud": RESOURCE, "sub": "x", "exp": now + 300}).to_string())
    );
    let refused = [
        ("wrong audience", ed.access_token("ed-1", json!({"aud": "https://other.example.com/mcp"})), "aud"),
        ("audience list without us", ed.access_token("ed-1", json!({"aud": ["a", "b"]})), "aud"),
        ("wrong issuer", ed.access_token("ed-1", json!({"iss": "https://evil.example.com"})), "issuer"),
        ("expired beyond the leeway", ed.access_token("ed-1", json!({"exp": now - 120})), "expired"),
        ("not valid yet", ed.access_token("ed-1", json!({"nbf": now + 600})), "not valid yet"),
        ("no exp", ed.token(json!({"alg": "EdDSA", "kid": "ed-1"}), json!({"iss": ISSUER, "aud": RESOURCE})), "exp"),
        ("another key, same kid", other.access_token("ed-1", json!({})), "signature"),
        ("alg none", none, "well-formed"),
        ("HS256 with the public key", hs_with_public_key, "algorithm"),
        ("not a JWT", "opaque-token-value".to_string(), "not a JWT"),
    ];
    for (what, token, why) in refused {
        let r = post_mcp(&app, Some(&token), init()).await;
        assert_eq!(r.status(), 401, "{what}");
        let c = challenge(&r);
        assert!(c.contains(r#"error="invalid_token""#), "{what}: {c}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{what}: {body}");
        let detail = body["error_description"].as_str().unwrap();
        assert!(detail.contains(why), "{what}: {detail}");
        assert!(!detail.contains(&token[..20.min(token.len())]), "{what}: the token is not echoed");
    }
    // Within the leeway (60 s by default) an expired token still passes.
    let t = ed.access_token("ed-1", json!({"exp": now - 30}));
    assert_eq!(post_mcp(&app, Some(&t), init()).await.status(), 200);
    // A list audience naming this resource passes.
    let t = ed.access_token("ed-1", json!({"aud": ["https://other.example.com", RESOURCE]}));
    assert_eq!(post_mcp(&app, Some(&t), init()).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_jwks_once_then_is_refused_and_refetches_are_rate_limited() {
    let (old, new) = (Key::es(), Key::es());
    let jwks = Jwks::serve(json!([old.jwk("old")])).await;
    let mut m = manifest(crate::tools());
    m["auth"] = oauth(&jwks.url);
    let app = TestApp::spawn(m, &[]).await;
    assert_eq!(post_mcp(&app, Some(&old.access_token("old", json!({}))), init()).await.status(), 200);
    assert_eq!(jwks.count(), 1);
    // The issuer rotates: the first token with the new kid triggers one refetch and passes.
    jwks.keys.lock().unwrap().as_array_mut().unwrap().push(new.jwk("new"));
    let r = post_mcp(&app, Some(&new.access_token("new", json!({}))), init()).await;
    assert_eq!(r.status(), 200, "the rotated key was picked up by the refetch");
    assert_eq!(jwks.count(), 2, "one refetch for the unknown kid");
    // Made-up kids are refused without another fetch within the interval.
    for i in 0..5 {
        let r = post_mcp(&app, Some(&new.access_token(&format!("made-up-{i}"), json!({}))), init()).await;
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert!(body["error_description"].as_str().unwrap().contains("kid"), "{body}");
    }
    assert_eq!(jwks.count(), 2, "refetches are rate-limited");
    // Known keys keep working meanwhile.
    assert_eq!(post_mcp(&app, Some(&old.access_token("old", json!({}))), init()).await.status(), 200);
}

#[tokio::test]
async fn the_challenge_and_the_protected_resource_metadata_name_the_configured_resource_never_the_host() {
    let key = Key::ed();
    let mut m = manifest(crate::tools());
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE,
        "issuers": [{"issuer": ISSUER, "keys": [key.jwk("k")]}],
        "default_scope": "db:read"});
    m["tools"][0]["scopes"] = json!(["orders:read"]);
    let app = TestApp::spawn(m, &[]).await;
    let r = post_mcp(&app, None, init()).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        challenge(&r),
        r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="db:read""#
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
        let r = app.get(path).header("host", "localhost:1").send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} is public");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(doc["resource"], RESOURCE, "{doc}");
        assert_eq!(doc["authorization_servers"], json!([ISSUER]));
        assert_eq!(doc["scopes_supported"], json!(["db:read", "orders:read"]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
    assert_eq!(app.get("/.well-known/oauth-protected-resource/other").send().await.unwrap().status(), 404);
    // /metrics takes a token too; inline keys need no JWKS.
    assert_eq!(app.get("/metrics").send().await.unwrap().status(), 401);
    let t = key.access_token("k", json!({"scope": "db:read"}));
    assert_eq!(app.get("/metrics").bearer_auth(&t).send().await.unwrap().status(), 200);
    // Without oauth there is no metadata.
    let open = TestApp::spawn(manifest(crate::tools()), &[]).await;
    assert_eq!(open.get("/.well-known/oauth-protected-resource/mcp").send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn scopes_filter_the_lists_and_a_call_outside_them_gets_403_insufficient_scope() {
    let key = Key::ed();
    let mut m = manifest(crate::tools());
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE, "issuers": [{"issuer": ISSUER, "keys": [key.jwk("k")]}]});
    m["tools"][0]["scopes"] = json!(["orders:read"]);
    m["resources"][0]["scopes"] = json!(["customers:read"]);
    m["prompts"][0]["scopes"] = json!(["prompts"]);
    let app = TestApp::spawn(m, &[]).await;

    let basic = key.access_token("k", json!({"scope": "mcp:tools"}));
    let mut s = app.session(Some(&basic)).await;
    let tools = s.request("tools/list", json!({})).await;
    let names: Vec<&str> =
        tools["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"echo") && names.contains(&"counted"), "{names:?}");
    let templates = s.request("resources/templates/list", json!({})).await;
    assert_eq!(templates["result"]["resourceTemplates"], json!([]), "{templates}");
    let resources = s.request("resources/list", json!({})).await;
    assert_eq!(resources["result"]["resources"][0]["uri"], "shop://logo", "{resources}");
    let prompts = s.request("prompts/list", json!({})).await;
    assert_eq!(prompts["result"]["prompts"], json!([]), "{prompts}");

    let call =
        json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "echo", "arguments": {"id": 1}}});
    let r = post_mcp(&app, Some(&basic), call.clone()).await;
    assert_eq!(r.status(), 403);
    let c = challenge(&r);
    // The challenge asks for what the token has plus what the call needs, so a step-up loses nothing.
    assert!(c.starts_with(r#"Bearer error="insufficient_scope", scope="mcp:tools orders:read", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp""#), "{c}");
    let read = json!({"jsonrpc": "2.0", "id": 6, "method": "resources/read", "params": {"uri": "shop://customers/4"}});
    let r = post_mcp(&app, Some(&basic), read).await;
    assert_eq!(r.status(), 403);
    assert!(challenge(&r).contains(r#"scope="mcp:tools customers:read""#), "{}", challenge(&r));
    // A token without even the default scope sees no tool at all.
    let none = key.access_token("k", json!({"scope": "profile"}));
    let mut s = app.session(Some(&none)).await;
    assert_eq!(s.request("tools/list", json!({})).await["result"]["tools"], json!([]));
    let r = post_mcp(
        &app,
        Some(&none),
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "counted", "arguments": {}}}),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(challenge(&r).contains(r#"scope="profile mcp:tools""#), "{}", challenge(&r));

    // With the scopes (as a space-separated `scope` or an `scp` list) the same calls pass.
    let full = key.access_token("k", json!({"scope": "mcp:tools orders:read customers:read prompts"}));
    let mut s = app.session(Some(&full)).await;
    assert_eq!(s.call("echo", json!({"id": 1})).await["result"]["isError"], json!(false));
    let r = s.request("resources/read", json!({"uri": "shop://customers/4"})).await;
    assert!(r.get("result").is_some(), "{r}");
    assert_eq!(s.request("prompts/list", json!({})).await["result"]["prompts"][0]["name"], "greet");
    let scp = key.access_token("k", json!({"scope": null, "scp": ["orders:read"]}));
    assert_eq!(app.session(Some(&scp)).await.call("echo", json!({"id": 1})).await["result"]["isError"], json!(false));
}

#[tokio::test]
async fn claim_bound_parameters_fail_closed_and_never_take_a_value_from_the_model() {
    let key = Key::ed();
    let tools = json!([{"name": "mine", "sql": "SELECT :owner, :groups", "connection": "db",
        "parameters": [{"name": "owner", "type": "string", "from_claim": "email"},
                       {"name": "groups", "type": "array", "from_claim": "groups"}]}]);
    let mut m = manifest(tools);
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE, "issuers": [{"issuer": ISSUER, "keys": [key.jwk("k")]}]});
    m["resources"][0]["parameters"] = json!([{"name": "id", "type": "integer"},
        {"name": "who", "type": "string", "from_claim": "sub"}]);
    m["server"]["request_log"] = json!(true);
    let app = TestApp::spawn(m, &[]).await;
    app.shared.metrics.telemetry.enable();
    let t = key.access_token("k", json!({"email": "alice@example.com", "groups": ["g1", "g2"]}));
    let mut s = app.session(Some(&t)).await;
    let listed = s.request("tools/list", json!({})).await;
    let schema = &listed["result"]["tools"][0]["inputSchema"];
    assert_eq!(schema["properties"], json!({}), "claim-bound parameters are not the model's: {listed}");
    let ok = s.call("mine", json!({})).await;
    assert_eq!(
        ok["result"]["structuredContent"]["rows"],
        json!([{"arg": "owner", "value": "alice@example.com"}, {"arg": "groups", "value": ["g1", "g2"]}]),
        "{ok}"
    );
    // The request log names the subject, and keeps what the client sent, not the bound values.
    let records = app.shared.metrics.telemetry.take().records;
    let first = records.iter().find(|r| r.name == "mine").expect("a request-log record");
    assert_eq!((first.client.as_str(), &first.arguments), ("sub:alice", &json!({})));
    let forged = s.call("mine", json!({"owner": "bob@example.com"})).await;
    assert_eq!(forged["result"]["isError"], json!(true));
    assert!(
        crate::text(&forged).contains("\"owner\"") && crate::text(&forged).contains("cannot be supplied"),
        "{forged}"
    );
    // A SQL resource binds the claim too.
    let r = s.request("resources/read", json!({"uri": "shop://customers/4"})).await;
    let body: Value = serde_json::from_str(r["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert!(body["rows"].as_array().unwrap().contains(&json!({"arg": "who", "value": "alice"})), "{body}");
    // A token without the claim fails the call; the query never runs.
    let t = key.access_token("k", json!({"email": "carol@example.com"}));
    let mut s = app.session(Some(&t)).await;
    let r = s.call("mine", json!({})).await;
    assert_eq!(r["result"]["isError"], json!(true));
    assert!(crate::text(&r).contains("no \"groups\" claim"), "{r}");
    assert!(app.journal.lock().unwrap().started.is_empty());
}

#[tokio::test]
async fn two_users_see_their_own_rows_and_never_each_others_cached_results_or_pages() {
    let Some(p) = pg().await else { return };
    p.setup(
        "CREATE TABLE notes (id INT PRIMARY KEY, owner TEXT, body TEXT);
         INSERT INTO notes SELECT g, CASE WHEN g % 2 = 0 THEN 'alice@example.com' ELSE 'bob@example.com' END, 'n' || g
         FROM generate_series(1, 10) g;",
    )
    .await;
    let key = Key::rs();
    let tools = json!([
        {"name": "my_notes", "connection": "pg", "cache_ttl_seconds": 60,
         "sql": "SELECT id, body FROM notes WHERE owner = :user_email ORDER BY id",
         "parameters": [{"name": "user_email", "type": "string", "from_claim": "email"}]},
        {"name": "my_pages", "connection": "pg", "pageable": true, "limits": {"max_rows": 2},
         "sql": "SELECT id FROM notes WHERE owner = :user_email ORDER BY id",
         "parameters": [{"name": "user_email", "type": "string", "from_claim": "email"}]}
    ]);
    let mut m = release(1, vec![connection("pg", &p.spec, None, json!({}))], tools);
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE, "issuers": [{"issuer": ISSUER, "keys": [key.jwk("k")]}]});
    let (app, _) = spawn(m, Some(&shared_model::secret::Keyring::generate_key())).await;
    let alice = key.access_token("k", json!({"sub": "a", "email": "alice@example.com"}));
    let bob = key.access_token("k", json!({"sub": "b", "email": "bob@example.com"}));
    let ids = |r: &Value| -> Vec<i64> {
        let rows = r["result"]["structuredContent"]["rows"].as_array().unwrap_or_else(|| panic!("{r}"));
        rows.iter().map(|o| o["id"].as_i64().unwrap()).collect()
    };
    let (mut a, mut b) = (app.session(Some(&alice)).await, app.session(Some(&bob)).await);
    // Alice first fills the cache; Bob's identical call must not be served from it.
    assert_eq!(ids(&a.call("my_notes", json!({})).await), [2, 4, 6, 8, 10]);
    assert_eq!(ids(&b.call("my_notes", json!({})).await), [1, 3, 5, 7, 9]);
    assert_eq!(ids(&a.call("my_notes", json!({})).await), [2, 4, 6, 8, 10]);
    // Alice's cursor is hers: Bob cannot continue it.
    let first = a.call("my_pages", json!({})).await;
    assert_eq!(ids(&first), [2, 4]);
    let cursor = first["result"]["structuredContent"]["next_cursor"].as_str().unwrap().to_string();
    let stolen = b.call("my_pages", json!({"cursor": cursor})).await;
    assert_eq!(stolen["result"]["isError"], json!(true), "{stolen}");
    let next = a.call("my_pages", json!({"cursor": cursor})).await;
    assert_eq!(ids(&next), [6, 8]);
}

#[tokio::test]
async fn opaque_tokens_are_introspected_with_the_client_credentials_and_the_answers_cached() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let now = chrono::Utc::now().timestamp();
    let app_ = axum::Router::new().route(
        "/introspect",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("rt:intro-secret"));
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
                    return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"})));
                }
                let token = body.split('&').find_map(|kv| kv.strip_prefix("token=")).unwrap_or_default().to_string();
                let answer = match token.as_str() {
                    "opaque-alice" => json!({"active": true, "sub": "alice", "scope": "mcp:tools", "aud": RESOURCE,
                        "exp": now + 300, "client_id": "c1", "email": "alice@example.com"}),
                    "opaque-other-aud" => json!({"active": true, "sub": "x", "scope": "mcp:tools",
                        "aud": "https://other.example.com", "exp": now + 300}),
                    "opaque-expired" => json!({"active": true, "sub": "x", "scope": "mcp:tools", "exp": now - 600}),
                    _ => json!({"active": false}),
                };
                (axum::http::StatusCode::OK, axum::Json(answer))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}/introspect", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app_).await });

    let key = shared_model::secret::Keyring::generate_key();
    let keyring = shared_model::secret::Keyring::from_base64_list(&key).unwrap();
    let sealed = shared_model::manifest::SealedSecret::seal(&keyring, "intro-secret");
    let tools = json!([{"name": "mine", "sql": "SELECT :owner", "connection": "db",
        "parameters": [{"name": "owner", "type": "string", "from_claim": "email"}]}]);
    let mut m = manifest(tools);
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE,
        "issuers": [{"issuer": ISSUER, "keys": [Key::ed().jwk("k")]}],
        "introspection": {"endpoint": endpoint, "client_id": "rt", "client_secret": sealed.0, "cache_seconds": 60}});
    let app = TestApp::spawn(m, &[("QUARRY_RUNTIME_KEY", &key)]).await;

    let mut s = app.session(Some("opaque-alice")).await;
    let r = s.call("mine", json!({})).await;
    assert_eq!(
        r["result"]["structuredContent"]["rows"],
        json!([{"arg": "owner", "value": "alice@example.com"}]),
        "{r}"
    );
    let after_first = calls.load(Ordering::SeqCst);
    s.call("mine", json!({})).await;
    s.call("mine", json!({})).await;
    assert_eq!(calls.load(Ordering::SeqCst), after_first, "the answer is cached");
    assert_eq!(after_first, 1, "one introspection for the whole session");

    for (token, why) in [("opaque-unknown", "not active"), ("opaque-other-aud", "aud"), ("opaque-expired", "expired")] {
        let r = post_mcp(&app, Some(token), init()).await;
        assert_eq!(r.status(), 401, "{token}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error_description"].as_str().unwrap().contains(why), "{token}: {body}");
    }
    // A refusal is cached as well.
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(post_mcp(&app, Some("opaque-unknown"), init()).await.status(), 401);
    assert_eq!(calls.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn a_token_accepted_once_is_not_accepted_again_past_its_expiry() {
    // Repeated calls with one token skip the signature check (the verified-token
    // cache); that must never stretch the token's own lifetime.
    let ed = Key::ed();
    let mut m = manifest(crate::tools());
    m["auth"] = json!({"mode": "oauth", "resource": RESOURCE, "leeway_seconds": 0,
                       "issuers": [{"issuer": ISSUER, "keys": [ed.jwk("ed-1")], "algorithms": ["EdDSA"]}]});
    let app = TestApp::spawn(m, &[]).await;
    let exp = chrono::Utc::now().timestamp() + 2;
    let t = ed.access_token("ed-1", json!({"exp": exp}));
    for _ in 0..3 {
        assert_eq!(post_mcp(&app, Some(&t), init()).await.status(), 200, "accepted while valid, again and again");
    }
    while chrono::Utc::now().timestamp() <= exp {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let r = post_mcp(&app, Some(&t), init()).await;
    assert_eq!(r.status(), 401, "refused once expired, although it was accepted a moment ago");
    assert!(challenge(&r).contains("expired"), "{}", challenge(&r));
}
