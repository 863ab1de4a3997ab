//! The control plane's domain: what the store holds, as typed values, and the
//! rules each must satisfy. No I/O and no HTTP: `storage` reads and writes
//! these, the API returns them and the release builder turns them into a
//! manifest.

pub mod actor;
pub mod agent;
pub mod connection;
pub mod history;
pub mod patch;
pub mod prompt;
pub mod published;
pub mod release;
pub mod resource;
pub mod telemetry;
pub mod tool;

pub use actor::Actor;
pub use published::{Linked, Published, Versioned};
