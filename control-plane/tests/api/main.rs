//! The control plane's API tests: one binary, a fresh store per test.

mod auth;
mod crud;
mod deploy;
mod docs;
mod engine_routes;
mod errors;
mod export_import;
mod harness;
mod history;
mod list_filters;
mod observability;
mod release_diff;
mod secrets;
mod transforms;
mod two_factor;
mod write_path;
