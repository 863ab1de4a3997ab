//! The seam between the MCP server and the SQL engine: the server validates,
//! queues and formats (transforms included, through `transform::render`, the
//! same code the control plane's preview runs); an [`Executor`] binds and runs the SQL. The engine in
//! `db/` implements it for real databases; tests use a scripted one.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use shared_model::ParamDef;
use shared_model::manifest::{ExactNumerics, Manifest, ResultLimits};
use tokio_util::sync::CancellationToken;

use crate::metrics::PoolStatus;

/// One SQL execution.
#[derive(Debug, Clone)]
pub struct QueryRequest<'a> {
    /// Connection id from the manifest.
    pub connection: &'a str,
    /// The SQL with `:name` placeholders.
    pub sql: &'a str,
    /// Declared parameters.
    pub params: &'a [ParamDef],
    /// Validated arguments (defaults applied).
    pub args: &'a Map<String, Value>,
    /// Row, byte and time bounds.
    pub limits: &'a ResultLimits,
    /// Run in a read-only transaction (tools annotated `read_only`, resources).
    pub read_only: bool,
    /// Which exact numbers are written as strings (the server's setting).
    pub exact_numerics: ExactNumerics,
    /// Rows to skip before the first one returned (a page cursor's position; 0 otherwise).
    pub offset: usize,
    /// Cancelled when the client cancels the request; the engine must stop the query.
    pub cancel: CancellationToken,
}

/// Rows of a query, already capped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOutput {
    /// Column names in order.
    pub columns: Vec<String>,
    /// One JSON object per row.
    pub rows: Vec<Value>,
    /// Set when rows or bytes were cut: what was cut and why.
    pub truncated: Option<String>,
}

/// Why an execution failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ExecError {
    /// An argument is missing or invalid; `param` names it.
    #[error("invalid argument {param:?}: {message}")]
    InvalidArgument {
        /// The parameter name.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// The database refused or failed the query; `detail` is the driver's message.
    #[error("the query failed: {detail}")]
    Database {
        /// The database's message (shown to clients only when configured).
        detail: String,
    },
    /// The statement ran past its timeout.
    #[error("the query ran longer than {seconds} s and was stopped")]
    Timeout {
        /// The limit.
        seconds: u32,
    },
    /// The connection's queue refused the call (full, or no slot in time).
    #[error("{0}")]
    Busy(String),
    /// The caller cancelled.
    #[error("the request was cancelled")]
    Cancelled,
    /// The connection could not be reached.
    #[error("the database is unavailable: {detail}")]
    Unavailable {
        /// Why.
        detail: String,
    },
}

/// Runs SQL for one release's connections.
pub trait Executor: Send + Sync + 'static {
    /// Checks `args` against `params` and returns them with defaults applied.
    fn validate(&self, params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ExecError>;
    /// Runs one query.
    fn execute<'a>(&'a self, req: QueryRequest<'a>) -> BoxFuture<'a, Result<QueryOutput, ExecError>>;
    /// Pool occupancy per connection id.
    fn pools(&self) -> BTreeMap<String, PoolStatus>;
    /// Each connection's answer to a `SELECT 1` (connection health, `/internal/ready`).
    fn ping(&self) -> BoxFuture<'_, crate::ready::ConnectionHealth>;
}

/// Builds an [`Executor`] for a manifest; called on every (re)load.
/// `previous` lets it keep pools whose connection settings did not change.
pub trait ExecutorFactory: Send + Sync + 'static {
    /// Opens (lazily) the manifest's connections; secrets are opened with the runtime key.
    fn build(&self, manifest: &Manifest, previous: Option<Arc<dyn Executor>>) -> Result<Arc<dyn Executor>, String>;
}
