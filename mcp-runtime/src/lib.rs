//! Quarry's runtime library: the SQL engine shared with the control plane and
//! the MCP server that serves a manifest.

pub mod app;
pub mod args;
pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod engine_adapter;
pub mod exec;
pub mod healthcheck;
pub mod histogram;
pub mod metrics;
pub mod pull;
pub mod queue;
pub mod release;
pub mod reload;
pub mod server;
pub mod tls;
pub mod transform;
