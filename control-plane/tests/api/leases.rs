//! Leases on once-per-installation jobs, on the store under test (SQLite in
//! stage 20, PostgreSQL in stage 25): one holder at a time, renewal by the
//! holder, take-over once a lease lapses.

use std::time::Duration;

use control_plane::storage::leases::acquire;

use crate::harness::TestApp;

#[tokio::test]
async fn a_lease_has_one_holder_until_it_lapses() {
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let minute = Duration::from_secs(60);
    assert!(acquire(db, "compaction", "plane-a", minute).await.unwrap(), "a free lease is taken");
    assert!(!acquire(db, "compaction", "plane-b", minute).await.unwrap(), "a held lease is not");
    assert!(acquire(db, "compaction", "plane-a", minute).await.unwrap(), "the holder renews it");
    assert!(acquire(db, "retention", "plane-b", minute).await.unwrap(), "another job's lease is separate");

    // A lease that lapses (its holder stopped renewing) goes to the next process that asks.
    assert!(acquire(db, "short", "plane-a", Duration::ZERO).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(acquire(db, "short", "plane-b", minute).await.unwrap(), "a lapsed lease is taken over");
    assert!(!acquire(db, "short", "plane-a", minute).await.unwrap(), "and its old holder no longer has it");
}

#[tokio::test]
async fn of_many_concurrent_askers_exactly_one_gets_a_free_lease() {
    let app = TestApp::spawn().await;
    let db = app.state.db.clone();
    let asks = (0..8).map(|i| {
        let db = db.clone();
        tokio::spawn(async move { acquire(&db, "race", &format!("plane-{i}"), Duration::from_secs(60)).await.unwrap() })
    });
    let won = futures::future::join_all(asks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(won, 1);
}
