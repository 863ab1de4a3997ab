//! Access tokens: short-lived JWTs signed with the current Ed25519 key
//! (`alg: EdDSA`, `kid` in the header). Claims: `iss` (Quarry's public URL),
//! `sub` and `client_id` (the OAuth client), `aud` (the agent MCP endpoint's
//! URL), `exp`, `iat`, `nbf`, `jti` and `scope` (space-separated).
//!
//! Verification accepts only EdDSA, only a `kid` that is current or a previous
//! key still in the JWKS, the exact issuer and audience, and `exp`/`nbf` with
//! [`LEEWAY_SECONDS`] of clock skew. Whether the client still exists is the
//! caller's check (`agent::credential`): a token outlives nothing it was issued to.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};

use super::keys::SigningKeys;

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 60;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The issuer: Quarry's public URL.
    pub iss: String,
    /// The subject: the client's `client_id`.
    pub sub: String,
    /// The audience: the agent MCP endpoint's URL.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Unique token id.
    pub jti: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The client's `client_id` (RFC 9068).
    pub client_id: String,
}

/// Where a token is valid: the issuer and the audience it must name.
#[derive(Debug, Clone)]
pub struct Realm {
    /// Quarry's public URL (no trailing slash).
    pub issuer: String,
    /// The agent MCP endpoint's URL.
    pub audience: String,
}

/// Issues a token to `client_id` for `scopes`, living `ttl_seconds` from `now`.
pub fn issue(
    keys: &SigningKeys,
    realm: &Realm,
    client_id: &str,
    scopes: &[&str],
    ttl_seconds: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let iat = now.timestamp();
    let claims = Claims {
        iss: realm.issuer.clone(),
        sub: client_id.to_string(),
        aud: realm.audience.clone(),
        exp: iat + i64::from(ttl_seconds),
        iat,
        nbf: iat,
        jti: uuid::Uuid::new_v4().to_string(),
        scope: scopes.join(" "),
        client_id: client_id.to_string(),
    };
    keys.sign(&claims)
}

/// Checks `token`'s signature and claims; the reason when it is not valid.
pub fn verify(keys: &SigningKeys, realm: &Realm, token: &str) -> Result<Claims, &'static str> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| "the access token is not a well-formed JWT")?;
    if header.alg != Algorithm::EdDSA {
        return Err("the access token's signing algorithm is not accepted");
    }
    let kid = header.kid.ok_or("the access token names no signing key")?;
    let key = keys.decoding_key(&kid, Utc::now()).ok_or("the access token's signing key is unknown or retired")?;
    let mut v = Validation::new(Algorithm::EdDSA);
    v.leeway = LEEWAY_SECONDS;
    v.validate_nbf = true;
    v.set_issuer(&[&realm.issuer]);
    v.set_audience(&[&realm.audience]);
    v.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Claims>(token, &key, &v).map(|d| d.claims).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::ExpiredSignature => "the access token has expired; request a new one",
            K::ImmatureSignature => "the access token is not valid yet",
            K::InvalidAudience => "the access token is for another audience than this endpoint",
            K::InvalidIssuer => "the access token was issued by another authorization server",
            K::InvalidSignature => "the access token's signature does not verify",
            _ => "the access token is not valid",
        }
    })
}
