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

mod channel_binding;
mod connect;
mod statements;

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::IsNull;
use postgres_protocol::message::backend::{DataRowBody, ErrorResponseBody, Message, ParameterStatusBody};
use postgres_protocol::message::frontend;
use postgres_types::{Kind, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use connect::Stream;
pub(crate) use connect::{Target, cancel, connect};
pub(crate) use statements::MAX_STATEMENTS;
use statements::StatementCache;

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

/// A prepared statement: its server-side name and result columns.
#[derive(Debug)]
pub(crate) struct Statement {
    name: String,
    /// Column names and types, in order; empty for statements without rows.
    pub columns: Vec<(String, Type)>,
    /// Per column, the table column it plainly reads (`pg_class` oid and
    /// attribute number), as RowDescription reports it; `None` for expressions.
    pub origins: Vec<Option<(u32, i16)>>,
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
    statements: StatementCache,
    types: HashMap<u32, Type>,
    state: State,
    /// The transaction status of the last `ReadyForQuery` (`I`, `T` or `E`).
    tx_status: u8,
    /// `standard_conforming_strings` has been on all along (see [`connect`]).
    lexes_standard: bool,
    /// The session's `statement_timeout` in ms, as last set outside any
    /// transaction; `None` until set, and after work that committed.
    session_timeout: Option<u128>,
}

/// The setting that decides whether `\` escapes in plain `'…'` strings.
const SCS: &str = "standard_conforming_strings";

impl Conn {
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
        if self.state != State::Idle || self.tx_status != b'I' || !self.rbuf.is_empty() || !self.lexes_standard {
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
                Message::ParameterStatus(p) => self.note_parameter(&p)?,
                Message::NoticeResponse(_) | Message::NotificationResponse(_) => {}
                m => return Ok(m),
            }
        }
    }

    /// Remembers when `standard_conforming_strings` went off: the scanner
    /// would no longer lex this session's statements as the server does, so
    /// the connection is not reused (even if a `ROLLBACK` turns it back on).
    fn note_parameter(&mut self, p: &ParameterStatusBody) -> Result<(), PgError> {
        if p.name()? == SCS && p.value()? != "on" {
            self.lexes_standard = false;
        }
        Ok(())
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
        let mut error = None;
        let outcome = async {
            write(&mut self.wbuf)?;
            frontend::sync(&mut self.wbuf);
            self.flush().await?;
            loop {
                match self.next().await? {
                    Message::ReadyForQuery(r) => {
                        self.tx_status = r.status();
                        return Ok(());
                    }
                    Message::ErrorResponse(body) if error.is_none() => error = Some(PgError::from_response(&body)),
                    Message::ErrorResponse(_) => {}
                    m => read(m)?,
                }
            }
        }
        .await;
        match outcome {
            Ok(()) => {
                self.state = State::Idle;
                error.map_or(Ok(()), Err)
            }
            Err(e) => {
                self.state = State::Broken;
                // A server that ends the session says why before it closes
                // the socket (`57P01` when an administrator terminated it).
                Err(error.unwrap_or(e))
            }
        }
    }

    /// Sets the session's `statement_timeout` to `ms` (outside any
    /// transaction, one round trip) unless it already is.
    pub(crate) async fn set_session_timeout(&mut self, ms: u128) -> Result<(), PgError> {
        if self.session_timeout != Some(ms) {
            self.query_text(&format!("SET statement_timeout = {ms}"), &[]).await?;
            self.session_timeout = Some(ms);
        }
        Ok(())
    }

    /// Forgets the session's `statement_timeout`: work about to commit may
    /// change it, so the next [`Conn::set_session_timeout`] sets it again.
    pub(crate) fn forget_session_timeout(&mut self) {
        self.session_timeout = None;
    }

    /// Whether the last exchange left a failed transaction open.
    pub(crate) fn in_failed_transaction(&self) -> bool {
        self.state == State::Idle && self.tx_status == b'E'
    }

    /// Prepares `sql` once per connection (Parse + Describe), with column
    /// types resolved. Retired statements no call holds are closed in the
    /// same exchange (see [`statements`]).
    pub(crate) async fn prepare(&mut self, sql: &str) -> Result<Arc<Statement>, PgError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s);
        }
        self.statements.make_room();
        let closing = self.statements.take_closable();
        let name = self.statements.new_name();
        let mut described = Vec::new();
        self.exchange(
            |buf| {
                for old in &closing {
                    frontend::close(b'S', old, buf)?;
                }
                frontend::parse(&name, sql, std::iter::empty(), buf)?;
                Ok(frontend::describe(b'S', &name, buf)?)
            },
            |m| match m {
                Message::CloseComplete
                | Message::ParseComplete
                | Message::ParameterDescription(_)
                | Message::NoData => Ok(()),
                Message::RowDescription(body) => {
                    let mut fields = body.fields();
                    while let Some(f) = fields.next()? {
                        let origin = (f.table_oid() != 0).then(|| (f.table_oid(), f.column_id()));
                        described.push((f.name().to_string(), f.type_oid(), origin));
                    }
                    Ok(())
                }
                other => Err(unexpected(&other)),
            },
        )
        .await?;
        let mut columns = Vec::with_capacity(described.len());
        let mut origins = Vec::with_capacity(described.len());
        for (column, oid, origin) in described {
            columns.push((column, self.type_of(oid).await?));
            origins.push(origin);
        }
        let stmt = Arc::new(Statement { name, columns, origins });
        self.statements.insert(sql, stmt.clone());
        Ok(stmt)
    }

    /// Whether `sql` is already prepared on this connection.
    pub(crate) fn has_prepared(&self, sql: &str) -> bool {
        self.statements.contains(sql)
    }

    /// Drops `sql` from the statement cache; the server's copy is closed by
    /// a later [`Conn::prepare`], once no call holds it.
    pub(crate) fn forget(&mut self, sql: &str) {
        self.statements.forget(sql);
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
