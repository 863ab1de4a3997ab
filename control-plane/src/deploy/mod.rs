//! Deploy: releases built from the store, published to runtimes that pull
//! them, and the deployers that run those runtimes (`local`, `docker`,
//! `kubernetes`). See [`service::DeployService`].

pub mod build;
pub mod config;
pub mod deployer;
pub mod diff;
pub mod docker;
pub mod docker_image;
pub mod hub;
pub mod local;
pub mod logs;
pub mod service;
pub mod settings;
pub mod status;
pub mod store;

pub use config::DeployConfig;
pub use service::DeployService;
