//! Graceful shutdown of the runtime. On SIGTERM (or SIGINT) the listener stops
//! accepting at once and idle keep-alive connections close; requests already
//! running (a `POST /mcp` counts until its answer is written, so a tool call's
//! result reaches the client) finish, for at most the grace period
//! (`QUARRY_RUNTIME_SHUTDOWN_GRACE`, default 5 s, under `docker stop`'s 10 s
//! before SIGKILL). Then every MCP session is cancelled — open SSE streams end,
//! a call still running is abandoned (its database statement is cancelled with
//! its connection) — and the process exits; one more second at most is given to
//! connections that still have not closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use futures::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Default grace for in-flight calls.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);
/// Time after the sessions are cancelled before the process exits regardless.
pub const CLOSE_AFTER_CANCEL: Duration = Duration::from_secs(1);

/// Counts the MCP requests running right now, so shutdown can wait for them.
#[derive(Default)]
pub struct InFlight {
    running: AtomicUsize,
    idle: Notify,
}

/// One running call; dropping it (the call ended, or was abandoned) counts it out.
pub struct CallGuard(Arc<InFlight>);

impl InFlight {
    /// Counts a call in until the guard drops.
    pub fn enter(self: &Arc<Self>) -> CallGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        CallGuard(self.clone())
    }

    /// Calls running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Resolves once no call is running (at once when none is).
    pub async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.running() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// An MCP POST counts as running until its response body (JSON, or the SSE
/// stream carrying the answer) is written or dropped: `respond` is run with
/// the call counted in, and the count is held by the body it returns. GET
/// streams (server-to-client notifications) never end by themselves, so they
/// are not counted; they end when the sessions are cancelled.
pub async fn counted(flight: &Arc<InFlight>, respond: impl Future<Output = Response>) -> Response {
    let running = flight.enter();
    let (parts, body) = respond.await.into_parts();
    let body = body.into_data_stream().map(move |chunk| {
        let _ = &running; // dropped with the stream: the answer is out (or the client gone)
        chunk
    });
    Response::from_parts(parts, Body::from_stream(body))
}

/// After `stop` resolves: waits for running calls up to `grace`, then
/// cancels `sessions`. Returns when the sessions are cancelled.
pub async fn drain(in_flight: &InFlight, grace: Duration, sessions: &CancellationToken) {
    let running = in_flight.running();
    tracing::info!(running, grace_ms = grace.as_millis() as u64, "Shutting down: draining calls in flight.");
    if tokio::time::timeout(grace, in_flight.idle()).await.is_err() {
        tracing::warn!(
            abandoned = in_flight.running(),
            "The shutdown grace ran out; abandoning the calls still running."
        );
    }
    sessions.cancel();
}

/// SIGTERM or SIGINT.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! { _ = term.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_running_calls_and_no_longer_than_the_grace() {
        let flight = Arc::new(InFlight::default());
        let token = CancellationToken::new();
        let guard = flight.enter();
        let started = tokio::time::Instant::now();
        let release = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            drop(guard);
        });
        drain(&flight, Duration::from_secs(5), &token).await;
        assert!(token.is_cancelled());
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(90) && waited < Duration::from_secs(2), "{waited:?}");
        release.await.unwrap();

        let stuck = flight.enter();
        let token = CancellationToken::new();
        let started = tokio::time::Instant::now();
        drain(&flight, Duration::from_millis(200), &token).await;
        assert!(token.is_cancelled() && started.elapsed() < Duration::from_secs(1));
        drop(stuck);
        assert_eq!(flight.running(), 0);
    }
}
