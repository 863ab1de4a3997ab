//! Connection errors as [`EngineError`]s with messages a user can act on.

use deadpool::managed::{PoolError, TimeoutType};

use super::wire::PgError;

use crate::db::error::one_line;
use crate::db::{CONNECT_TIMEOUT, EngineError, Limits};

/// An error raised while running a statement.
pub(crate) fn db_error(e: PgError, limits: &Limits) -> EngineError {
    match e.code() {
        // query_canceled: the statement timeout fired.
        Some("57014") => EngineError::Timeout(limits.timeout),
        // read_only_sql_transaction, active_sql_transaction
        Some("25006" | "25001") => EngineError::ReadOnly(one_line(&e.to_string())),
        // admin_shutdown, crash_shutdown, cannot_connect_now: the session is over.
        Some("57P01" | "57P02" | "57P03") => {
            EngineError::Database(format!("the database closed the connection: {}", one_line(&e.to_string())))
        }
        Some(_) => EngineError::Database(one_line(&e.to_string())),
        None if matches!(&e, PgError::Io(_)) => EngineError::Database("the connection to the database was lost".into()),
        None => EngineError::Database(one_line(&e.to_string())),
    }
}

/// An error from the pool: busy, or the connection could not be made.
pub(crate) fn pool_error(e: PoolError<PgError>, max: usize) -> EngineError {
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
pub(crate) fn connect_error(e: &PgError) -> String {
    if let PgError::Db { code, message } = e {
        return match code.as_str() {
            "28P01" => "authentication failed: check the username and password".into(),
            "3D000" => format!("the database does not exist: {}", one_line(message)),
            "28000" => format!("the server refused the login: {}", one_line(message)),
            "53300" => "the server has no free connection slots; retry later or lower pool sizes".into(),
            _ => format!("the server refused the connection: {}", one_line(message)),
        };
    }
    let chain = error_chain(e);
    if chain.contains("server does not support TLS") {
        "TLS failure: the server does not support TLS; set ssl_mode to disable or prefer".into()
    } else if matches!(e, PgError::Tls(_)) || chain.contains("certificate") {
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
