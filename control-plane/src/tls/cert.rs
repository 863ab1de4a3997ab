//! What a PEM certificate says about itself: names and expiry, and the
//! status shown to admins (`none`, `issued`, `expiring_soon`, `expired`, `error`).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use x509_cert::Certificate;
use x509_cert::der::{Decode, DecodePem};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// A certificate's summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertSummary {
    /// `none` (no file), `issued`, `expiring_soon` (within the renewal window), `expired` or `error`.
    pub status: &'static str,
    /// The file read.
    pub path: String,
    /// DNS names it is valid for.
    pub domains: Vec<String>,
    /// When it stops being valid.
    pub not_after: Option<DateTime<Utc>>,
    /// Whole days left (negative once expired).
    pub days_remaining: Option<i64>,
    /// Why it could not be read, for `error`.
    pub error: Option<String>,
}

/// Reads the leaf certificate of the PEM chain at `path`.
pub fn summarize(path: &Path, renew_before_days: i64) -> CertSummary {
    let mut s = CertSummary {
        status: "none",
        path: path.display().to_string(),
        domains: vec![],
        not_after: None,
        days_remaining: None,
        error: None,
    };
    let Ok(pem) = std::fs::read(path) else { return s };
    match parse(&pem) {
        Ok((domains, not_after)) => {
            let days = (not_after - Utc::now()).num_days();
            s.status = if not_after <= Utc::now() {
                "expired"
            } else if days < renew_before_days {
                "expiring_soon"
            } else {
                "issued"
            };
            (s.domains, s.not_after, s.days_remaining) = (domains, Some(not_after), Some(days));
        }
        Err(e) => (s.status, s.error) = ("error", Some(e)),
    }
    s
}

fn parse(pem: &[u8]) -> Result<(Vec<String>, DateTime<Utc>), String> {
    let cert = Certificate::from_pem(first_block(pem)?).map_err(|e| format!("not a PEM certificate: {e}"))?;
    let tbs = &cert.tbs_certificate;
    let secs = tbs.validity.not_after.to_unix_duration().as_secs();
    let not_after = DateTime::from_timestamp(secs as i64, 0).ok_or("expiry out of range")?;
    let mut domains = Vec::new();
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id == x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME
            && let Ok(san) = SubjectAltName::from_der(ext.extn_value.as_bytes())
        {
            domains.extend(san.0.iter().filter_map(|n| match n {
                GeneralName::DnsName(d) => Some(d.to_string()),
                _ => None,
            }));
        }
    }
    Ok((domains, not_after))
}

/// The first `-----BEGIN CERTIFICATE-----` block of a chain.
fn first_block(pem: &[u8]) -> Result<&[u8], String> {
    let text = std::str::from_utf8(pem).map_err(|_| "not PEM text".to_string())?;
    let end = "-----END CERTIFICATE-----";
    let start = text.find("-----BEGIN CERTIFICATE-----").ok_or("no certificate in the file")?;
    let stop = text[start..].find(end).ok_or("truncated certificate")? + start + end.len();
    Ok(&pem[start..stop])
}
