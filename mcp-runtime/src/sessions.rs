//! A cap on live MCP sessions: rmcp's in-memory session manager, with the
//! least recently used session closed when a new one would pass the cap.
//!
//! Every request naming a session (a post, a stream, a resume, the existence
//! check rmcp makes first) marks it used. An evicted session's next request
//! gets rmcp's `404 Not Found: Session not found`, which tells a client to
//! initialize again. Sessions that rmcp closes on its own (idle keep-alive)
//! stay in the recency list until evicted, which is harmless: live sessions
//! are always a subset of it, so they never exceed the cap.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{LocalSessionManager, LocalSessionManagerError};
use rmcp::transport::streamable_http_server::session::{EventStore, ServerSseMessage, SessionId, SessionManager};

/// The session manager of the runtime's `/mcp`.
pub struct CappedSessions {
    inner: LocalSessionManager,
    cap: usize,
    recency: Mutex<Recency>,
}

/// Sessions by last use: `tick` grows on every use.
#[derive(Default)]
struct Recency {
    tick: u64,
    by_id: HashMap<SessionId, u64>,
    by_tick: BTreeMap<u64, SessionId>,
}

impl Recency {
    /// Marks `id` used; `insert` adds it when unknown.
    fn touch(&mut self, id: &SessionId, insert: bool) {
        let known = self.by_id.get(id).copied();
        if known.is_none() && !insert {
            return;
        }
        if let Some(old) = known {
            self.by_tick.remove(&old);
        }
        self.tick += 1;
        self.by_id.insert(id.clone(), self.tick);
        self.by_tick.insert(self.tick, id.clone());
    }

    fn remove(&mut self, id: &SessionId) {
        if let Some(tick) = self.by_id.remove(id) {
            self.by_tick.remove(&tick);
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
    /// At most `cap` (≥ 1) live sessions, each configured by `inner`.
    pub fn new(inner: LocalSessionManager, cap: usize) -> Arc<CappedSessions> {
        Arc::new(CappedSessions { inner, cap: cap.max(1), recency: Mutex::default() })
    }

    fn touch(&self, id: &SessionId) {
        self.recency.lock().unwrap_or_else(|e| e.into_inner()).touch(id, false);
    }
}

impl SessionManager for CappedSessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.inner.create_session().await?;
        let evicted = {
            let mut recency = self.recency.lock().unwrap_or_else(|e| e.into_inner());
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
        self.recency.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
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
        self.touch(id);
        self.inner.accept_message(id, message).await
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
