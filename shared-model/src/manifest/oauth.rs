//! Auth mode `oauth`: the runtime as an OAuth 2.1 resource server (MCP
//! authorization, RFC 9728 protected-resource metadata, RFC 8707 audiences,
//! RFC 9068 JWT access tokens, RFC 7662 introspection for opaque ones).
//!
//! What a runtime needs to decide on a token without asking anyone on the
//! request path: the resource it protects, the issuers it trusts with their
//! keys (inline for Quarry's own authorization server, a JWKS URL for an
//! external one), the scopes, and optionally an introspection endpoint.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SealedSecret;
use crate::problems::Problems;

/// The scope a tool, resource or prompt requires when it names none.
pub const DEFAULT_SCOPE: &str = "mcp:tools";
/// Most trusted issuers one server may list.
pub const MAX_ISSUERS: usize = 10;
/// Most scopes one tool, resource or prompt may require.
pub const MAX_ENTITY_SCOPES: usize = 10;
/// Longest accepted verification leeway for `exp`/`nbf`, seconds.
pub const MAX_LEEWAY_SECONDS: u32 = 300;
/// Longest an introspection answer may be cached, seconds.
pub const MAX_INTROSPECTION_CACHE_SECONDS: u32 = 300;

/// Signing algorithms a runtime can verify. `none` and the HMAC family are
/// never accepted: a public key must not double as a shared secret.
pub const SUPPORTED_ALGORITHMS: [&str; 8] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "EdDSA"];

/// How the runtime checks OAuth access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthSettings {
    /// The protected resource: the public URL of this server's MCP endpoint
    /// (e.g. `https://mcp.example.com/mcp`), from configuration, never from a
    /// request. It is the `resource` of the RFC 9728 metadata and the audience
    /// (RFC 8707) every accepted token must carry.
    pub resource: String,
    /// The authorization servers whose tokens are accepted (1–10).
    pub issuers: Vec<TrustedIssuer>,
    /// The scope required by a tool, resource or prompt that names none.
    #[serde(default = "default_scope")]
    pub default_scope: String,
    /// Every scope a published entity requires (`scopes_supported` in the metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf` (≤ 300; default 60).
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u32,
    /// Opaque (non-JWT) tokens are checked at this RFC 7662 endpoint; without
    /// it only JWT access tokens are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection: Option<Introspection>,
}

/// An authorization server whose tokens the runtime accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The exact `iss` value its tokens carry (an `https://` URL; `http://`
    /// only for a loopback host).
    pub issuer: String,
    /// Where its signing keys are published (its JWKS). Fetched on first use,
    /// cached, and fetched again (rate-limited) when a token names an unknown `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Signing keys carried inline: Quarry's own authorization server puts its
    /// public keys here, so the runtime calls no one to check its tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<Jwk>,
    /// Signing algorithms accepted from this issuer (a subset of
    /// [`SUPPORTED_ALGORITHMS`]; default `RS256`, `ES256`, `EdDSA`).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Audiences accepted besides the resource URL (an identity provider that
    /// names the API by another identifier).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
}

/// One public key of a JWKS (RFC 7517); only public members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Key id, matched against a token's `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The algorithm the key is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Intended use (`sig`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Curve (`P-256`, `Ed25519`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC/OKP public coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC public coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
}

/// An RFC 7662 introspection endpoint for opaque tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Introspection {
    /// The endpoint URL.
    pub endpoint: String,
    /// The client id the runtime authenticates with (HTTP Basic).
    pub client_id: String,
    /// Its secret, sealed for the runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SealedSecret>,
    /// Seconds an answer is cached per token (≤ 300; default 30; never past the token's `exp`).
    #[serde(default = "default_introspection_cache")]
    pub cache_seconds: u32,
}

fn default_scope() -> String {
    DEFAULT_SCOPE.into()
}

fn default_leeway() -> u32 {
    60
}

fn default_introspection_cache() -> u32 {
    30
}

fn default_algorithms() -> Vec<String> {
    ["RS256", "ES256", "EdDSA"].map(String::from).to_vec()
}

/// Whether `s` is a valid OAuth scope token (RFC 6749 §3.3; at most 128 characters).
pub fn valid_scope(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Whether `u` is an `https://` URL, or `http://` on a loopback host.
pub fn secure_url(u: &str) -> bool {
    if u.len() > 2048 || u.contains(char::is_whitespace) {
        return false;
    }
    if let Some(rest) = u.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = u.strip_prefix("http://") else { return false };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    host == "localhost" || host == "::1" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// Records every problem with a list of required scopes under `path`.
pub fn check_scopes(scopes: &[String], path: &str, p: &mut Problems) {
    if scopes.len() > MAX_ENTITY_SCOPES {
        p.push(path, format!("at most {MAX_ENTITY_SCOPES} scopes"));
    }
    for (i, s) in scopes.iter().enumerate() {
        if !valid_scope(s) {
            p.push(
                format!("{path}[{i}]"),
                format!("{s:?} is not a scope (1–128 printable characters, no spaces, quotes or backslashes)"),
            );
        }
    }
}

impl OAuthSettings {
    /// Records every problem under `path` (e.g. `auth`).
    pub fn check(&self, path: &str, p: &mut Problems) {
        if !secure_url(&self.resource) {
            p.push(
                format!("{path}.resource"),
                "must be an https:// URL (http:// only on a loopback host), e.g. https://mcp.example.com/mcp",
            );
        }
        if self.issuers.is_empty() || self.issuers.len() > MAX_ISSUERS {
            p.push(format!("{path}.issuers"), format!("oauth needs 1–{MAX_ISSUERS} trusted issuers"));
        }
        for (i, iss) in self.issuers.iter().enumerate() {
            iss.check(&format!("{path}.issuers[{i}]"), p);
        }
        if !valid_scope(&self.default_scope) {
            p.push(format!("{path}.default_scope"), "must be a scope such as mcp:tools");
        }
        for (i, s) in self.scopes_supported.iter().enumerate() {
            if !valid_scope(s) {
                p.push(format!("{path}.scopes_supported[{i}]"), format!("{s:?} is not a scope"));
            }
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            p.push(format!("{path}.leeway_seconds"), format!("must be 0–{MAX_LEEWAY_SECONDS}"));
        }
        if let Some(intro) = &self.introspection {
            if !secure_url(&intro.endpoint) {
                p.push(
                    format!("{path}.introspection.endpoint"),
                    "must be an https:// URL (http:// only on a loopback host)",
                );
            }
            if intro.client_id.is_empty() || intro.client_id.len() > 255 {
                p.push(format!("{path}.introspection.client_id"), "must be 1–255 characters");
            }
            if intro.cache_seconds > MAX_INTROSPECTION_CACHE_SECONDS {
                p.push(
                    format!("{path}.introspection.cache_seconds"),
                    format!("must be 0–{MAX_INTROSPECTION_CACHE_SECONDS}"),
                );
            }
        }
    }
}

impl TrustedIssuer {
    fn check(&self, path: &str, p: &mut Problems) {
        if !secure_url(&self.issuer) {
            p.push(format!("{path}.issuer"), "must be an https:// URL (http:// only on a loopback host)");
        }
        match (&self.jwks_uri, self.keys.is_empty()) {
            (None, true) => p.push(path, "needs a jwks_uri or inline keys"),
            (Some(u), _) if !secure_url(u) => {
                p.push(format!("{path}.jwks_uri"), "must be an https:// URL (http:// only on a loopback host)")
            }
            _ => {}
        }
        if self.algorithms.is_empty() {
            p.push(format!("{path}.algorithms"), "name at least one signing algorithm");
        }
        for (i, a) in self.algorithms.iter().enumerate() {
            if !SUPPORTED_ALGORITHMS.contains(&a.as_str()) {
                p.push(
                    format!("{path}.algorithms[{i}]"),
                    format!("{a:?} is not accepted; use one of {}", SUPPORTED_ALGORITHMS.join(", ")),
                );
            }
        }
        if self.keys.len() > 20 {
            p.push(format!("{path}.keys"), "at most 20 keys");
        }
        if self.audiences.len() > 10 || self.audiences.iter().any(|a| a.is_empty() || a.len() > 2048) {
            p.push(format!("{path}.audiences"), "at most 10 audiences of 1–2048 characters");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loopback_http_is_the_only_plain_http_accepted() {
        assert!(secure_url("https://idp.example.com"));
        assert!(secure_url("http://127.0.0.1:4000/mcp"));
        assert!(secure_url("http://localhost/x"));
        assert!(secure_url("http://[::1]:80"));
        assert!(!secure_url("http://idp.example.com"));
        assert!(!secure_url("http://127.0.0.1.example.com/"));
        assert!(!secure_url("ftp://x"));
    }

    #[test]
    fn scopes_follow_rfc_6749() {
        assert!(valid_scope("mcp:tools"));
        assert!(valid_scope("orders.read"));
        assert!(!valid_scope("two words"));
        assert!(!valid_scope("quote\""));
        assert!(!valid_scope(""));
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let s: OAuthSettings = serde_json::from_value(json!({
            "resource": "http://mcp.example.com/mcp",
            "issuers": [{"issuer": "https://idp.example.com", "algorithms": ["HS256"]}],
            "default_scope": "a b",
            "leeway_seconds": 900
        }))
        .unwrap();
        let mut p = Problems::default();
        s.check("auth", &mut p);
        let paths: Vec<&str> = p.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "auth.resource",
                "auth.issuers[0]",
                "auth.issuers[0].algorithms[0]",
                "auth.default_scope",
                "auth.leeway_seconds"
            ]
        );
    }
}
