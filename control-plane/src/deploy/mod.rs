//! Deploy: the deployers that run runtimes (`local` child process, `docker`
//! container, `kubernetes` replicas that pull), their logs and the status
//! of the deployment. Releases themselves are built, stored and published by
//! `release`; this module uses it, never the other way round. See
//! [`service::DeployService`].

pub mod config;
pub mod deployer;
pub mod docker;
pub mod docker_image;
pub mod local;
pub mod logs;
pub mod service;
pub mod status;

pub use config::DeployConfig;
pub use deployer::DeployError;
pub use service::DeployService;
