//! JWT access tokens: the one `jsonwebtoken` crypto provider ([`provider`]),
//! the signing keys of trusted issuers ([`keys`]) and the [`Verifier`] that
//! decides on a compact JWT.
//!
//! ```text
//! token ─► header (alg, kid) ─► payload's iss ─► trusted issuer? ─► alg in its allowlist?
//!       ─► key by kid (inline, or its JWKS: fetched once, refetched on an unknown kid ≤ 1 per 30 s)
//!       ─► signature ─► aud ∋ resource (or an extra audience) ─► exp / nbf within the leeway ─► claims
//! ```
//!
//! Every refusal is a [`VerifyError`] whose text names the check that failed and
//! never echoes the token.

pub mod keys;
pub mod provider;
mod verify;

pub use keys::{JWKS_REFETCH_INTERVAL, KeyStore};
pub use verify::{Claims, Verifier, VerifyError};
