//! The engine's errors. Each variant maps to one HTTP status and one stable
//! code, so the control plane and the MCP server can report it without
//! looking inside. Messages never carry passwords, connection strings or
//! driver internals beyond the database's own one-line message.

use std::time::Duration;

use crate::args::ArgError;

/// Why a query, schema lookup or connection could not be served.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// An argument failed validation against its parameter definition.
    #[error(transparent)]
    InvalidArgument(#[from] ArgError),
    /// The SQL itself was refused before reaching the database: several
    /// statements, an unterminated literal, an undeclared placeholder.
    #[error("invalid SQL: {0}")]
    InvalidSql(String),
    /// A read-only query tried to change something (refused by the database
    /// or by the engine's own checks).
    #[error("read-only query refused: {0}")]
    ReadOnly(String),
    /// The connection settings cannot be used (unsupported type, bad CA PEM,
    /// bad identifier).
    #[error("{0}")]
    Unsupported(String),
    /// The table or schema asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The statement ran past its time limit and was cancelled.
    #[error("the query ran longer than {} s and was cancelled", .0.as_secs_f64())]
    Timeout(Duration),
    /// No pooled connection became free in time.
    #[error("all {0} connections are busy; retry shortly")]
    PoolExhausted(usize),
    /// The database could not be reached or refused the login.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The database reported an error; the message is the server's own
    /// one-liner (with its SQLSTATE / error code when it has one).
    #[error("database error: {0}")]
    Database(String),
}

impl EngineError {
    /// The HTTP status the REST API should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            EngineError::InvalidSql(_) | EngineError::ReadOnly(_) => 400,
            EngineError::NotFound(_) => 404,
            EngineError::InvalidArgument(_) | EngineError::Unsupported(_) => 422,
            EngineError::Connect(_) | EngineError::Database(_) => 502,
            EngineError::PoolExhausted(_) => 503,
            EngineError::Timeout(_) => 504,
        }
    }

    /// A stable snake_case code for API bodies and metrics labels.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::InvalidArgument(_) => "invalid_argument",
            EngineError::InvalidSql(_) => "invalid_sql",
            EngineError::ReadOnly(_) => "read_only_violation",
            EngineError::Unsupported(_) => "unsupported",
            EngineError::NotFound(_) => "not_found",
            EngineError::Timeout(_) => "timeout",
            EngineError::PoolExhausted(_) => "pool_exhausted",
            EngineError::Connect(_) => "connect_failed",
            EngineError::Database(_) => "database_error",
        }
    }
}

/// Keeps the first line of a driver message and bounds its length, so that
/// multi-line dumps and giant messages never reach a client.
pub(crate) fn one_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(500) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_status_and_code() {
        let arg = ArgError { param: "id".into(), message: "is required".into() };
        assert_eq!(EngineError::from(arg).http_status(), 422);
        assert_eq!(EngineError::Timeout(Duration::from_secs(10)).http_status(), 504);
        assert_eq!(EngineError::Database("x".into()).code(), "database_error");
        assert_eq!(
            EngineError::Timeout(Duration::from_millis(1500)).to_string(),
            "the query ran longer than 1.5 s and was cancelled"
        );
    }

    #[test]
    fn driver_messages_are_cut_to_one_bounded_line() {
        assert_eq!(one_line("boom\nstack: secret"), "boom");
        assert_eq!(one_line(&"x".repeat(600)).chars().count(), 501);
    }
}
