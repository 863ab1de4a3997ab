//! The control plane's API tests: one binary, a fresh store per test.

mod agent;
mod auth;
mod authorization_pruning;
mod authorization_server;
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
mod leases;
mod list_filters;
mod login_abuse;
mod mcp_oauth;
mod observability;
#[allow(dead_code)]
#[path = "../../../tests/rust/otlp_receiver.rs"]
mod otlp_receiver;
mod output_schema;
mod read_only_policy;
mod release_diff;
mod results;
mod secrets;
#[path = "../../../tests/rust/slowloris.rs"]
mod slowloris;
mod token_lifecycle;
mod traces;
mod transforms;
mod two_factor;
mod write_path;
