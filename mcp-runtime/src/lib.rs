//! Quarry's runtime library: the SQL engine shared with the control plane and,
//! with the `server` feature (on by default), the MCP server that serves a
//! manifest. The engine modules (`db`, `args`, `queue`, `shape`, `transform`, `tls`)
//! and the HTTP serving loop (`serving`, which the control plane uses too)
//! import nothing from the server side.

#[cfg(feature = "server")]
pub mod app;
pub mod args;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod config;
pub mod db;
#[cfg(feature = "server")]
pub mod delivery;
#[cfg(feature = "server")]
pub mod drain;
#[cfg(feature = "server")]
pub mod edge;
#[cfg(feature = "server")]
pub mod engine_adapter;
#[cfg(feature = "server")]
pub mod exec;
#[cfg(feature = "server")]
pub mod healthcheck;
pub mod histogram;
pub mod jwt;
#[cfg(feature = "logging")]
pub mod logging;
#[cfg(feature = "server")]
pub mod metrics;
#[cfg(feature = "logging")]
pub mod otel;
#[cfg(feature = "server")]
pub mod pull;
pub mod queue;
#[cfg(feature = "server")]
pub mod ready;
#[cfg(feature = "server")]
pub mod release;
#[cfg(feature = "server")]
pub mod reload;
#[cfg(feature = "server")]
pub mod server;
pub mod serving;
#[cfg(feature = "server")]
pub mod sessions;
pub mod shape;
pub mod tls;
pub mod transform;
