//! Slowloris clients for the serving tests of both binaries (included by path
//! from each crate's integration tests): connections that send a request head
//! one byte at a time and never finish it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A crowd of slow connections; each notes when the server closes it.
pub struct Slowloris {
    closed: Arc<AtomicUsize>,
    count: usize,
}

impl Slowloris {
    /// Opens `count` connections to `addr` (all connected on return), each
    /// sending one byte of an endless request head every 100 ms.
    pub async fn open(addr: SocketAddr, count: usize) -> Slowloris {
        let closed = Arc::new(AtomicUsize::new(0));
        for _ in 0..count {
            let mut tcp = TcpStream::connect(addr).await.expect("a slow connection connects");
            let closed = closed.clone();
            tokio::spawn(async move {
                let head =
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".iter().chain(std::iter::repeat(&b'a'));
                let mut buf = [0u8; 512];
                for byte in head {
                    tokio::select! {
                        read = tcp.read(&mut buf) => match read {
                            Ok(0) | Err(_) => break,
                            Ok(_) => continue,
                        },
                        () = tokio::time::sleep(Duration::from_millis(100)) => {
                            if tcp.write_all(&[*byte]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
                closed.fetch_add(1, Ordering::SeqCst);
            });
        }
        Slowloris { closed, count }
    }

    /// Connections the server has closed so far.
    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }

    /// Waits until the server has closed every connection; panics after `within`.
    pub async fn expect_all_closed(&self, within: Duration) {
        let start = Instant::now();
        while self.closed() < self.count {
            assert!(
                start.elapsed() < within,
                "{} of {} slow connections still open after {within:?}",
                self.count - self.closed(),
                self.count
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
