//! sea-orm entities: one module per table.

pub mod admin;
pub mod connection;
pub mod prompt;
pub mod resource;
pub mod session;
pub mod tool;
