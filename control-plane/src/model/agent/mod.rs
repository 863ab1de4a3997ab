//! The agent-access domain without I/O: scopes, agent tokens and OAuth
//! clients (minting and validation) and the activity log's entries, filters and statistics. The
//! endpoint that uses them is `crate::agent`; their rows are in `storage`.

pub mod activity;
pub mod oauth_client;
pub mod scope;
pub mod token;
