//! tokio-postgres errors as [`EngineError`]s with messages a user can act on.

use deadpool_postgres::{PoolError, TimeoutType};
use tokio_postgres::error::SqlState;

use crate::db::error::one_line;
use crate::db::{CONNECT_TIMEOUT, EngineError, Limits};

/// An error raised while running a statement.
pub(crate) fn db_error(e: tokio_postgres::Error, limits: &Limits) -> EngineError {
    let Some(db) = e.as_db_error() else {
        return if e.is_closed() {
            EngineError::Database("the connection to the database was lost".into())
        } else {
            EngineError::Database(one_line(&e.to_string()))
        };
    };
    let code = db.code();
    let message = format!("{} (SQLSTATE {})", one_line(db.message()), code.code());
    if *code == SqlState::QUERY_CANCELED {
        EngineError::Timeout(limits.timeout)
    } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION || *code == SqlState::ACTIVE_SQL_TRANSACTION {
        EngineError::ReadOnly(message)
    } else {
        EngineError::Database(message)
    }
}

/// An error from the pool: busy, or the connection could not be made.
pub(crate) fn pool_error(e: PoolError, max: usize) -> EngineError {
    match e {
        PoolError::Timeout(TimeoutType::Wait) => EngineError::PoolExhausted(max),
        PoolError::Timeout(_) => {
            EngineError::Connect(format!("timed out after {} s connecting to the database", CONNECT_TIMEOUT.as_secs()))
        }
        PoolError::Backend(e) => EngineError::Connect(connect_error(&e)),
        other => EngineError::Connect(one_line(&other.to_string())),
    }
}

/// What went wrong while connecting, phrased as what to check.
pub(crate) fn connect_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            "authentication failed: check the username and password".into()
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("the database does not exist: {}", one_line(db.message()))
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            format!("the server refused the login: {}", one_line(db.message()))
        } else if *code == SqlState::TOO_MANY_CONNECTIONS {
            "the server has no free connection slots; retry later or lower pool sizes".into()
        } else {
            format!("the server refused the connection: {}", one_line(db.message()))
        };
    }
    let chain = error_chain(e);
    if chain.contains("server does not support TLS") {
        "TLS failure: the server does not support TLS; set ssl_mode to disable or prefer".into()
    } else if chain.contains("certificate") || chain.contains("TLS") || chain.contains("tls") {
        format!("TLS failure: {}", one_line(&chain))
    } else if chain.contains("refused") {
        "host unreachable: the connection was refused; check the host, the port and that the server is running".into()
    } else if chain.contains("lookup") || chain.contains("resolve") || chain.contains("Name or service") {
        "host unreachable: the host name could not be resolved".into()
    } else if chain.contains("timed out") || chain.contains("timeout") {
        format!("timed out after {} s connecting to the server", CONNECT_TIMEOUT.as_secs())
    } else {
        format!("could not reach the server: {}", one_line(&chain))
    }
}

/// The error and its sources, joined, for classification and messages.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
