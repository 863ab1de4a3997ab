//! Two-factor login: codes are computed here with totp-rs from the secret the
//! setup returns, exactly as an authenticator app would.

use control_plane::storage::entities::{admin_totp, login_challenge, recovery_code, session};
use reqwest::{Client, Method, StatusCode, header};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};
use totp_rs::{Algorithm, Secret, Totp};

use crate::harness::{TestApp, browser};

const PASSWORD: &str = "correct horse";

fn totp(secret: &str) -> Totp {
    let bytes = Secret::try_from_base32(secret).expect("base32 secret").as_bytes().to_vec();
    totp_rs::Builder::new().with_algorithm(Algorithm::SHA1).with_secret(bytes).build().expect("totp")
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// The code of the time step `offset` steps away from now (the server
/// accepts one step either way).
fn code(secret: &str, offset: i64) -> String {
    totp(secret).generate((now() as i64 + offset * 30) as u64).to_string()
}

/// Waits out the last seconds of a time step so that the steps -1, 0 and +1
/// stay valid for the rest of a test.
async fn fresh_step() {
    let into = now() % 30;
    if into > 20 {
        tokio::time::sleep(std::time::Duration::from_secs(31 - into)).await;
    }
}

/// Every row that 2FA and login touch, for "nothing changed" checks.
async fn snapshot(app: &TestApp) -> String {
    let db = &app.state.db;
    let mut totp = admin_totp::Entity::find().all(db).await.unwrap();
    totp.sort_by(|a, b| a.admin_id.cmp(&b.admin_id));
    let mut codes = recovery_code::Entity::find().all(db).await.unwrap();
    codes.sort_by(|a, b| a.code_hash.cmp(&b.code_hash));
    let mut pending = login_challenge::Entity::find().all(db).await.unwrap();
    pending.sort_by(|a, b| a.token_hash.cmp(&b.token_hash));
    let mut sessions = session::Entity::find().all(db).await.unwrap();
    sessions.sort_by(|a, b| a.id.cmp(&b.id));
    format!("{totp:?}\n{codes:?}\n{pending:?}\n{sessions:?}")
}

/// Admin logged in, 2FA set up and verified; returns the secret and the recovery codes.
async fn enable_2fa(app: &TestApp) -> (String, Vec<String>) {
    app.login_admin().await;
    fresh_step().await;
    let (status, setup) = app.post("/api/v1/auth/2fa/setup", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_string();
    let (status, body) = app.post("/api/v1/auth/2fa/verify-setup", &json!({"code": code(&secret, -1)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let codes = setup["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    (secret, codes)
}

async fn post_with(app: &TestApp, client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    app.send_with(client, Method::POST, path, Some(&body)).await
}

/// The password step from a fresh client: its pending token.
async fn password_step(app: &TestApp, client: &Client) -> String {
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::SET_COOKIE).is_none(), "no session before the second factor");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["requires_2fa"], json!(true), "{body}");
    body["pending_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn setup_returns_a_secret_qr_code_and_ten_recovery_codes_but_2fa_stays_off_until_a_code_verifies_it() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    fresh_step().await;
    let (status, setup) = app.post("/api/v1/auth/2fa/setup", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap();
    assert!(Secret::try_from_base32(secret).unwrap().as_bytes().len() >= 20);
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Quarry:admin?") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(setup["qr_data_uri"].as_str().unwrap().starts_with("data:image/svg+xml;base64,"));
    let codes = setup["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);

    // Not on yet: status, /me and the password-only login say so.
    assert_eq!(
        app.get("/api/v1/auth/2fa/status").await.1,
        json!({"enabled": false, "recovery_codes_remaining": 0, "remaining_recovery_codes": 0})
    );
    assert_eq!(app.get("/api/v1/auth/me").await.1["totp_enabled"], json!(false));
    let (_, login) =
        post_with(&app, &browser(), "/api/v1/auth/login", json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(login["requires_2fa"], json!(false), "{login}");

    // The secret is sealed at rest.
    let row = admin_totp::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert!(!row.secret_encrypted.contains(secret) && row.secret_encrypted != secret);
    assert_eq!(app.state.keyring.decrypt(&row.secret_encrypted).unwrap(), secret);
    // Recovery codes are stored hashed.
    let stored = recovery_code::Entity::find().all(&app.state.db).await.unwrap();
    assert!(stored.iter().all(|r| codes.iter().all(|c| !r.code_hash.contains(c.as_str().unwrap()))));

    // A wrong code (and a malformed one) is refused and changes nothing.
    let before = snapshot(&app).await;
    let wrong = format!("{:06}", (code(secret, 0).parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, body) = app.post("/api/v1/auth/2fa/verify-setup", &json!({"code": wrong})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app.post("/api/v1/auth/2fa/verify-setup", &json!({"code": "12ab"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("6-digit"), "{body}");
    assert_eq!(snapshot(&app).await, before);

    let (status, body) = app.post("/api/v1/auth/2fa/verify-setup", &json!({"code": code(secret, 0)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/auth/2fa/status").await.1,
        json!({"enabled": true, "recovery_codes_remaining": 10, "remaining_recovery_codes": 10})
    );
    assert_eq!(app.get("/api/v1/auth/me").await.1["totp_enabled"], json!(true));
    let (status, body) = app.post("/api/v1/auth/2fa/setup", &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a running 2FA is not replaced by a new setup: {body}");
}

#[tokio::test]
async fn verify_setup_without_a_started_setup_is_a_conflict() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (status, body) = app.post("/api/v1/auth/2fa/verify-setup", &json!({"code": "123456"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("/auth/2fa/setup"), "{body}");
}

#[tokio::test]
async fn with_2fa_on_login_needs_the_code_step_and_its_pending_token_works_once() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await;
    let client = browser();
    let token = password_step(&app, &client).await;
    let (status, _) = app.send_with(&client, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the password alone gives no session");

    let (status, body) = post_with(
        &app,
        &client,
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"username": "admin", "requires_2fa": false, "pending_token": null}));
    let (status, me) = app.send_with(&client, Method::GET, "/api/v1/auth/me", None).await;
    assert_eq!((status, me), (StatusCode::OK, json!({"username": "admin", "totp_enabled": true})));

    // The pending token is used up, even with another valid code.
    let (status, body) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, 1)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": "made-up", "code": code(&secret, 1)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await; // used step -1
    let used = code(&secret, 0);
    let token = password_step(&app, &browser()).await;
    let (status, _) =
        post_with(&app, &browser(), "/api/v1/auth/login/verify-2fa", json!({"pending_token": token, "code": used}))
            .await;
    assert_eq!(status, StatusCode::OK);

    let token = password_step(&app, &browser()).await;
    let before = snapshot(&app).await;
    let (status, body) =
        post_with(&app, &browser(), "/api/v1/auth/login/verify-2fa", json!({"pending_token": token, "code": used}))
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("already used"), "{body}");
    // The code of the step before the last accepted one is refused too.
    let (status, _) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, -1)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(snapshot(&app).await, before, "a refused code leaves the store unchanged");
    // The pending token survives a wrong code; the next step's code completes the login.
    let (status, body) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, 1)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn wrong_codes_count_toward_the_login_limiter_of_that_username() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await;
    let client = browser();
    let token = password_step(&app, &client).await;
    let wrong = format!("{:06}", (code(&secret, 0).parse::<u32>().unwrap() + 500_000) % 1_000_000);
    for _ in 0..5 {
        let (status, _) =
            post_with(&app, &client, "/api/v1/auth/login/verify-2fa", json!({"pending_token": token, "code": wrong}))
                .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked out: even the right code now waits, and so does the password step.
    let (status, body) = post_with(
        &app,
        &client,
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let (status, _) =
        post_with(&app, &client, "/api/v1/auth/login", json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_and_regenerating_kills_the_old_codes() {
    let app = TestApp::spawn().await;
    let (secret, codes) = enable_2fa(&app).await;
    let token = password_step(&app, &browser()).await;
    // Typed in lower case without dashes still matches.
    let typed = codes[0].replace('-', "").to_lowercase();
    let (status, body) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": typed, "is_recovery": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.get("/api/v1/auth/2fa/status").await.1["recovery_codes_remaining"], json!(9));

    let token = password_step(&app, &browser()).await;
    let (status, _) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": codes[0], "is_recovery": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a recovery code works once");

    // Regenerating needs the password and a code; a wrong one changes nothing.
    let before = snapshot(&app).await;
    let (status, _) = app
        .post(
            "/api/v1/auth/2fa/regenerate-recovery",
            &json!({"current_password": "wrong password", "code": code(&secret, 0)}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(snapshot(&app).await, before);
    let (status, body) = app
        .post("/api/v1/auth/2fa/regenerate-recovery", &json!({"current_password": PASSWORD, "code": code(&secret, 0)}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = body["recovery_codes"].as_array().unwrap();
    assert_eq!(fresh.len(), 10);
    assert_eq!(app.get("/api/v1/auth/2fa/status").await.1["recovery_codes_remaining"], json!(10));

    let token = password_step(&app, &browser()).await;
    let (status, _) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": codes[1], "is_recovery": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "old codes died with the regeneration");
    let (status, body) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": fresh[0], "is_recovery": true}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn disabling_needs_the_password_and_a_current_code_and_a_failed_attempt_changes_nothing() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await;
    let before = snapshot(&app).await;
    let (status, body) = app
        .post("/api/v1/auth/2fa/disable", &json!({"current_password": "not the password", "code": code(&secret, 0)}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("current_password"), "{body}");
    let wrong = format!("{:06}", (code(&secret, 0).parse::<u32>().unwrap() + 3) % 1_000_000);
    let (status, body) =
        app.post("/api/v1/auth/2fa/disable", &json!({"current_password": PASSWORD, "code": wrong})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = app.post("/api/v1/auth/2fa/disable", &json!({"current_password": PASSWORD})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the code is required");
    assert_eq!(snapshot(&app).await, before, "refused attempts leave the store unchanged");
    assert_eq!(app.get("/api/v1/auth/2fa/status").await.1["enabled"], json!(true));

    let (status, body) =
        app.post("/api/v1/auth/2fa/disable", &json!({"current_password": PASSWORD, "code": code(&secret, 0)})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.get("/api/v1/auth/2fa/status").await.1,
        json!({"enabled": false, "recovery_codes_remaining": 0, "remaining_recovery_codes": 0})
    );
    assert_eq!(recovery_code::Entity::find().all(&app.state.db).await.unwrap().len(), 0);
    let (_, login) =
        post_with(&app, &browser(), "/api/v1/auth/login", json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(login["requires_2fa"], json!(false));
    let (status, _) =
        app.post("/api/v1/auth/2fa/disable", &json!({"current_password": PASSWORD, "code": code(&secret, 1)})).await;
    assert_eq!(status, StatusCode::CONFLICT, "2FA is already off");
}

#[tokio::test]
async fn an_expired_pending_token_is_refused() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await;
    let token = password_step(&app, &browser()).await;
    let row = login_challenge::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_ne!(row.token_hash, token, "the token is stored hashed");
    let lifetime = row.expires_at - row.created_at;
    assert!(lifetime <= chrono::Duration::minutes(5), "{lifetime}");
    app.state.db.execute_unprepared("UPDATE login_challenges SET expires_at = created_at").await.unwrap();
    let (status, body) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": token, "code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("log in again"), "{body}");
}

#[tokio::test]
async fn the_operator_command_turns_2fa_off_and_ends_every_session() {
    let app = TestApp::spawn().await;
    enable_2fa(&app).await;
    assert_eq!(app.get("/api/v1/auth/me").await.0, StatusCode::OK);
    let (name, was_on) = control_plane::auth::disable_two_factor(&app.state.db).await.unwrap();
    assert_eq!((name.as_str(), was_on), ("admin", true));
    assert_eq!(app.get("/api/v1/auth/me").await.0, StatusCode::UNAUTHORIZED, "sessions ended");
    let (_, login) =
        post_with(&app, &browser(), "/api/v1/auth/login", json!({"username": "admin", "password": PASSWORD})).await;
    assert_eq!(login["requires_2fa"], json!(false), "{login}");
}

#[tokio::test]
async fn only_the_newest_pending_logins_stay_open() {
    let app = TestApp::spawn().await;
    let (secret, _) = enable_2fa(&app).await;
    let first = password_step(&app, &browser()).await;
    for _ in 0..control_plane::storage::two_factor::MAX_PENDING_LOGINS {
        password_step(&app, &browser()).await;
    }
    let open = login_challenge::Entity::find().all(&app.state.db).await.unwrap().len();
    assert_eq!(open, control_plane::storage::two_factor::MAX_PENDING_LOGINS);
    let (status, _) = post_with(
        &app,
        &browser(),
        "/api/v1/auth/login/verify-2fa",
        json!({"pending_token": first, "code": code(&secret, 0)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the oldest pending login was dropped");
}
