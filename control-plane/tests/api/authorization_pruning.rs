//! Pruning of the authorization server's dead rows, on the SQLite and the
//! PostgreSQL store: expired codes, refresh tokens expired or rotated (or of a
//! grant revoked) more than 7 days ago, and grants revoked more than 30 days
//! ago go; what is live stays, however old — above all every grant the Users
//! and consents list shows.

use chrono::{DateTime, Duration, Utc};
use control_plane::storage::authorization::{self, PrunedAuthorization};
use control_plane::storage::entities::{
    oauth_authorization_request as request, oauth_grant as grant, oauth_refresh_token as refresh,
};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::harness::TestApp;

async fn add_grant(db: &DatabaseConnection, id: &str, created: DateTime<Utc>, revoked: Option<DateTime<Utc>>) {
    let row = grant::ActiveModel {
        id: Set(id.into()),
        subject: Set(format!("user-{id}")),
        email: Set(None),
        identity: Set(json!({})),
        client_id: Set("https://client.example.com/meta.json".into()),
        client_name: Set("Client".into()),
        scopes: Set(json!(["mcp:tools"])),
        resource: Set("https://mcp.example.com/mcp".into()),
        created_at: Set(created),
        last_used_at: Set(None),
        revoked_at: Set(revoked),
    };
    grant::Entity::insert(row).exec(db).await.unwrap();
}

async fn add_token(
    db: &DatabaseConnection,
    hash: &str,
    grant: &str,
    used: bool,
    created: DateTime<Utc>,
    ttl_days: i64,
) {
    let row = refresh::ActiveModel {
        token_hash: Set(hash.into()),
        grant_id: Set(grant.into()),
        used: Set(used),
        created_at: Set(created),
        expires_at: Set(created + Duration::days(ttl_days)),
    };
    refresh::Entity::insert(row).exec(db).await.unwrap();
}

async fn add_request(db: &DatabaseConnection, id: &str, expires: DateTime<Utc>, code_used: bool) {
    let row = request::ActiveModel {
        id: Set(id.into()),
        client_id: Set("https://client.example.com/meta.json".into()),
        client_name: Set("Client".into()),
        redirect_uri: Set("https://client.example.com/cb".into()),
        scopes: Set(json!(["mcp:tools"])),
        state: Set(None),
        code_challenge: Set("challenge".into()),
        resource: Set("https://mcp.example.com/mcp".into()),
        browser_hash: Set("browser".into()),
        identity: Set(None),
        upstream_state: Set(None),
        upstream_nonce: Set(None),
        upstream_verifier: Set(None),
        code_hash: Set(code_used.then(|| format!("code-{id}"))),
        grant_id: Set(None),
        code_used: Set(code_used),
        created_at: Set(expires - Duration::minutes(10)),
        expires_at: Set(expires),
    };
    request::Entity::insert(row).exec(db).await.unwrap();
}

async fn prunes_dead_rows_and_keeps_live_ones(app: &TestApp) {
    let db = &app.state.db;
    // Everything is dated 1000 days ahead and pruned as of then: the control plane's own hourly pass (it runs at
    // start, as of the real time) finds nothing to delete among these rows, so the counts below are this pass's.
    let now = Utc::now() + Duration::days(1000);
    let days = |n: i64| now - Duration::days(n);

    // A grant in use for 100 days: its rotation chain t1 → t2 → t3 → t4.
    add_grant(db, "live", days(100), None).await;
    add_token(db, "live-t1", "live", true, days(20), 30).await; // rotated 10 days ago (t2 issued): goes
    add_token(db, "live-t2", "live", true, days(10), 30).await; // rotated 3 days ago: kept for reuse detection
    add_token(db, "live-t3", "live", true, days(3), 30).await; // rotated an hour ago
    add_token(db, "live-t4", "live", false, now - Duration::hours(1), 30).await; // the current token
    // A grant whose only token expired yesterday: the grant stays listed, the token goes.
    add_grant(db, "idle", days(40), None).await;
    add_token(db, "idle-t1", "idle", false, days(31), 30).await;
    // Revoked grants: 2 days ago (kept, with its stray token), 10 days ago (kept, its token goes), 31 days ago (goes).
    add_grant(db, "revoked-2d", days(50), Some(days(2))).await;
    add_token(db, "revoked-2d-t", "revoked-2d", false, days(5), 30).await;
    add_grant(db, "revoked-10d", days(50), Some(days(10))).await;
    add_token(db, "revoked-10d-t", "revoked-10d", false, days(12), 30).await;
    add_grant(db, "revoked-31d", days(50), Some(days(31))).await;
    // Requests: pending, expired, and a redeemed code past its expiry.
    add_request(db, "pending", now + Duration::minutes(5), false).await;
    add_request(db, "expired", now - Duration::minutes(1), false).await;
    add_request(db, "redeemed", now - Duration::seconds(5), true).await;

    let listed_before = authorization::list_grants(db).await.unwrap();
    let pruned = authorization::prune(db, now).await.unwrap();
    assert_eq!(pruned, PrunedAuthorization { codes: 2, refresh_tokens: 3, grants: 1 });

    let grants: Vec<String> = grant::Entity::find()
        .order_by_asc(grant::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(grants, ["idle", "live", "revoked-10d", "revoked-2d"]);
    let tokens: Vec<String> = refresh::Entity::find()
        .order_by_asc(refresh::Column::TokenHash)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token_hash)
        .collect();
    assert_eq!(tokens, ["live-t2", "live-t3", "live-t4", "revoked-2d-t"]);
    let requests: Vec<String> = request::Entity::find().all(db).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(requests, ["pending"]);
    let listed_after = authorization::list_grants(db).await.unwrap();
    let ids = |l: &[authorization::OAuthGrant]| l.iter().map(|g| g.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&listed_after), ids(&listed_before), "Users and consents lists the same grants");
    assert_eq!(ids(&listed_after), ["idle", "live"]);

    // A second pass finds nothing left to do.
    assert_eq!(authorization::prune(db, now).await.unwrap(), PrunedAuthorization::default());
}

#[tokio::test]
async fn pruning_deletes_dead_authorization_rows_and_keeps_live_ones_on_sqlite() {
    let app = TestApp::spawn_sqlite().await;
    assert_eq!(app.state.db.get_database_backend(), sea_orm::DbBackend::Sqlite);
    prunes_dead_rows_and_keeps_live_ones(&app).await;
}

#[tokio::test]
async fn pruning_deletes_dead_authorization_rows_and_keeps_live_ones_on_postgresql() {
    let app = TestApp::spawn_postgres().await;
    assert_eq!(app.state.db.get_database_backend(), sea_orm::DbBackend::Postgres);
    prunes_dead_rows_and_keeps_live_ones(&app).await;
}

/// The background pass itself, not only the function it calls: the retention
/// task of a second control plane on the same store takes the job once the
/// first one's lease lapses, and its first pass (at start) deletes an
/// authorization request that expired a minute ago and keeps a pending one.
#[tokio::test]
async fn the_background_retention_pass_prunes_authorization_rows_once_it_holds_the_lease() {
    use control_plane::storage::entities::lease;
    use control_plane::storage::history::retention;

    let app = TestApp::spawn_sqlite().await;
    let db = app.state.db.clone();
    // The app's own pass runs at its start: let it take the lease and finish before the rows exist.
    let held = || async { lease::Entity::find_by_id(retention::LEASE.to_string()).one(&db).await.unwrap().is_some() };
    for _ in 0..200 {
        if held().await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(held().await, "the control plane's retention task took its lease");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let now = Utc::now();
    add_request(&db, "expired", now - Duration::minutes(1), false).await;
    add_request(&db, "pending", now + Duration::minutes(10), false).await;
    let ids = || async {
        let mut v: Vec<String> = request::Entity::find().all(&db).await.unwrap().into_iter().map(|r| r.id).collect();
        v.sort();
        v
    };
    // The app's own pass ran at its start and holds the lease for two hours: another holder waits.
    let other = tokio::spawn(retention::run(db.clone(), app.state.config.history_retention, "second".into()));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    other.abort();
    assert_eq!(ids().await, ["expired", "pending"], "no pass without the lease");
    // The first holder's lease lapses (it stopped renewing): the second one's pass runs at its start.
    lease::Entity::update_many()
        .col_expr(lease::Column::ExpiresAt, sea_orm::sea_query::Expr::value(now.timestamp() - 1))
        .filter(lease::Column::Name.eq(retention::LEASE))
        .exec(&db)
        .await
        .unwrap();
    let second = tokio::spawn(retention::run(db.clone(), app.state.config.history_retention, "second".into()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while ids().await != ["pending"] && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    second.abort();
    assert_eq!(ids().await, ["pending"], "the expired request is gone, the pending one stays");
}
