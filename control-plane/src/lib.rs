//! Quarry's control plane: the REST API under `/api/v1`, its store, admin
//! authentication, the OpenAPI document and the UI.

pub mod agent;
pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod describe;
pub mod error;
pub mod extract;
pub mod keys;
pub mod model;
pub mod oauth;
pub mod portable;
pub mod release;
pub mod settings;
pub mod storage;
pub mod tls;

pub use app::{AppState, Application};
pub use config::Config;
