//! Access tokens the agent endpoint must refuse: expired, revoked client,
//! foreign audience or issuer, bad signature, unknown key, `alg: none` and
//! an HS256 token keyed with the public key — each a 401 `invalid_token`
//! with the challenge, nothing changed, and an `agent_refused` audit entry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use control_plane::oauth::access_token::{Realm, issue};
use control_plane::oauth::keys::SigningKeys;
use reqwest::StatusCode;
use serde_json::json;

use super::oauth::{access_token, oauth_client};
use super::{post_call, store_state};
use crate::harness::TestApp;

#[tokio::test]
async fn forged_stale_and_foreign_access_tokens_are_refused_with_invalid_token_and_audited() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (id, client_id, secret) = oauth_client(&app, &["connections:read", "connections:write"]).await;
    let keys = &app.state.agent.oauth.keys;
    let realm = control_plane::oauth::realm(&app.state);
    let scopes = ["connections:read", "connections:write"];
    let now = chrono::Utc::now();
    let make = |realm: &Realm, keys: &SigningKeys, at| issue(keys, realm, &client_id, &scopes, 900, at).unwrap();

    let expired = make(&realm, keys, now - chrono::Duration::seconds(900 + 61));
    let not_yet = make(&realm, keys, now + chrono::Duration::seconds(120));
    let foreign_aud = make(&Realm { audience: "https://other.example/mcp".into(), ..realm.clone() }, keys, now);
    let foreign_iss = make(&Realm { issuer: "https://evil.example".into(), ..realm.clone() }, keys, now);
    let other_dir = std::env::temp_dir().join(format!("quarry-foreign-keys-{}", uuid::Uuid::new_v4()));
    let foreign_key = make(&realm, &SigningKeys::load_or_generate(&other_dir).unwrap(), now);
    std::fs::remove_dir_all(&other_dir).unwrap();
    let valid = make(&realm, keys, now);
    let (head, rest) = valid.split_once('.').unwrap();
    let (claims, sig) = rest.split_once('.').unwrap();
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let bad_signature = format!("{head}.{claims}.{flipped}{}", &sig[1..]);
    let kid = jsonwebtoken::decode_header(&valid).unwrap().kid.unwrap();
    let none_head = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let alg_none = format!("{none_head}.{claims}.");
    // The classic confusion: HS256 keyed with the (public) Ed25519 key.
    let public_x = app.state.agent.oauth.keys.jwks(now)["keys"][0]["x"].as_str().unwrap().to_string();
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = Some(kid);
    let claims_json: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    let hs256 =
        jsonwebtoken::encode(&hs_header, &claims_json, &jsonwebtoken::EncodingKey::from_secret(public_x.as_bytes()))
            .unwrap();

    let conn = json!({"name": "nope", "db_type": "sqlite", "database": "/tmp/quarry-never.db"});
    let before = store_state(&app).await;
    let cases = [
        (expired, "expired"),
        (not_yet, "not valid yet"),
        (foreign_aud, "another audience"),
        (foreign_iss, "another authorization server"),
        (foreign_key, "signing key is unknown"),
        (bad_signature, "signature does not verify"),
        (alg_none, "not a well-formed JWT"),
        (hs256, "algorithm is not accepted"),
    ];
    for (token, why) in &cases {
        let res = post_call(&app, token, "create_connection", conn.clone()).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{why}");
        let challenge = res.headers()["www-authenticate"].to_str().unwrap();
        assert!(challenge.contains("error=\"invalid_token\"") && challenge.contains(why), "{why}: {challenge}");
        assert!(challenge.starts_with("Bearer resource_metadata=\""), "{challenge}");
    }
    // A real token works until its client is revoked; then it is refused on its next use.
    let live = access_token(&app, &client_id, &secret).await;
    let res = post_call(&app, &live, "list_connections", json!({})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.delete(&format!("/api/v1/oauth-clients/{id}")).await.0, StatusCode::NO_CONTENT);
    let before = (before.0, before.1, store_state(&app).await.2);
    let res = post_call(&app, &live, "create_connection", conn.clone()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("was revoked"));
    let (_, connections) = app.get("/api/v1/connections").await;
    assert_eq!(connections["total"], 0, "no refused token created anything");
    assert_eq!(store_state(&app).await.2, before.2, "the configuration is unchanged");
    let (_, audit) = app.get("/api/v1/audit?event=agent_refused&limit=100").await;
    assert_eq!(audit["total"], cases.len() + 1, "each refusal is audited: {audit}");
    let reasons = audit.to_string();
    assert!(reasons.contains("another audience") && reasons.contains("was revoked"), "{audit}");
}
