//! sea-orm entities: one module per table.

pub mod admin;
pub mod admin_totp;
pub mod agent_activity;
pub mod agent_token;
pub mod audit_event;
pub mod change_history;
pub mod connection;
pub mod deploy_state;
pub mod lease;
pub mod login_challenge;
pub mod metric_hour;
pub mod metric_minute;
pub mod oauth_client;
pub mod prompt;
pub mod queue_snapshot;
pub mod recovery_code;
pub mod release;
pub mod request_log;
pub mod resource;
pub mod runtime_heartbeat;
pub mod server_config;
pub mod session;
pub mod telemetry_instance;
pub mod tool;
