//! Auth mode `oauth`: the runtime as an OAuth 2.1 resource server.
//!
//! A request's `Authorization: Bearer` token is a JWT access token checked by
//! [`Verifier`] (signature by `kid` from a trusted issuer's keys, `iss`, `aud`
//! = the configured resource, `exp`/`nbf`), or — when it is not a JWT and an
//! introspection endpoint is configured — an opaque token checked there
//! ([`super::introspect`]). The accepted token becomes a [`Principal`]
//! (request extension) that the MCP handlers read for scopes and claim-bound
//! parameters. Token contents are never logged; refusals log the failed check.
//!
//! The challenge (RFC 6750 §3 + RFC 9728 §5.1) points at the protected-resource
//! metadata built from the configured `resource`, never from the request's `Host`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use shared_model::manifest::OAuthSettings;

use super::token_cache::TokenCache;
use crate::jwt::{Claims, Verifier};

/// The caller an OAuth access token identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `sub` (empty when the token has none).
    pub subject: String,
    /// The OAuth client the token was issued to (`client_id`/`azp`), when named.
    pub client_id: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// Every claim of the token, for claim-bound parameters.
    pub claims: Claims,
}

impl Principal {
    /// The principal of an accepted token's claims.
    pub fn from_claims(claims: Claims) -> Principal {
        Principal {
            subject: claims.subject().unwrap_or_default().chars().take(255).collect(),
            client_id: claims.client_id().map(|c| c.chars().take(255).collect()),
            scopes: claims.scopes(),
            claims,
        }
    }

    /// The first of `required` this principal lacks (`None` when it has them all).
    pub fn missing<'a>(&self, required: &'a [String]) -> Option<&'a str> {
        required.iter().find(|r| !self.scopes.iter().any(|s| s == *r)).map(String::as_str)
    }
}

/// The compiled `oauth` rule of a release or access document.
#[derive(Debug)]
pub struct OAuthRule {
    /// The settings it was compiled from.
    pub settings: OAuthSettings,
    /// Checks JWT access tokens; keeps each issuer's fetched keys.
    pub verifier: Verifier,
    /// Checks opaque tokens, when an introspection endpoint is configured.
    pub introspector: Option<super::introspect::Introspector>,
    /// JWTs this rule accepted, kept for [`VERIFIED_FOR`] at most (never past
    /// their `exp`), so a client's repeated calls verify its signature once.
    verified: TokenCache<Arc<Principal>>,
}

/// Longest a verified JWT is accepted again without checking its signature.
/// A new rule (settings or keys changed) starts with none; so a key an issuer
/// withdraws stops admitting its tokens within this bound.
pub const VERIFIED_FOR: Duration = Duration::from_secs(60);

/// Why an OAuth token was refused (the `error_description` of the 401).
pub type Refusal = String;

impl OAuthRule {
    /// Compiles `settings`, keeping the key stores and introspection cache of
    /// `previous` where their settings did not change.
    pub fn build(
        settings: &OAuthSettings,
        runtime_key: Option<&str>,
        previous: Option<&OAuthRule>,
    ) -> Result<OAuthRule, String> {
        let verifier = Verifier::new(
            &settings.resource,
            &settings.issuers,
            settings.leeway_seconds,
            previous.map(|p| &p.verifier),
        )?;
        let introspector = match &settings.introspection {
            None => None,
            Some(i) => match previous.and_then(|p| p.introspector.as_ref()).filter(|p| p.settings() == i) {
                Some(same) => Some(same.clone()),
                None => Some(super::introspect::Introspector::new(i, runtime_key)?),
            },
        };
        Ok(OAuthRule { settings: settings.clone(), verifier, introspector, verified: TokenCache::default() })
    }

    /// Decides on a presented bearer token.
    pub async fn check(&self, token: &str) -> Result<Arc<Principal>, Refusal> {
        if !Verifier::looks_like_jwt(token) {
            let Some(intro) = &self.introspector else {
                return Err("the token is not a JWT access token".into());
            };
            return Ok(Arc::new(Principal::from_claims(intro.check(token, &self.settings).await?)));
        }
        let key = TokenCache::<Arc<Principal>>::key(token);
        if let Some(known) = self.verified.get(&key) {
            return Ok(known);
        }
        let claims = self.verifier.verify(token).await.map_err(|e| e.to_string())?;
        let left = claims.0.get("exp").and_then(Value::as_i64).map_or(0, |exp| exp - chrono::Utc::now().timestamp());
        let principal = Arc::new(Principal::from_claims(claims));
        let keep = VERIFIED_FOR.min(Duration::from_secs(u64::try_from(left).unwrap_or(0)));
        self.verified.put(key, principal.clone(), keep);
        Ok(principal)
    }

    /// The URL of this resource's RFC 9728 metadata: the resource's origin,
    /// `/.well-known/oauth-protected-resource`, then the resource's path.
    pub fn metadata_url(&self) -> String {
        let r = self.settings.resource.trim_end_matches('/');
        let after_scheme = r.find("://").map_or(0, |i| i + 3);
        match r[after_scheme..].find('/') {
            Some(i) => {
                format!("{}/.well-known/oauth-protected-resource{}", &r[..after_scheme + i], &r[after_scheme + i..])
            }
            None => format!("{r}/.well-known/oauth-protected-resource"),
        }
    }

    /// The RFC 9728 protected-resource metadata document.
    pub fn metadata(&self, server_name: &str, entity_scopes: impl Iterator<Item = String>) -> Value {
        let mut scopes: Vec<String> = if self.settings.scopes_supported.is_empty() {
            std::iter::once(self.settings.default_scope.clone()).chain(entity_scopes).collect()
        } else {
            self.settings.scopes_supported.clone()
        };
        scopes.sort();
        scopes.dedup();
        json!({
            "resource": self.settings.resource,
            "authorization_servers": self.settings.issuers.iter().map(|i| &i.issuer).collect::<Vec<_>>(),
            "scopes_supported": scopes,
            "bearer_methods_supported": ["header"],
            "resource_name": server_name,
        })
    }

    /// The `WWW-Authenticate` value of a 401: where the metadata is and which
    /// scope to ask for, plus `invalid_token` when a token was presented.
    pub fn challenge(&self, token_presented: Option<&str>) -> String {
        let mut c = format!(
            r#"Bearer resource_metadata="{}", scope="{}""#,
            quote_safe(&self.metadata_url()),
            quote_safe(&self.settings.default_scope)
        );
        if let Some(why) = token_presented {
            c.push_str(&format!(r#", error="invalid_token", error_description="{}""#, quote_safe(why)));
        }
        c
    }

    /// The `WWW-Authenticate` value of a 403 for a call that needs `scopes`.
    pub fn scope_challenge(&self, scopes: &[String]) -> String {
        format!(
            r#"Bearer error="insufficient_scope", scope="{}", resource_metadata="{}", error_description="{}""#,
            quote_safe(&scopes.join(" ")),
            quote_safe(&self.metadata_url()),
            "the access token lacks a scope this call needs"
        )
    }

    /// The scopes an entity with `scopes` requires (the default scope when it names none).
    pub fn required<'a>(&'a self, scopes: &'a [String]) -> &'a [String] {
        if scopes.is_empty() { std::slice::from_ref(&self.settings.default_scope) } else { scopes }
    }
}

/// `s` without characters that would end an RFC 7230 quoted string.
fn quote_safe(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(resource: &str) -> OAuthRule {
        let settings: OAuthSettings = serde_json::from_value(json!({
            "resource": resource,
            "issuers": [{"issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/jwks"}]
        }))
        .unwrap();
        OAuthRule::build(&settings, None, None).unwrap()
    }

    #[test]
    fn the_metadata_url_follows_rfc_9728_from_the_configured_resource() {
        assert_eq!(
            rule("https://mcp.example.com/mcp").metadata_url(),
            "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            rule("http://127.0.0.1:8080").metadata_url(),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource"
        );
        let r = rule("https://mcp.example.com/mcp");
        assert_eq!(
            r.challenge(None),
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="mcp:tools""#
        );
        assert!(
            r.challenge(Some("the token has \"expired\"")).ends_with(r#"error_description="the token has expired""#)
        );
    }
}
