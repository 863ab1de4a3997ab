//! [`Verifier`]: decides on a compact JWT access token (RFC 9068) for one
//! resource, against a list of trusted issuers.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use shared_model::manifest::TrustedIssuer;

use super::keys::KeyStore;

/// Longest compact JWT looked at.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why a token was refused. The text names the failed check, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a compact JWS, or its header or payload is not JSON.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// `iss` is missing or not a trusted issuer.
    #[error("the token's issuer is not trusted here")]
    UntrustedIssuer,
    /// `alg` is not in the issuer's allowlist (`none` and HS* never are).
    #[error("the token's signing algorithm is not accepted from its issuer")]
    Algorithm,
    /// No key fits (unknown `kid`), or the keys could not be fetched.
    #[error("{0}")]
    NoKey(String),
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    Signature,
    /// `aud` does not name this resource.
    #[error("the token is not meant for this resource (aud)")]
    Audience,
    /// `exp` has passed (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `nbf` is still in the future (beyond the leeway).
    #[error("the token is not valid yet (nbf)")]
    NotYetValid,
    /// A required claim (`exp`, `iss`, `aud`) is missing or has the wrong type.
    #[error("the token lacks a valid {0} claim")]
    Claim(String),
}

/// The payload of an accepted token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims(pub Map<String, Value>);

impl Claims {
    /// A string claim.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// `sub`.
    pub fn subject(&self) -> Option<&str> {
        self.str("sub")
    }

    /// `client_id` (RFC 9068), else `azp`.
    pub fn client_id(&self) -> Option<&str> {
        self.str("client_id").or_else(|| self.str("azp"))
    }

    /// The granted scopes: `scope` (space-separated, RFC 9068) or `scp` (a list or a string).
    pub fn scopes(&self) -> Vec<String> {
        let from = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => s.split(' ').filter(|s| !s.is_empty()).map(String::from).collect(),
                Value::Array(a) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
                _ => Vec::new(),
            }
        };
        let claim = |name: &str| self.0.get(name).filter(|v| !v.is_null());
        claim("scope").or_else(|| claim("scp")).map(from).unwrap_or_default()
    }
}

/// Checks JWT access tokens for one resource. Cheap to share (`Arc` inside);
/// the keys fetched from each issuer's JWKS are kept by its [`KeyStore`].
#[derive(Debug, Clone)]
pub struct Verifier {
    resource: String,
    issuers: Vec<Arc<KeyStore>>,
    leeway_seconds: u64,
}

impl Verifier {
    /// A verifier accepting tokens for `resource` from `issuers`, with
    /// `leeway_seconds` of clock skew on `exp`/`nbf`. The key stores of
    /// `previous` are kept for issuers whose settings did not change, so a
    /// recompiled rule does not fetch every JWKS again.
    pub fn new(
        resource: &str,
        issuers: &[TrustedIssuer],
        leeway_seconds: u32,
        previous: Option<&Verifier>,
    ) -> Result<Verifier, String> {
        super::provider::install();
        let before = previous.map_or(&[][..], |p| &p.issuers[..]);
        let issuers = issuers.iter().map(|i| KeyStore::reuse_or_new(i, before)).collect::<Result<_, _>>()?;
        Ok(Verifier { resource: resource.to_string(), issuers, leeway_seconds: u64::from(leeway_seconds) })
    }

    /// The resource tokens must be meant for.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// Whether `token` has the shape of a JWT (three base64url parts), as
    /// opposed to an opaque token to introspect.
    pub fn looks_like_jwt(token: &str) -> bool {
        token.len() <= MAX_TOKEN_BYTES
            && token.split('.').count() == 3
            && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    }

    /// Verifies `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        if !Self::looks_like_jwt(token) {
            return Err(VerifyError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let iss = unverified_issuer(token)?;
        let store = self.issuers.iter().find(|s| s.settings().issuer == iss).ok_or(VerifyError::UntrustedIssuer)?;
        let settings = store.settings();
        let alg = header.alg;
        let allowed = settings.algorithms.iter().any(|a| a.parse::<Algorithm>().is_ok_and(|a| a == alg));
        if !allowed || matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(VerifyError::Algorithm);
        }
        let key = store.key_for(header.kid.as_deref(), alg).await.map_err(VerifyError::NoKey)?;
        let mut validation = Validation::new(alg);
        validation.leeway = self.leeway_seconds;
        validation.validate_nbf = true;
        validation.set_issuer(&[&settings.issuer]);
        let mut audiences = vec![self.resource.clone()];
        audiences.extend(settings.audiences.iter().cloned());
        validation.set_audience(&audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => VerifyError::Signature,
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
                ErrorKind::InvalidAudience => VerifyError::Audience,
                ErrorKind::InvalidIssuer => VerifyError::UntrustedIssuer,
                ErrorKind::MissingRequiredClaim(c) | ErrorKind::InvalidClaimFormat(c) => VerifyError::Claim(c.clone()),
                ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm | ErrorKind::MissingAlgorithm => {
                    VerifyError::Algorithm
                }
                _ => VerifyError::Signature,
            })?;
        Ok(Claims(data.claims))
    }
}

/// The `iss` of a not yet verified token: only used to pick the issuer whose
/// keys then verify it (and `iss` is checked again after the signature).
fn unverified_issuer(token: &str) -> Result<String, VerifyError> {
    let payload = token.split('.').nth(1).ok_or(VerifyError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| VerifyError::Malformed)?;
    #[derive(serde::Deserialize)]
    struct Iss {
        iss: Option<String>,
    }
    let iss: Iss = serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)?;
    iss.iss.ok_or(VerifyError::UntrustedIssuer)
}
