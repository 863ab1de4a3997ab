//! Runtime replicas behind a load balancer without affinity: with
//! `QUARRY_RUNTIME_SESSIONS=off` no request depends on the process that
//! answered the one before, so a client's requests can land on any replica.

use serde_json::json;

use crate::harness::{TestApp, manifest};
use crate::{text, tools};

#[tokio::test]
async fn without_sessions_a_client_is_served_by_whichever_replica_it_reaches() {
    let off = [("QUARRY_RUNTIME_SESSIONS", "off")];
    let a = TestApp::spawn(manifest(tools()), &off).await;
    let b = TestApp::spawn(manifest(tools()), &off).await;
    let mut s = a.session(None).await;
    assert_eq!(s.id(), None, "no session is handed out");
    s.move_to(&b.base);
    let listed = s.request("tools/list", json!({})).await;
    assert!(listed["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()), "{listed}");
    let r = s.call("echo", json!({"id": 7})).await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert!(text(&r).contains('7'), "{r}");
    let r = s.call("slow_a", json!({})).await;
    assert_eq!(r["result"]["isError"], false, "{r}");
    assert_eq!(b.journal.lock().unwrap().started, ["a"], "replica B ran the call");
    assert!(a.journal.lock().unwrap().started.is_empty());
}

#[tokio::test]
async fn with_sessions_a_session_belongs_to_the_replica_that_opened_it() {
    let a = TestApp::spawn(manifest(tools()), &[]).await;
    let b = TestApp::spawn(manifest(tools()), &[]).await;
    let mut s = a.session(None).await;
    assert!(s.id().is_some(), "a session is handed out by default");
    s.move_to(&b.base);
    let r = s.call("slow_a", json!({})).await;
    assert!(r["result"].is_null(), "another replica does not know the session: {r}");
    assert!(b.journal.lock().unwrap().started.is_empty());
}
