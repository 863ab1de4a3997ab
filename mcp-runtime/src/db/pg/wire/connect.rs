//! Opening a connection: TCP, the TLS request and handshake, the startup
//! message and the login (cleartext, MD5, SCRAM-SHA-256, with channel binding
//! over TLS), and the out-of-band cancel request.
//!
//! The startup message sets `standard_conforming_strings=on` (it overrides
//! database and role settings) and the login fails if the server reports
//! anything else: Quarry's scanner lexes `'…'` without backslash escapes, as
//! the server does only in that mode, so the two always agree where a string
//! ends. A statement that turns it off later is seen in its `ParameterStatus`
//! and the connection is then never reused ([`Conn::is_reusable`]).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramSha256};
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{Conn, PgError, SCS, State, unexpected};
use crate::db::{CONNECT_TIMEOUT, SslMode};

/// Where and as whom to connect.
#[derive(Clone)]
pub(crate) struct Target {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    pub password: Option<String>,
    pub application_name: String,
    pub ssl_mode: SslMode,
    /// Set unless `ssl_mode` is `disable`.
    pub tls: Option<Arc<ClientConfig>>,
    /// Answer a cleartext or MD5 password request without TLS (off: refuse it).
    pub allow_cleartext_password: bool,
}

/// A plain or TLS socket.
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }

    /// The channel-binding data of a TLS session (`None` in the clear).
    fn end_point(&self) -> Option<Vec<u8>> {
        let Stream::Tls(s) = self else { return None };
        s.get_ref().1.peer_certificates()?.first().and_then(|cert| super::channel_binding::end_point(cert))
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Opens a socket to the target, negotiating TLS as its `ssl_mode` says.
async fn open(t: &Target) -> Result<Stream, PgError> {
    let mut tcp = TcpStream::connect((t.host.as_str(), t.port)).await?;
    tcp.set_nodelay(true)?;
    // A pooled connection may sit idle for hours: keepalives let the kernel
    // notice a peer that vanished (the system's idle time, 2 h on Linux).
    socket2::SockRef::from(&tcp).set_keepalive(true)?;
    let Some(tls) = &t.tls else { return Ok(Stream::Plain(tcp)) };
    let mut buf = BytesMut::new();
    frontend::ssl_request(&mut buf);
    tcp.write_all(&buf).await?;
    match tcp.read_u8().await? {
        b'S' => {
            let name = ServerName::try_from(t.host.clone()).map_err(|e| PgError::Tls(e.to_string()))?;
            let stream =
                TlsConnector::from(tls.clone()).connect(name, tcp).await.map_err(|e| PgError::Tls(e.to_string()))?;
            Ok(Stream::Tls(Box::new(stream)))
        }
        b'N' if t.ssl_mode == SslMode::Prefer => Ok(Stream::Plain(tcp)),
        b'N' => Err(PgError::Tls("the server does not support TLS".into())),
        _ => Err(PgError::Protocol("an invalid answer to the TLS request".into())),
    }
}

/// Connects and logs in (password, MD5 or SCRAM-SHA-256), within [`CONNECT_TIMEOUT`].
pub(crate) async fn connect(t: &Target) -> Result<Conn, PgError> {
    tokio::time::timeout(CONNECT_TIMEOUT, async {
        let mut conn = Conn {
            stream: open(t).await?,
            rbuf: BytesMut::with_capacity(16 * 1024),
            wbuf: BytesMut::with_capacity(1024),
            key: (0, 0),
            statements: Default::default(),
            types: HashMap::new(),
            state: State::Busy,
            tx_status: b'I',
            lexes_standard: true,
            session_timeout: None,
        };
        conn.start(t).await?;
        conn.state = State::Idle;
        Ok(conn)
    })
    .await
    .map_err(|_| PgError::Io(io::Error::new(io::ErrorKind::TimedOut, "timed out connecting")))?
}

/// Asks the server to stop whatever the connection with `key` is running.
pub(crate) async fn cancel(t: &Target, key: (i32, i32)) {
    let send = async {
        let mut stream = open(t).await?;
        let mut buf = BytesMut::new();
        frontend::cancel_request(key.0, key.1, &mut buf);
        stream.write_all(&buf).await?;
        stream.flush().await?;
        // The server closes the socket once it has read the request.
        let _ = stream.read_u8().await;
        Ok::<_, PgError>(())
    };
    let _ = tokio::time::timeout(CONNECT_TIMEOUT, send).await;
}

impl Conn {
    async fn start(&mut self, t: &Target) -> Result<(), PgError> {
        let params = [
            ("user", t.user.as_str()),
            ("database", t.database.as_str()),
            ("application_name", t.application_name.as_str()),
            ("client_encoding", "UTF8"),
            (SCS, "on"),
        ];
        frontend::startup_message(params, &mut self.wbuf)?;
        self.flush().await?;
        let password = || {
            t.password.as_deref().map(str::as_bytes).ok_or_else(|| PgError::Db {
                code: "28P01".into(),
                message: "the server asks for a password and none is set".into(),
            })
        };
        // Cleartext and MD5 hand the password (or a replayable hash of it) to
        // whoever answers at host:port. Without TLS they are refused before
        // anything is sent, unless the connection opts in.
        let plain = matches!(self.stream, Stream::Plain(_));
        let exposed = |method: &str| {
            if plain && !t.allow_cleartext_password {
                return Err(PgError::Db {
                    code: "28000".into(),
                    message: format!(
                        "the server asked for the password {method} over a connection without TLS; it was not sent \
                         (use ssl_mode require or stricter, or set allow_cleartext_password on the connection)"
                    ),
                });
            }
            Ok(())
        };
        loop {
            match self.recv().await? {
                Message::AuthenticationOk => break,
                Message::AuthenticationCleartextPassword => {
                    exposed("in cleartext")?;
                    frontend::password_message(password()?, &mut self.wbuf)?
                }
                Message::AuthenticationMd5Password(body) => {
                    exposed("as MD5")?;
                    let hash = md5_hash(t.user.as_bytes(), password()?, body.salt());
                    frontend::password_message(hash.as_bytes(), &mut self.wbuf)?;
                }
                Message::AuthenticationSasl(body) => {
                    let (mut plain, mut plus) = (false, false);
                    let mut mechanisms = body.mechanisms();
                    while let Some(m) = mechanisms.next()? {
                        plain |= m == SCRAM_SHA_256;
                        plus |= m == SCRAM_SHA_256_PLUS;
                    }
                    // Bind to the TLS session whenever the server offers it;
                    // "y" tells a server that did not that we could have.
                    let (mechanism, binding) = match (self.stream.end_point(), plus) {
                        (Some(data), true) => (SCRAM_SHA_256_PLUS, ChannelBinding::tls_server_end_point(data)),
                        (Some(_), false) if plain => (SCRAM_SHA_256, ChannelBinding::unrequested()),
                        (None, _) if plain => (SCRAM_SHA_256, ChannelBinding::unsupported()),
                        _ => return Err(PgError::Protocol("the server offers no supported SASL mechanism".into())),
                    };
                    self.scram(mechanism, binding, password()?).await?;
                    continue;
                }
                Message::ErrorResponse(body) => return Err(PgError::from_response(&body)),
                _ => return Err(PgError::Protocol("an unsupported authentication method".into())),
            }
            self.flush().await?;
        }
        loop {
            match self.recv().await? {
                Message::BackendKeyData(k) => self.key = (k.process_id(), k.secret_key()),
                Message::ReadyForQuery(_) => return Ok(()),
                Message::ErrorResponse(body) => return Err(PgError::from_response(&body)),
                Message::ParameterStatus(p) => {
                    self.note_parameter(&p)?;
                    if !self.lexes_standard {
                        return Err(PgError::Protocol(format!("the server keeps {SCS} off; Quarry needs it on")));
                    }
                }
                Message::NoticeResponse(_) => {}
                other => return Err(unexpected(&other)),
            }
        }
    }

    /// The SCRAM exchange (the server proves it knows the password too).
    async fn scram(&mut self, mechanism: &str, binding: ChannelBinding, password: &[u8]) -> Result<(), PgError> {
        let mut scram = ScramSha256::new(password, binding);
        frontend::sasl_initial_response(mechanism, scram.message(), &mut self.wbuf)?;
        self.flush().await?;
        match self.recv().await? {
            Message::AuthenticationSaslContinue(body) => scram.update(body.data())?,
            Message::ErrorResponse(body) => return Err(PgError::from_response(&body)),
            other => return Err(unexpected(&other)),
        }
        frontend::sasl_response(scram.message(), &mut self.wbuf)?;
        self.flush().await?;
        match self.recv().await? {
            Message::AuthenticationSaslFinal(body) => Ok(scram.finish(body.data())?),
            Message::ErrorResponse(body) => Err(PgError::from_response(&body)),
            other => Err(unexpected(&other)),
        }
    }
}
