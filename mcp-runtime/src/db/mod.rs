//! The SQL engine: pools per connection, `:name` binding, read-only execution
//! with server-side timeouts and cancellation, row and byte caps, rows as
//! faithful JSON, schema browsing and connection tests, for PostgreSQL,
//! MySQL/MariaDB and SQLite.
//!
//! The control plane (preview, schema, connection test) and the MCP server
//! (deployed tools) both go through [`Engine`], so a preview runs exactly the
//! code a deployed tool runs.
//!
//! # Rows as JSON
//! Integers of any width are JSON numbers with their exact value (the workspace
//! enables serde_json's `arbitrary_precision`). `numeric`/`decimal` are JSON
//! numbers with the database's exact digits (`NaN`/`Infinity` become strings).
//! Dates, times and timestamps are ISO 8601 strings (`timestamptz` in UTC with
//! `Z`); intervals are ISO 8601 durations (`P1Y2M3DT4H5M6.5S`); binary values
//! are base64; `json`/`jsonb` are nested JSON; arrays are JSON arrays; MySQL
//! `SET` values are arrays of strings and `BIT` values integers. Types without
//! a faithful mapping come back as their text when it is UTF-8, else base64;
//! cast them in SQL (`::text`) for a chosen rendering.
//!
//! Then [`numbers`] turns the integers and decimals a double-parsing client
//! would corrupt into strings, per the server's `exact_numerics` setting.
//! Row objects keep the statement's column order (the workspace enables
//! serde_json's `preserve_order`), in results and in every text made of them.

mod collect;
mod compile;
mod engine;
mod error;
mod ident;
mod mysql;
pub mod numbers;
mod pg;
mod policy;
mod spec;
mod sqlite;
mod tls;
mod types;

pub use engine::Engine;
pub use error::EngineError;
pub use spec::{ConnectionSpec, DbType, SslMode};
pub use types::{
    Column, ColumnDesc, ColumnInfo, Limits, PoolState, Query, QueryResult, TableInfo, TableKind, TestOutcome,
};

use std::time::Duration;

/// Rows a preview returns when the caller does not say.
pub const PREVIEW_DEFAULT_ROWS: usize = 10;
/// Most rows a preview may ask for.
pub const PREVIEW_MAX_ROWS: usize = 1000;
/// Most JSON bytes of rows a preview returns.
pub const PREVIEW_MAX_BYTES: usize = 10 * 1024 * 1024;
/// How long a preview may run.
pub const PREVIEW_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection test may take, connecting included.
pub const CONNECTION_TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a schema lookup may take.
pub const SCHEMA_TIMEOUT: Duration = Duration::from_secs(15);
/// How long to wait for a TCP connection and login.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Prepared statements a PostgreSQL connection keeps; past this, the least
/// recently used one that no running call uses is closed.
pub const PG_STATEMENT_CACHE: usize = pg::MAX_STATEMENTS;

/// Columns from `(name, type)` pairs; a repeated name gets a `_2`, `_3` …
/// suffix so that no value is lost when rows become JSON objects.
pub(crate) fn unique_columns<'a>(cols: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for (name, db_type) in cols {
        let mut unique = name.to_string();
        let mut n = 1;
        while out.iter().any(|c| c.name == unique) {
            n += 1;
            unique = format!("{name}_{n}");
        }
        out.push(Column { name: unique, db_type: db_type.to_string() });
    }
    out
}

/// A fixed-seed pseudo-random sequence for the property tests: each call
/// gives a number below `n` (from the generator's high bits, good for any
/// `n`), the same on every run and machine.
#[cfg(test)]
pub(crate) fn test_sequence(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((u128::from(state) * u128::from(n)) >> 64) as u64
    }
}
