//! One connection: HTTP/1 or HTTP/2 (hyper-util's auto builder) under a
//! watchdog that enforces two clocks:
//! - the head clock starts at the first byte received while no request is in
//!   flight and stops when a request reaches the router; past the header-read
//!   timeout the connection is asked to finish and, a second later, dropped
//!   (slowloris). A new connection that sends nothing gets the same time.
//!   hyper's own header-read timeout is off: it also runs while an idle
//!   keep-alive connection waits for its next request, which would make the
//!   keep-alive window as short as the head timeout and race clients that
//!   reuse a pooled connection just then;
//! - the idle clock: no byte moved and nothing in flight (a request whose
//!   response body is still being sent counts, so a silent long-poll or event
//!   stream is never taken for idle) for the idle timeout ends the connection
//!   gracefully.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;
use tower::ServiceExt;

use super::Limits;

/// What a connection task needs from its listener.
pub(super) struct Context {
    pub router: Router,
    pub peer: SocketAddr,
    pub limits: Arc<Limits>,
    /// Turns true when the server shuts down.
    pub stop: watch::Receiver<bool>,
}

/// Serves one accepted (and, with TLS, handshaken) connection to its end.
pub(super) async fn serve<I>(io: I, cx: Context)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Context { router, peer, limits, mut stop } = cx;
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked { io, activity: activity.clone() });
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let guard = InFlight::start(requests.clone());
        let router = router.clone();
        async move {
            let response = router.oneshot(req).await?;
            Ok::<_, Infallible>(response.map(|inner| Body::new(Guarded { inner, _guard: guard })))
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(None);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    // Once asked to finish, a connection has until `drop_at` before it is dropped.
    let mut drop_at: Option<tokio::time::Instant> = None;
    loop {
        let wait = activity.next_check(&limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "A connection ended with an error.");
                }
                return;
            }
            _ = stop.changed(), if drop_at.is_none() => {
                conn.as_mut().graceful_shutdown();
                drop_at = Some(tokio::time::Instant::now() + limits.shutdown_grace);
            }
            () = tokio::time::sleep(wait), if drop_at.is_none() => {
                if let Some(reason) = activity.expired(&limits) {
                    tracing::debug!(%peer, reason, "Closing a connection.");
                    conn.as_mut().graceful_shutdown();
                    drop_at = Some(tokio::time::Instant::now() + Duration::from_secs(1));
                }
            }
            () = sleep_until(drop_at) => return,
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The two clocks' state, in milliseconds since the connection opened.
struct Activity {
    start: Instant,
    /// When a byte last moved either way.
    last_ms: AtomicU64,
    /// When the current request head began (0: no head in progress), plus one.
    head_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Requests started on this connection.
    requests: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            head_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Bytes arrived: between requests, they begin a head.
    fn received(&self) {
        let now = self.now_ms();
        self.last_ms.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Relaxed) == 0 {
            let _ = self.head_ms.compare_exchange(0, now + 1, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// The time left on each clock; `None` for a clock that is not running.
    fn left(&self, limits: &Limits) -> (Option<Duration>, Option<Duration>) {
        let now = self.now_ms();
        let since = |ms: u64| Duration::from_millis(now.saturating_sub(ms));
        let head = match self.head_ms.load(Ordering::Relaxed) {
            // A connection that has sent nothing yet is on the head clock from its start.
            0 if self.requests.load(Ordering::Relaxed) == 0 => Some(since(0)),
            0 => None,
            started => Some(since(started - 1)),
        };
        let idle = (self.in_flight.load(Ordering::Relaxed) == 0).then(|| since(self.last_ms.load(Ordering::Relaxed)));
        (
            head.map(|h| limits.header_read_timeout.saturating_sub(h)),
            idle.map(|i| limits.idle_timeout.saturating_sub(i)),
        )
    }

    /// How long to sleep before looking again.
    fn next_check(&self, limits: &Limits) -> Duration {
        let (head, idle) = self.left(limits);
        [head, idle].into_iter().flatten().min().unwrap_or(limits.idle_timeout).max(Duration::from_millis(10))
    }

    /// Which clock ran out, if one did.
    fn expired(&self, limits: &Limits) -> Option<&'static str> {
        match self.left(limits) {
            (Some(h), _) if h.is_zero() => Some("the request head took too long"),
            (_, Some(i)) if i.is_zero() => Some("idle"),
            _ => None,
        }
    }
}

/// Counts a request as in flight until its response body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.requests.fetch_add(1, Ordering::Relaxed);
        activity.head_ms.store(0, Ordering::Relaxed);
        InFlight(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request in flight while it is sent.
struct Guarded {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The socket, noting every byte that moves.
struct Tracked<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.received();
        }
        result
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
