//! One connection: HTTP/1 or HTTP/2 (hyper-util's auto builder), the request
//! head timeout, and the idle watchdog. Activity is every byte read or written
//! plus every request whose response body is still being sent, so a silent
//! long-poll or event stream is never taken for idle.

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
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(conn);
    // Once asked to finish, a connection gets one more head-read period before it is dropped.
    let mut drop_at: Option<tokio::time::Instant> = None;
    loop {
        // Before its first request, a connection gets no longer than a request head may take.
        let idle = if activity.requests.load(Ordering::Relaxed) == 0 {
            limits.idle_timeout.min(limits.header_read_timeout)
        } else {
            limits.idle_timeout
        };
        let idle_check = activity.idle_left(idle);
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
            () = tokio::time::sleep(idle_check), if drop_at.is_none() => {
                if activity.idle_left(idle).is_zero() {
                    tracing::debug!(%peer, "Closing an idle connection.");
                    conn.as_mut().graceful_shutdown();
                    drop_at = Some(tokio::time::Instant::now() + limits.header_read_timeout);
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

/// When the connection last moved a byte, and how many responses are open.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    in_flight: AtomicUsize,
    /// Requests started on this connection.
    requests: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Time until the connection counts as idle (zero: it is idle now).
    fn idle_left(&self, idle: Duration) -> Duration {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return idle;
        }
        let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        idle.saturating_sub(last.elapsed())
    }
}

/// Counts a request as in flight until its response body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.requests.fetch_add(1, Ordering::Relaxed);
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
            self.activity.touch();
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
