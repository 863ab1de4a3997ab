//! The control plane's API tests: one binary, a fresh store per test.

mod auth;
mod crud;
mod deploy;
mod docs;
mod engine_routes;
mod errors;
mod export_import;
mod ha;
mod harness;
mod history;
mod hygiene;
mod list_filters;
mod read_only_policy;
mod observability;
mod login_abuse;
mod release_diff;
mod results;
mod secrets;
mod token_lifecycle;
#[path = "../../../tests/rust/slowloris.rs"]
mod slowloris;
mod transforms;
mod two_factor;
mod write_path;
