use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::harness::{TestApp, browser};

#[tokio::test]
async fn status_reports_setup_required_until_the_admin_exists() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/api/v1/auth/status").await.1, json!({"setup_required": true, "setup_token_required": false}));
    app.login_admin().await;
    assert_eq!(app.get("/api/v1/auth/status").await.1, json!({"setup_required": false, "setup_token_required": false}));
}

#[tokio::test]
async fn setup_works_once_and_refuses_short_passwords() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post("/api/v1/auth/setup", &json!({"username": "admin", "password": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("at least 8"), "{body}");
    app.login_admin().await;
    let (status, body) = app.post("/api/v1/auth/setup", &json!({"username": "other", "password": "long enough"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let res = browser()
        .post(app.url("/api/v1/auth/setup"))
        .json(&json!({"username": "admin", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("quarry_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age=86400"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain-HTTP deployments must still get their cookie: {cookie}");
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = TestApp::spawn_with(&[("QUARRY_PUBLIC_URL", "https://quarry.example.com")]).await;
    let res = browser()
        .post(app.url("/api/v1/auth/setup"))
        .json(&json!({"username": "admin", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Secure"));
}

#[tokio::test]
async fn login_logout_and_me_work_and_logout_revokes_the_token_on_the_server() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let client = reqwest::Client::new();
    let res = client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie =
        res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let me = |c: String| {
        let client = client.clone();
        let url = app.url("/api/v1/auth/me");
        async move { client.get(url).header(header::COOKIE, c).send().await.unwrap() }
    };
    let res = me(cookie.clone()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"username": "admin", "totp_enabled": false}));
    let out = client
        .post(app.url("/api/v1/auth/logout"))
        .header(header::COOKIE, cookie.clone())
        .header("x-quarry-request", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    // The browser would drop the cookie; a stolen copy must stop working too.
    assert_eq!(me(cookie).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forged_or_tampered_token_is_refused() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/auth/me"))
        .header(header::COOKIE, "quarry_session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let other = browser();
    let creds = json!({"username": "admin", "password": "correct horse"});
    assert_eq!(app.send_with(&other, Method::POST, "/api/v1/auth/login", Some(&creds)).await.0, StatusCode::OK);

    let wrong = json!({"current_password": "nope nope", "new_password": "battery staple"});
    assert_eq!(app.patch("/api/v1/auth/me", &wrong).await.0, StatusCode::FORBIDDEN);
    let short = json!({"current_password": "correct horse", "new_password": "x"});
    assert_eq!(app.patch("/api/v1/auth/me", &short).await.0, StatusCode::UNPROCESSABLE_ENTITY);

    let change = json!({"current_password": "correct horse", "new_password": "battery staple", "new_username": "root"});
    let (status, body) = app.patch("/api/v1/auth/me", &change).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["username"], "root");
    assert_eq!(app.get("/api/v1/auth/me").await.0, StatusCode::OK, "the changing client gets a fresh session");
    assert_eq!(app.send_with(&other, Method::GET, "/api/v1/auth/me", None).await.0, StatusCode::UNAUTHORIZED);
    let old = json!({"username": "root", "password": "correct horse"});
    assert_eq!(app.send_with(&other, Method::POST, "/api/v1/auth/login", Some(&old)).await.0, StatusCode::UNAUTHORIZED);
    let new = json!({"username": "root", "password": "battery staple"});
    assert_eq!(app.send_with(&other, Method::POST, "/api/v1/auth/login", Some(&new)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn five_failed_logins_lock_that_username_out_with_retry_after_but_not_others() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let anon = reqwest::Client::new();
    let bad = json!({"username": "admin", "password": "wrong password"});
    for _ in 0..5 {
        let (status, _) = app.send_with(&anon, Method::POST, "/api/v1/auth/login", Some(&bad)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let res = anon.post(app.url("/api/v1/auth/login")).json(&bad).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers().get(header::RETRY_AFTER).unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Even the right password waits: the lock is checked before the password.
    let good = json!({"username": "admin", "password": "correct horse"});
    assert_eq!(
        app.send_with(&anon, Method::POST, "/api/v1/auth/login", Some(&good)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another username from the same address is unaffected.
    let other = json!({"username": "someone", "password": "wrong password"});
    assert_eq!(
        app.send_with(&anon, Method::POST, "/api/v1/auth/login", Some(&other)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn cross_site_writes_with_a_valid_cookie_are_refused() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let body = json!({"name": "x", "db_type": "sqlite", "database": "/tmp/x.db"});
    let res = app
        .client
        .post(app.url("/api/v1/connections"))
        .header(header::ORIGIN, "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/connections").await.1["total"], 0, "nothing was written");
    let res = app
        .client
        .post(app.url("/api/v1/connections"))
        .header(header::ORIGIN, app.base.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn every_protected_route_in_the_openapi_document_requires_a_session() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    let public = [
        "/api/health",
        "/api/v1/auth/status",
        "/api/v1/auth/setup",
        "/api/v1/auth/login",
        "/api/v1/auth/login/verify-2fa",
        "/api/v1/auth/logout",
        // The consent page starts a sign-in: the browser that began the request (its cookie) is the credential
        // (tests in authorization_server.rs).
        "/api/v1/oauth-consent/{id}",
    ];
    let anon = reqwest::Client::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "put", "delete"] {
            if item.get(method).is_none() || public.contains(&path.as_str()) {
                continue;
            }
            let url = app.url(&path.replace("{id}", &uuid::Uuid::new_v4().to_string()));
            let res = anon.request(method.to_uppercase().parse().unwrap(), url).json(&json!({})).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            let body: Value = res.json().await.unwrap();
            assert!(body["detail"].is_string(), "{method} {path}: {body}");
            checked += 1;
        }
    }
    assert!(checked >= 18, "only {checked} protected operations found");
}

#[tokio::test]
async fn reset_password_from_the_shell_sets_a_new_password_and_ends_sessions() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let name = control_plane::auth::reset_password(&app.state.db, None, "a brand new one").await.unwrap();
    assert_eq!(name, "admin");
    assert_eq!(app.get("/api/v1/auth/me").await.0, StatusCode::UNAUTHORIZED);
    let creds = json!({"username": "admin", "password": "a brand new one"});
    assert_eq!(app.post("/api/v1/auth/login", &creds).await.0, StatusCode::OK);
    assert!(control_plane::auth::reset_password(&app.state.db, None, "short").await.is_err());
}

#[tokio::test]
async fn the_quarry_binary_resets_the_password_from_the_shell() {
    let app = TestApp::spawn().await;
    app.login_admin().await;
    let url = app.state.config.database_url.clone();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_quarry"))
        .args(["admin", "reset-password"])
        .env("QUARRY_DATABASE_URL", url)
        .env("QUARRY_DATA_DIR", &app.data_dir)
        .env("QUARRY_ADMIN_PASSWORD", "from the shell")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"admin\""));
    assert_eq!(app.get("/api/v1/auth/me").await.0, StatusCode::UNAUTHORIZED, "sessions were ended");
    let creds = json!({"username": "admin", "password": "from the shell"});
    assert_eq!(app.post("/api/v1/auth/login", &creds).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_admin_can_be_bootstrapped_from_the_environment() {
    let app =
        TestApp::spawn_with(&[("QUARRY_ADMIN_USERNAME", "boot"), ("QUARRY_ADMIN_PASSWORD", "bootstrap pw")]).await;
    assert_eq!(app.get("/api/v1/auth/status").await.1, json!({"setup_required": false, "setup_token_required": false}));
    let creds = json!({"username": "boot", "password": "bootstrap pw"});
    assert_eq!(app.post("/api/v1/auth/login", &creds).await.0, StatusCode::OK);
}

#[tokio::test]
async fn setup_on_a_network_bind_needs_the_one_time_token_from_the_log() {
    let app = TestApp::spawn_with(&[("QUARRY_BIND", "0.0.0.0:0")]).await;
    let token = app.state.setup_token.clone().expect("a setup token on a non-loopback bind");
    assert_eq!(app.get("/api/v1/auth/status").await.1, json!({"setup_required": true, "setup_token_required": true}));
    let creds = json!({"username": "admin", "password": "long enough"});
    let (status, body) = app.post("/api/v1/auth/setup", &creds).await;
    assert_eq!(status.as_u16(), 403, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("setup_token"), "{body}");
    let wrong = json!({"username": "admin", "password": "long enough", "setup_token": "guess"});
    assert_eq!(app.post("/api/v1/auth/setup", &wrong).await.0.as_u16(), 403);
    // Nothing was created by the refused attempts.
    assert_eq!(app.get("/api/v1/auth/status").await.1["setup_required"], true);
    let right = json!({"username": "admin", "password": "long enough", "setup_token": token.as_str()});
    let (status, body) = app.post("/api/v1/auth/setup", &right).await;
    assert_eq!(status.as_u16(), 200, "{body}");
}

#[tokio::test]
async fn a_network_bind_with_a_bootstrap_admin_needs_no_setup_token() {
    let app = TestApp::spawn_with(&[
        ("QUARRY_BIND", "0.0.0.0:0"),
        ("QUARRY_ADMIN_USERNAME", "ops"),
        ("QUARRY_ADMIN_PASSWORD", "long enough password"),
    ])
    .await;
    assert!(app.state.setup_token.is_none());
}
