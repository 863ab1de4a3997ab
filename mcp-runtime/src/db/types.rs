//! The engine's inputs and outputs.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shared_model::ParamDef;
use shared_model::manifest::ExactNumerics;

use super::{PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_BYTES, PREVIEW_MAX_ROWS, PREVIEW_TIMEOUT};

/// Bounds on one execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most rows returned; more set `truncated`.
    pub max_rows: usize,
    /// Most bytes of JSON rows returned; more set `truncated`.
    pub max_bytes: usize,
    /// Statement time limit, enforced by the server and by the engine.
    pub timeout: Duration,
}

impl Limits {
    /// Preview limits: `rows` (default 10, clamped to 1..=1000), 10 MiB, 10 s.
    pub fn preview(rows: Option<usize>) -> Self {
        Limits {
            max_rows: rows.unwrap_or(PREVIEW_DEFAULT_ROWS).clamp(1, PREVIEW_MAX_ROWS),
            max_bytes: PREVIEW_MAX_BYTES,
            timeout: PREVIEW_TIMEOUT,
        }
    }

    /// The limits a manifest declares for a tool or resource.
    pub fn from_manifest(l: &shared_model::manifest::ResultLimits) -> Self {
        Limits {
            max_rows: l.max_rows.max(1) as usize,
            max_bytes: l.max_bytes.max(1) as usize,
            timeout: Duration::from_secs(u64::from(l.timeout_seconds.max(1))),
        }
    }
}

/// One execution request.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// One SQL statement with `:name` placeholders.
    pub sql: &'a str,
    /// The declared parameters; every placeholder must be declared.
    pub params: &'a [ParamDef],
    /// The caller's arguments; validated (and defaulted) by the engine.
    pub args: &'a Map<String, Value>,
    /// Run in a read-only transaction (preview, and tools annotated read-only).
    pub read_only: bool,
    /// Row, byte and time bounds.
    pub limits: Limits,
    /// Which exact numbers are written as strings (see [`super::numbers`]).
    pub exact_numerics: ExactNumerics,
    /// Rows of the result to skip before the first one returned (paging by
    /// offset): they are fetched and dropped, and count against no cap.
    pub offset: usize,
}

impl<'a> Query<'a> {
    /// A query with the default number rendering (`string_when_unsafe`) that starts at the first row.
    pub fn new(
        sql: &'a str,
        params: &'a [ParamDef],
        args: &'a Map<String, Value>,
        read_only: bool,
        limits: Limits,
    ) -> Self {
        Query { sql, params, args, read_only, limits, exact_numerics: ExactNumerics::default(), offset: 0 }
    }
}

/// A result column: its name and the database's name for its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Column name (or alias) as the database reports it.
    pub name: String,
    /// Database type name, e.g. `int8`, `numeric`, `BIGINT UNSIGNED`, `TEXT`.
    pub db_type: String,
}

/// A result column as the database describes a statement before running it
/// (the engine's `describe`): what a tool's output schema is derived from, and
/// what the deploy check compares with the database again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnDesc {
    /// Column name, de-duplicated as in results (`id`, `id_2`, …).
    pub name: String,
    /// Database type name, exactly as a result of the same statement names it
    /// (e.g. `int8`, `_text`, `BIGINT UNSIGNED`, `TEXT`); empty when the
    /// server cannot tell before the arguments are bound (MySQL/MariaDB
    /// expressions in a statement with placeholders).
    pub sql_type: String,
    /// Whether the column can be NULL: `false` only when the server vouches for
    /// it (PostgreSQL: a plain reference to a `NOT NULL` table column in a
    /// statement without outer joins, grouping sets or set operations;
    /// MySQL/MariaDB: the column's `NOT_NULL` flag); absent when unknown
    /// (SQLite, expressions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
}

/// The rows of one execution, already capped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryResult {
    /// Result columns in order.
    pub columns: Vec<Column>,
    /// One JSON object per row, keyed by column name, in the columns' order.
    pub rows: Vec<Map<String, Value>>,
    /// `rows.len()`.
    pub row_count: usize,
    /// Whether rows were cut by the row or byte cap.
    pub truncated: bool,
    /// Wall time from checkout of a connection to the last row.
    pub execution_time_ms: u64,
}

/// How many of a pool's connections are lent out and idle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoolState {
    /// Connections checked out (running a query).
    pub in_use: usize,
    /// Connections open and waiting in the pool.
    pub idle: usize,
    /// The pool's bound.
    pub max: usize,
}

/// Whether a relation is a table or a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// A base table (partitioned and foreign tables included).
    Table,
    /// A view or materialized view.
    View,
}

/// A table or view the connection can see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableInfo {
    /// Schema (PostgreSQL), database (MySQL) or `main` (SQLite).
    pub schema: String,
    /// Table name.
    pub name: String,
    /// Table or view.
    pub kind: TableKind,
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Declared type, e.g. `character varying(20)`, `int unsigned`, `TEXT`.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Whether the column accepts NULL.
    pub nullable: bool,
    /// The default expression, as the database prints it.
    pub default: Option<String>,
    /// Whether the column is part of the primary key.
    pub primary_key: bool,
}

/// The answer to "can Quarry reach this database?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestOutcome {
    /// Whether a login and `SELECT 1` succeeded.
    pub success: bool,
    /// What happened, phrased so a user can act on it.
    pub message: String,
    /// Time to connect and run `SELECT 1`.
    pub latency_ms: u64,
    /// Privileges the login (or the read-only role) holds that read-only
    /// tools do not need: superuser, replication, file or signal roles,
    /// MariaDB `SUPER`/`FILE`/`PROCESS`…; empty when none, or on failure.
    pub warnings: Vec<String>,
}
