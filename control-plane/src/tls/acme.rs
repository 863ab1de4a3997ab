//! ACME HTTP-01 with instant-acme: account (kept in the data dir), order,
//! challenge answers served at `/.well-known/acme-challenge/{token}`, CSR and
//! certificate; written atomically as `tls/cert.pem` + `tls/key.pem` (0600).
//! A background task renews before expiry.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::TlsConfig;
use super::cert::{CertSummary, summarize};

/// Longest an issuance may take, end to end.
const ISSUE_TIMEOUT: Duration = Duration::from_secs(180);
/// Most names on one certificate.
pub const MAX_DOMAINS: usize = 10;

/// What was asked for, kept for renewals.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AcmeRequest {
    /// DNS names, the first is the primary one.
    pub domains: Vec<String>,
    /// Contact for expiry notices.
    #[serde(default)]
    pub email: Option<String>,
}

/// ACME state: pending challenge answers, and one issuance at a time.
#[derive(Default)]
pub struct Acme {
    answers: Mutex<HashMap<String, String>>,
    running: tokio::sync::Mutex<()>,
    /// The last failure, shown in the status.
    pub last_error: Mutex<Option<String>>,
}

/// Why issuance failed.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    /// The request is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The ACME server refused or failed.
    #[error("ACME: {0}")]
    Acme(String),
    /// Files could not be written.
    #[error("cannot store the certificate: {0}")]
    Io(#[from] std::io::Error),
}

fn acme(e: impl std::fmt::Display) -> AcmeError {
    AcmeError::Acme(e.to_string())
}

/// Checks a DNS name (RFC 1123 labels; no IPs, no wildcards for HTTP-01).
pub fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn write_private(path: &Path, data: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    f.write_all(data.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(tmp, path)
}

impl Acme {
    /// The answer for a challenge token, while an issuance waits for it.
    pub fn answer(&self, token: &str) -> Option<String> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner()).get(token).cloned()
    }

    async fn account(&self, cfg: &TlsConfig, email: Option<&str>) -> Result<Account, AcmeError> {
        let builder = || match &cfg.acme_ca_file {
            Some(ca) => Account::builder_with_root(ca).map_err(acme),
            None => Account::builder().map_err(acme),
        };
        let saved = cfg.dir.join(format!("account-{:x}.json", fingerprint(&cfg.acme_directory)));
        if let Ok(text) = std::fs::read_to_string(&saved)
            && let Ok(creds) = serde_json::from_str::<AccountCredentials>(&text)
        {
            return builder()?.from_credentials(creds).await.map_err(acme);
        }
        let contact = email.map(|e| format!("mailto:{e}"));
        let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, creds) = builder()?.create(&new, cfg.acme_directory.clone(), None).await.map_err(acme)?;
        write_private(&saved, &serde_json::to_string(&creds).map_err(acme)?)?;
        Ok(account)
    }

    /// Obtains a certificate for `req` and stores it; returns its summary.
    pub async fn issue(&self, cfg: &TlsConfig, req: &AcmeRequest) -> Result<CertSummary, AcmeError> {
        if req.domains.is_empty() || req.domains.len() > MAX_DOMAINS {
            return Err(AcmeError::Invalid(format!("give 1–{MAX_DOMAINS} domains")));
        }
        if let Some(bad) = req.domains.iter().find(|d| !valid_domain(d)) {
            return Err(AcmeError::Invalid(format!("{bad:?} is not a DNS name such as mcp.example.com")));
        }
        let _one = self.running.try_lock().map_err(|_| AcmeError::Invalid("an issuance is already running".into()))?;
        std::fs::create_dir_all(&cfg.dir)?;
        let outcome = tokio::time::timeout(ISSUE_TIMEOUT, self.run(cfg, req)).await;
        self.answers.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let result =
            outcome.unwrap_or_else(|_| Err(AcmeError::Acme(format!("no certificate within {ISSUE_TIMEOUT:?}"))));
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = result.as_ref().err().map(|e| e.to_string());
        result?;
        write_private(&cfg.dir.join("acme.json"), &serde_json::to_string(req).map_err(acme)?)?;
        Ok(summarize(&cfg.acme_cert(), cfg.renew_before_days))
    }

    async fn run(&self, cfg: &TlsConfig, req: &AcmeRequest) -> Result<(), AcmeError> {
        let account = self.account(cfg, req.email.as_deref()).await?;
        let ids: Vec<Identifier> = req.domains.iter().map(|d| Identifier::Dns(d.clone())).collect();
        let mut order = account.new_order(&NewOrder::new(&ids)).await.map_err(acme)?;
        let mut authorizations = order.authorizations();
        while let Some(next) = authorizations.next().await {
            let mut authz = next.map_err(acme)?;
            if authz.status == AuthorizationStatus::Valid {
                continue;
            }
            let mut challenge = authz
                .challenge(ChallengeType::Http01)
                .ok_or_else(|| AcmeError::Acme("the ACME server offers no http-01 challenge".into()))?;
            let answer = challenge.key_authorization().as_str().to_string();
            self.answers.lock().unwrap_or_else(|e| e.into_inner()).insert(challenge.token.clone(), answer);
            challenge.set_ready().await.map_err(acme)?;
        }
        let retries = RetryPolicy::default().timeout(Duration::from_secs(90));
        let status = order.poll_ready(&retries).await.map_err(acme)?;
        if status != OrderStatus::Ready {
            return Err(AcmeError::Acme(format!(
                "the order is {status:?}; is /.well-known/acme-challenge/ reachable on port 80 of each domain?"
            )));
        }
        let key = order.finalize().await.map_err(acme)?;
        let chain = order.poll_certificate(&retries).await.map_err(acme)?;
        // Key first: a reader that sees the new certificate finds its key.
        write_private(&cfg.acme_key(), &key)?;
        write_private(&cfg.acme_cert(), &chain)?;
        tracing::info!(domains = ?req.domains, "Obtained a certificate by ACME.");
        Ok(())
    }

    /// The request of the last issuance, if any.
    pub fn saved_request(cfg: &TlsConfig) -> Option<AcmeRequest> {
        serde_json::from_str(&std::fs::read_to_string(cfg.dir.join("acme.json")).ok()?).ok()
    }

    /// Renews the ACME certificate whenever it enters the renewal window.
    pub fn spawn_renewal(self: Arc<Self>, cfg: TlsConfig) {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(cfg.renew_check).await;
                let Some(req) = Self::saved_request(&cfg) else { continue };
                let s = summarize(&cfg.acme_cert(), cfg.renew_before_days);
                if matches!(s.status, "expiring_soon" | "expired" | "none") {
                    tracing::info!(domains = ?req.domains, days = ?s.days_remaining, "Renewing the certificate.");
                    if let Err(e) = self.issue(&cfg, &req).await {
                        tracing::error!(error = %e, "Certificate renewal failed; will retry.");
                    }
                }
            }
        });
    }
}

/// A stable short id of the ACME directory (one account file per server).
fn fingerprint(s: &str) -> u64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(s.as_bytes());
    u64::from_be_bytes(d[..8].try_into().unwrap_or([0; 8]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn domains_must_be_dns_names() {
        for ok in ["quarry.test", "mcp.example.com", "a-b.c1.io"] {
            assert!(super::valid_domain(ok), "{ok}");
        }
        for bad in ["localhost", "-x.io", "a..b", "*.example.com", "1.2.3.4 ", "ex ample.com"] {
            assert!(!super::valid_domain(bad), "{bad}");
        }
    }
}
