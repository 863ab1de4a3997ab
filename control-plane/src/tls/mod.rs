//! HTTPS for the control plane: a given certificate (`QUARRY_TLS_CERT` +
//! `QUARRY_TLS_KEY`), or one obtained by ACME HTTP-01 ([`acme`]) into the data
//! directory and renewed before it expires. The server side (rustls, reload
//! on change) is shared with the runtime: [`mcp_runtime::tls`].

pub mod acme;
pub mod cert;
pub mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use mcp_runtime::tls::TlsFiles;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// TLS and ACME settings.
#[derive(Clone, Debug)]
pub struct TlsConfig {
    /// `QUARRY_TLS_CERT` + `QUARRY_TLS_KEY`: serve HTTPS with these PEM files (re-read when they change).
    pub files: Option<TlsFiles>,
    /// `QUARRY_HTTP_CHALLENGE_BIND`: a plain-HTTP listener for ACME HTTP-01 challenges (e.g. `0.0.0.0:80`),
    /// needed when the main listener serves HTTPS; it answers only `/.well-known/acme-challenge/`.
    pub challenge_bind: Option<SocketAddr>,
    /// `QUARRY_ACME_DIRECTORY`: the ACME server (default Let's Encrypt production).
    pub acme_directory: String,
    /// `QUARRY_ACME_CA_FILE`: a PEM root to trust for the ACME server (test servers such as pebble).
    pub acme_ca_file: Option<PathBuf>,
    /// `QUARRY_ACME_RENEW_BEFORE_DAYS`: renew an ACME certificate this many days before it expires (default 30).
    pub renew_before_days: i64,
    /// `QUARRY_ACME_RENEW_CHECK_SECONDS`: how often expiry is checked (default 43200, twice a day).
    pub renew_check: Duration,
    /// Where issued certificates go: `$QUARRY_DATA_DIR/tls`.
    pub dir: PathBuf,
}

impl TlsConfig {
    /// Reads the TLS variables through `var`.
    pub fn from_source(var: &dyn Fn(&str) -> Option<String>, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let files =
            TlsFiles::from_pair(var("QUARRY_TLS_CERT"), var("QUARRY_TLS_KEY"), "QUARRY_TLS_CERT and QUARRY_TLS_KEY")
                .map_err(anyhow::Error::msg)?;
        let int = |k: &str, d: i64| -> anyhow::Result<i64> {
            var(k).map_or(Ok(d), |v| {
                v.parse::<i64>().ok().filter(|n| *n > 0).with_context(|| format!("{k} must be a positive integer"))
            })
        };
        Ok(TlsConfig {
            files,
            challenge_bind: var("QUARRY_HTTP_CHALLENGE_BIND")
                .map(|b| b.parse().context("QUARRY_HTTP_CHALLENGE_BIND must be an address like 0.0.0.0:80"))
                .transpose()?,
            acme_directory: var("QUARRY_ACME_DIRECTORY").unwrap_or_else(|| LETS_ENCRYPT.into()),
            acme_ca_file: var("QUARRY_ACME_CA_FILE").map(PathBuf::from),
            renew_before_days: int("QUARRY_ACME_RENEW_BEFORE_DAYS", 30)?,
            renew_check: Duration::from_secs(int("QUARRY_ACME_RENEW_CHECK_SECONDS", 43_200)? as u64),
            dir: data_dir.join("tls"),
        })
    }

    /// The certificate ACME writes.
    pub fn acme_cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// Its private key.
    pub fn acme_key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}
