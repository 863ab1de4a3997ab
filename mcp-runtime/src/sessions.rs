//! Live MCP sessions: rmcp's in-memory session manager, with a cap (the least
//! recently used session is closed when a new one would pass it) and an idle
//! expiry (a session no request has named for the idle time is closed).
//!
//! Every request naming a session (a post, a stream, a resume, the existence
//! check rmcp makes first, a call on the direct path of [`crate::server::direct`])
//! marks it used. An evicted or expired session's next request gets rmcp's
//! `404 Not Found: Session not found`, which tells a client to initialize
//! again. The expiry is ours rather than rmcp's keep-alive because rmcp's
//! counts only what passes through its session worker, which direct calls skip.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::time::Instant;

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ClientNotification, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, LocalSessionManagerError};
use rmcp::transport::streamable_http_server::session::{EventStore, ServerSseMessage, SessionId, SessionManager};

/// The session manager of the runtime's `/mcp`.
pub struct CappedSessions {
    inner: LocalSessionManager,
    cap: usize,
    idle: Duration,
    recency: Mutex<Recency>,
}

/// Sessions by last use: `tick` grows on every use.
#[derive(Default)]
struct Recency {
    tick: u64,
    by_id: HashMap<SessionId, Use>,
    by_tick: BTreeMap<u64, SessionId>,
}

/// A session's latest use, and whether its client has sent `notifications/initialized`.
#[derive(Clone, Copy)]
struct Use {
    tick: u64,
    at: Instant,
    initialized: bool,
}

impl Recency {
    /// Marks `id` used; `insert` adds it when unknown. Its entry, when known.
    fn touch(&mut self, id: &str, insert: bool) -> Option<&mut Use> {
        let key: SessionId = match self.by_id.get(id) {
            Some(u) => self.by_tick.remove(&u.tick).unwrap_or_else(|| id.into()),
            None if insert => id.into(),
            None => return None,
        };
        self.tick += 1;
        self.by_tick.insert(self.tick, key.clone());
        let now = Use { tick: self.tick, at: Instant::now(), initialized: false };
        let u = self.by_id.entry(key).or_insert(now);
        (u.tick, u.at) = (now.tick, now.at);
        Some(u)
    }

    /// Removes and returns the sessions unused since `before`.
    fn unused_since(&mut self, before: Instant) -> Vec<SessionId> {
        let mut out = Vec::new();
        while let Some((_, id)) = self.by_tick.first_key_value() {
            if self.by_id.get(id).is_some_and(|u| u.at >= before) {
                break;
            }
            let Some((_, id)) = self.by_tick.pop_first() else { break };
            self.by_id.remove(&id);
            out.push(id);
        }
        out
    }

    fn remove(&mut self, id: &SessionId) {
        if let Some(u) = self.by_id.remove(id) {
            self.by_tick.remove(&u.tick);
        }
    }

    /// Removes and returns the least recently used sessions beyond `cap`.
    fn over(&mut self, cap: usize) -> Vec<SessionId> {
        let mut out = Vec::new();
        while self.by_id.len() > cap {
            let Some((_, id)) = self.by_tick.pop_first() else { break };
            self.by_id.remove(&id);
            out.push(id);
        }
        out
    }
}

impl CappedSessions {
    /// At most `cap` (≥ 1) live sessions, each closed after `idle` without a
    /// request; `inner` should have no keep-alive of its own. Must be called
    /// within a tokio runtime: the expiry runs on a task that ends with the
    /// returned value.
    pub fn new(inner: LocalSessionManager, cap: usize, idle: Duration) -> Arc<CappedSessions> {
        let sessions = Arc::new(CappedSessions { inner, cap: cap.max(1), idle, recency: Mutex::default() });
        tokio::spawn(expire(Arc::downgrade(&sessions)));
        sessions
    }

    fn recency(&self) -> std::sync::MutexGuard<'_, Recency> {
        self.recency.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn touch(&self, id: &SessionId) {
        self.recency().touch(id, false);
    }

    /// Whether `id` names a live session whose client has completed the
    /// handshake (sent `notifications/initialized`); marks it used.
    pub fn initialized(&self, id: &str) -> bool {
        self.recency().touch(id, false).is_some_and(|u| u.initialized)
    }

    /// Closes the sessions no request has named for the idle time.
    async fn close_idle(&self) {
        let Some(before) = Instant::now().checked_sub(self.idle) else { return };
        let expired = self.recency().unused_since(before);
        for id in expired {
            tracing::debug!(session = %id, idle = ?self.idle, "Closed an idle MCP session.");
            let _ = self.inner.close_session(&id).await;
        }
    }
}

/// Closes idle sessions every quarter of the idle time (1 s to 60 s), so a
/// session lives between `idle` and `idle` plus that period after its last request.
async fn expire(sessions: Weak<CappedSessions>) {
    let Some(period) = sessions.upgrade().map(|s| (s.idle / 4).clamp(Duration::from_secs(1), Duration::from_secs(60)))
    else {
        return;
    };
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(s) = sessions.upgrade() else { return };
        s.close_idle().await;
    }
}

impl SessionManager for CappedSessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.inner.create_session().await?;
        let evicted = {
            let mut recency = self.recency();
            recency.touch(&id, true);
            recency.over(self.cap)
        };
        for old in evicted {
            tracing::info!(session = %old, cap = self.cap, "Closed the least recently used MCP session to admit a new one.");
            self.inner.close_session(&old).await?;
        }
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.touch(id);
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.recency().remove(id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.create_stream(id, message).await
    }

    async fn accept_message(&self, id: &SessionId, message: ClientJsonRpcMessage) -> Result<(), Self::Error> {
        let initialized = matches!(&message,
            ClientJsonRpcMessage::Notification(n) if matches!(n.notification, ClientNotification::InitializedNotification(_)));
        let accepted = self.inner.accept_message(id, message).await;
        if let Some(u) = self.recency().touch(id, false) {
            u.initialized |= initialized && accepted.is_ok();
        }
        accepted
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.create_standalone_stream(id).await
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        self.inner.resume(id, last_event_id).await
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_unused_since_a_time_go_and_used_ones_stay() {
        let mut r = Recency::default();
        let (a, b): (SessionId, SessionId) = ("a".into(), "b".into());
        r.touch(&a, true);
        r.touch(&b, true);
        let between = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        r.touch(&a, false).expect("known").initialized = true;
        assert_eq!(r.unused_since(between), vec![b.clone()]);
        assert!(r.touch(&b, false).is_none(), "an expired session is not brought back by a late request");
        assert!(r.touch(&a, false).is_some_and(|u| u.initialized), "a use keeps the handshake state");
        assert!(r.unused_since(between).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn idle_sessions_close_and_used_ones_live() {
        let mut inner = LocalSessionManager::default();
        inner.session_config.keep_alive = None;
        let sessions = CappedSessions::new(inner, 10, Duration::from_secs(8));
        let (busy, _t1) = sessions.create_session().await.unwrap();
        let (idle, _t2) = sessions.create_session().await.unwrap();
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert!(sessions.has_session(&busy).await.unwrap());
        }
        assert!(!sessions.inner.has_session(&idle).await.unwrap(), "closed after 8 s without a request");
        assert!(sessions.inner.has_session(&busy).await.unwrap(), "a request every 2 s keeps it open");
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert!(!sessions.inner.has_session(&busy).await.unwrap(), "closed once it too goes unused");
    }

    #[test]
    fn the_least_recently_used_session_goes_first() {
        let mut r = Recency::default();
        let (a, b, c): (SessionId, SessionId, SessionId) = ("a".into(), "b".into(), "c".into());
        r.touch(&a, true);
        r.touch(&b, true);
        r.touch(&a, false);
        r.touch(&c, true);
        assert_eq!(r.over(2), vec![b.clone()]);
        r.touch(&b, false);
        assert_eq!(r.by_id.len(), 2, "an evicted session is not brought back by a late request");
    }
}
