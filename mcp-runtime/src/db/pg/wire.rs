//! One PostgreSQL connection, speaking the frontend/backend protocol directly
//! (message encoding and parsing from `postgres-protocol`).
//!
//! A pooled connection belongs to one caller at a time, so the caller's task
//! writes and reads the socket itself: no background task, no channel per
//! query. What a client library cannot do is the point of this module: a
//! whole call, `BEGIN` … statement … `ROLLBACK`, goes out as one [`pipeline`]
//! behind a single `Sync`, so the server answers it in one round trip and
//! wakes up once, which costs it no more than the bare statement.
//!
//! [`pipeline`]: Conn::pipeline

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{BufMut, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::IsNull;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramSha256};
use postgres_protocol::message::backend::{DataRowBody, ErrorResponseBody, Message};
use postgres_protocol::message::frontend;
use postgres_types::{Kind, Type};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::db::{CONNECT_TIMEOUT, SslMode};

/// Prepared statements kept per connection; past this the server's are
/// deallocated and the cache starts again (previews run arbitrary SQL).
const MAX_STATEMENTS: usize = 256;

/// What went wrong on a connection.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    /// The server's `ErrorResponse`.
    #[error("{message} (SQLSTATE {code})")]
    Db {
        /// The SQLSTATE.
        code: String,
        /// The primary message.
        message: String,
    },
    /// The socket failed or closed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The TLS negotiation failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server sent something the protocol does not allow at that point.
    #[error("unexpected message from the server: {0}")]
    Protocol(String),
}

impl PgError {
    /// The SQLSTATE of a server error.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            PgError::Db { code, .. } => Some(code),
            _ => None,
        }
    }

    fn from_response(body: &ErrorResponseBody) -> PgError {
        let (mut code, mut message) = (String::new(), String::new());
        let mut fields = body.fields();
        while let Ok(Some(f)) = fields.next() {
            match f.type_() {
                b'C' => code = String::from_utf8_lossy(f.value_bytes()).into_owned(),
                b'M' => message = String::from_utf8_lossy(f.value_bytes()).into_owned(),
                _ => {}
            }
        }
        PgError::Db { code, message }
    }
}

fn unexpected(m: &Message) -> PgError {
    let name = match m {
        Message::ErrorResponse(_) => "an error",
        Message::DataRow(_) => "a row",
        Message::ReadyForQuery(_) => "ready for query",
        _ => "a message out of order",
    };
    PgError::Protocol(name.into())
}

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
}

/// A plain or TLS socket.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
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

/// A prepared statement: its server-side name and result columns.
#[derive(Debug)]
pub(crate) struct Statement {
    name: String,
    /// Column names and types, in order; empty for statements without rows.
    pub columns: Vec<(String, Type)>,
}

/// One statement of a [`Conn::pipeline`]: text parameters and how many rows
/// to let the server produce (0: all).
pub(crate) struct Step<'a> {
    pub stmt: &'a Statement,
    pub params: &'a [Option<String>],
    pub max_rows: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// Messages were sent and not every answer was read: if the caller went
    /// away now, the server may still be working for it.
    Busy,
    /// The socket failed or the protocol was broken: never reuse.
    Broken,
}

/// An open, authenticated connection.
pub(crate) struct Conn {
    stream: Stream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    /// Process id and secret for cancel requests.
    key: (i32, i32),
    statements: HashMap<String, Arc<Statement>>,
    types: HashMap<u32, Type>,
    next_statement: u64,
    state: State,
    /// The transaction status of the last `ReadyForQuery` (`I`, `T` or `E`).
    tx_status: u8,
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
            statements: HashMap::new(),
            types: HashMap::new(),
            next_statement: 0,
            state: State::Busy,
            tx_status: b'I',
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
        ];
        frontend::startup_message(params, &mut self.wbuf)?;
        self.flush().await?;
        let password = || {
            t.password.as_deref().map(str::as_bytes).ok_or_else(|| PgError::Db {
                code: "28P01".into(),
                message: "the server asks for a password and none is set".into(),
            })
        };
        loop {
            match self.recv().await? {
                Message::AuthenticationOk => break,
                Message::AuthenticationCleartextPassword => frontend::password_message(password()?, &mut self.wbuf)?,
                Message::AuthenticationMd5Password(body) => {
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
                Message::ParameterStatus(_) | Message::NoticeResponse(_) => {}
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

    /// The process id and secret a cancel request names.
    pub(crate) fn key(&self) -> (i32, i32) {
        self.key
    }

    /// Whether the caller left mid-exchange (the server may still be working).
    pub(crate) fn is_busy(&self) -> bool {
        self.state == State::Busy
    }

    /// Whether the connection can serve another call: idle, outside any
    /// transaction, and with nothing unread (an idle server that sends
    /// something, or closes, is ending the session).
    pub(crate) fn is_reusable(&self) -> bool {
        if self.state != State::Idle || self.tx_status != b'I' || !self.rbuf.is_empty() {
            return false;
        }
        matches!(self.stream.tcp().try_read(&mut [0u8; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    async fn flush(&mut self) -> Result<(), PgError> {
        let written = self.stream.write_all(&self.wbuf).await;
        self.wbuf.clear();
        written?;
        Ok(self.stream.flush().await?)
    }

    async fn recv(&mut self) -> Result<Message, PgError> {
        loop {
            if let Some(m) = Message::parse(&mut self.rbuf)? {
                return Ok(m);
            }
            if self.rbuf.capacity() - self.rbuf.len() < 4096 {
                self.rbuf.reserve(16 * 1024);
            }
            if self.stream.read_buf(&mut self.rbuf).await? == 0 {
                return Err(PgError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                )));
            }
        }
    }

    /// The next message of an exchange, skipping asynchronous notices.
    async fn next(&mut self) -> Result<Message, PgError> {
        loop {
            match self.recv().await? {
                Message::NoticeResponse(_) | Message::ParameterStatus(_) | Message::NotificationResponse(_) => {}
                m => return Ok(m),
            }
        }
    }

    /// Runs one exchange: `write` queues messages ending in `Sync`, `read`
    /// sees every answer before `ReadyForQuery`. Returns the first server
    /// error; the connection is marked broken on any other failure.
    async fn exchange(
        &mut self,
        write: impl FnOnce(&mut BytesMut) -> Result<(), PgError>,
        mut read: impl FnMut(Message) -> Result<(), PgError>,
    ) -> Result<(), PgError> {
        self.state = State::Busy;
        let outcome = async {
            write(&mut self.wbuf)?;
            frontend::sync(&mut self.wbuf);
            self.flush().await?;
            let mut error = None;
            loop {
                match self.next().await? {
                    Message::ReadyForQuery(r) => {
                        self.tx_status = r.status();
                        return Ok(error);
                    }
                    Message::ErrorResponse(body) => error = error.or(Some(PgError::from_response(&body))),
                    m => read(m)?,
                }
            }
        }
        .await;
        match outcome {
            Ok(error) => {
                self.state = State::Idle;
                error.map_or(Ok(()), Err)
            }
            Err(e) => {
                self.state = State::Broken;
                Err(e)
            }
        }
    }

    /// Whether the last exchange left a failed transaction open.
    pub(crate) fn in_failed_transaction(&self) -> bool {
        self.tx_status == b'E'
    }

    /// Prepares `sql` once per connection (Parse + Describe), with column types resolved.
    pub(crate) async fn prepare(&mut self, sql: &str) -> Result<Arc<Statement>, PgError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        if self.statements.len() >= MAX_STATEMENTS {
            self.query_text("DEALLOCATE ALL", &[]).await?;
            self.statements.clear();
        }
        self.next_statement += 1;
        let name = format!("q{}", self.next_statement);
        let mut described = Vec::new();
        self.exchange(
            |buf| {
                frontend::parse(&name, sql, std::iter::empty(), buf)?;
                Ok(frontend::describe(b'S', &name, buf)?)
            },
            |m| match m {
                Message::ParseComplete | Message::ParameterDescription(_) | Message::NoData => Ok(()),
                Message::RowDescription(body) => {
                    let mut fields = body.fields();
                    while let Some(f) = fields.next()? {
                        described.push((f.name().to_string(), f.type_oid()));
                    }
                    Ok(())
                }
                other => Err(unexpected(&other)),
            },
        )
        .await?;
        let mut columns = Vec::with_capacity(described.len());
        for (column, oid) in described {
            columns.push((column, self.type_of(oid).await?));
        }
        let stmt = Arc::new(Statement { name, columns });
        self.statements.insert(sql.to_string(), stmt.clone());
        Ok(stmt)
    }

    /// Drops `sql` from the statement cache (the server's copy stays until
    /// the connection ends or the cache is cleared).
    pub(crate) fn forget(&mut self, sql: &str) {
        self.statements.remove(sql);
    }

    /// The type behind `oid`: built in, or looked up once in `pg_type`
    /// (enums, domains and arrays of them keep their kind for decoding).
    fn type_of(&mut self, oid: u32) -> Pin<Box<dyn Future<Output = Result<Type, PgError>> + Send + '_>> {
        Box::pin(async move {
            if let Some(t) = Type::from_oid(oid).or_else(|| self.types.get(&oid).cloned()) {
                return Ok(t);
            }
            let sql = "SELECT t.typname, n.nspname, t.typtype, t.typcategory, t.typelem, t.typbasetype \
                       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1";
            let rows = self.query_text(sql, &[Some(oid.to_string())]).await?;
            let Some([Some(name), Some(schema), Some(typtype), Some(category), Some(elem), Some(base)]) =
                rows.into_iter().next().and_then(|r| <[Option<String>; 6]>::try_from(r).ok())
            else {
                return Ok(Type::new(format!("oid {oid}"), oid, Kind::Simple, String::new()));
            };
            let parse = |s: &str| s.parse::<u32>().map_err(|_| PgError::Protocol(format!("type oid {s}")));
            let kind = match (typtype.as_str(), category.as_str()) {
                ("e", _) => Kind::Enum(Vec::new()),
                ("d", _) => Kind::Domain(self.type_of(parse(&base)?).await?),
                (_, "A") if elem != "0" => Kind::Array(self.type_of(parse(&elem)?).await?),
                _ => Kind::Simple,
            };
            let t = Type::new(name, oid, kind, schema);
            self.types.insert(oid, t.clone());
            Ok(t)
        })
    }

    /// Runs `sql` once (unnamed statement) with text parameters and text
    /// results: for catalog lookups, schema browsing and probes.
    pub(crate) async fn query_text(
        &mut self,
        sql: &str,
        params: &[Option<String>],
    ) -> Result<Vec<Vec<Option<String>>>, PgError> {
        let mut rows = Vec::new();
        self.exchange(
            |buf| {
                frontend::parse("", sql, std::iter::empty(), buf)?;
                bind(buf, "", params, 0)?;
                Ok(frontend::execute("", 0, buf)?)
            },
            |m| match m {
                Message::DataRow(row) => {
                    let buf = row.buffer();
                    let values = row.ranges().map(|r| Ok(r.map(|r| String::from_utf8_lossy(&buf[r]).into_owned())));
                    rows.push(values.collect()?);
                    Ok(())
                }
                Message::ParseComplete
                | Message::BindComplete
                | Message::CommandComplete(_)
                | Message::EmptyQueryResponse => Ok(()),
                other => Err(unexpected(&other)),
            },
        )
        .await?;
        Ok(rows)
    }

    /// Sends every step behind one `Sync` and reads the answers in one round
    /// trip; `on_row` sees the rows of step `main` (binary format), the other
    /// steps' rows are ignored. After a server error the rest of the steps
    /// were skipped; [`Conn::in_failed_transaction`] says whether a
    /// transaction is left to roll back.
    pub(crate) async fn pipeline(
        &mut self,
        steps: &[Step<'_>],
        main: usize,
        mut on_row: impl FnMut(&DataRowBody) -> io::Result<()>,
    ) -> Result<(), PgError> {
        let mut step = 0;
        self.exchange(
            |buf| {
                for s in steps {
                    bind(buf, &s.stmt.name, s.params, 1)?;
                    frontend::execute("", s.max_rows, buf)?;
                }
                Ok(())
            },
            |m| match m {
                Message::BindComplete => Ok(()),
                Message::DataRow(row) if step == main => Ok(on_row(&row)?),
                Message::DataRow(_) => Ok(()),
                Message::CommandComplete(_) | Message::PortalSuspended | Message::EmptyQueryResponse => {
                    step += 1;
                    Ok(())
                }
                other => Err(unexpected(&other)),
            },
        )
        .await
    }
}

/// Bind of the unnamed portal: every parameter as text (the server parses it
/// as the type it inferred), results in `result_format` (0 text, 1 binary).
fn bind(buf: &mut BytesMut, statement: &str, params: &[Option<String>], result_format: i16) -> Result<(), PgError> {
    let serialize = |p: &Option<String>, out: &mut BytesMut| {
        Ok(match p {
            None => IsNull::Yes,
            Some(text) => {
                out.put_slice(text.as_bytes());
                IsNull::No
            }
        })
    };
    frontend::bind("", statement, [0], params, serialize, [result_format], buf)
        .map_err(|_| PgError::Protocol("a parameter too large to send".into()))
}
