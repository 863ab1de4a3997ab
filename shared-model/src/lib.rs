//! The contract shared by Quarry's control plane and runtime: parameter
//! definitions, `:name` placeholder scanning, entity-name rules, global
//! variables and the problems validation reports. Pure data and functions, no I/O.

pub mod db_type;
pub mod lexer;
pub mod manifest;
pub mod names;
pub mod params;
pub mod placeholders;
pub mod problems;
pub mod protocol;
pub mod secret;
pub mod sketch;
pub mod sql_calls;
pub mod telemetry;
pub mod token;
pub mod vars;

pub use db_type::DbType;
pub use names::{normalized_name, validate_name};
pub use params::{ParamDef, ParamType};
pub use placeholders::{
    Dialect, FunctionCall, Placeholder, SqlModes, SqlScan, StringKind, Token, TokenKind, check_placeholders, scan_sql,
    scan_sql_with, uri_template_params,
};
pub use problems::{Problem, Problems};
pub use secret::{Keyring, SecretError, is_secret_key};
