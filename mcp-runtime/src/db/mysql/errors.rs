//! mysql_async errors as [`EngineError`]s with messages a user can act on.

use std::time::Duration;

use mysql_async::{Conn, Error, Pool};

use crate::db::error::one_line;
use crate::db::pg::error_chain;
use crate::db::{CONNECT_TIMEOUT, EngineError, Limits};

/// Server error codes the engine treats specially.
const READ_ONLY_TRANSACTION: u16 = 1792;
const TRANSACTION_CHARACTERISTICS: u16 = 1568;
const QUERY_INTERRUPTED: u16 = 1317;
const MYSQL_EXECUTION_TIME_EXCEEDED: u16 = 3024;
const MARIADB_STATEMENT_TIME_EXCEEDED: u16 = 1969;

/// An error raised while running a statement.
pub(crate) fn db_error(e: Error, limits: &Limits) -> EngineError {
    match e {
        Error::Server(s) => {
            let message = format!("{} (error {}, SQLSTATE {})", one_line(&s.message), s.code, s.state);
            match s.code {
                QUERY_INTERRUPTED | MYSQL_EXECUTION_TIME_EXCEEDED | MARIADB_STATEMENT_TIME_EXCEEDED => {
                    EngineError::Timeout(limits.timeout)
                }
                READ_ONLY_TRANSACTION | TRANSACTION_CHARACTERISTICS => EngineError::ReadOnly(message),
                _ => EngineError::Database(message),
            }
        }
        other => EngineError::Database(one_line(&other.to_string())),
    }
}

/// A pooled connection, waiting at most `wait`; distinguishes "busy" from
/// "cannot connect".
pub(crate) async fn get_conn(pool: &Pool, wait: Duration, max: usize) -> Result<Conn, EngineError> {
    match tokio::time::timeout(wait.max(CONNECT_TIMEOUT), pool.get_conn()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(EngineError::Connect(connect_error(&e))),
        Err(_) => Err(EngineError::PoolExhausted(max)),
    }
}

/// What went wrong while connecting, phrased as what to check.
pub(crate) fn connect_error(e: &Error) -> String {
    if let Error::Server(s) = e {
        return match s.code {
            1045 => "authentication failed: check the username and password".into(),
            1049 => format!("the database does not exist: {}", one_line(&s.message)),
            1044 => format!("the user may not use this database: {}", one_line(&s.message)),
            1040 => "the server has no free connection slots; retry later or lower pool sizes".into(),
            _ => format!("the server refused the connection: {}", one_line(&s.message)),
        };
    }
    let chain = error_chain(e);
    if chain.contains("SSL") || chain.contains("TLS") || chain.contains("certificate") || chain.contains("tls") {
        format!("TLS failure: {}", one_line(&chain))
    } else if chain.contains("refused") {
        "host unreachable: the connection was refused; check the host, the port and that the server is running".into()
    } else if chain.contains("lookup") || chain.contains("resolve") || chain.contains("Name or service") {
        "host unreachable: the host name could not be resolved".into()
    } else {
        format!("could not reach the server: {}", one_line(&chain))
    }
}
