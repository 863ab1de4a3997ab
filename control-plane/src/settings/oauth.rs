//! Auth mode `oauth` as the admin configures it: which authorization servers
//! the runtime trusts (external ones by their JWKS URL, and Quarry's own when
//! `trust_quarry`), the default scope, the clock leeway and an optional
//! introspection endpoint for opaque tokens. `release::access` turns it into
//! the manifest's [`OAuthSettings`]; validation runs that same conversion
//! through the manifest's own checks, so there is one rule for both.
//!
//! The introspection client secret is write-only: a PATCH may send
//! `client_secret`; it is encrypted with the store key into
//! `server_config.secrets` (`storage::settings`), never into these settings,
//! so history snapshots, exports and API answers only ever say
//! `client_secret_set`.

use serde::{Deserialize, Serialize};
use shared_model::Problems;
use shared_model::manifest::oauth::{DEFAULT_SCOPE, MAX_ISSUERS, secure_url};
use shared_model::manifest::{Introspection, Jwk, OAuthSettings, SealedSecret, TrustedIssuer};
use utoipa::ToSchema;

/// The OAuth settings of the MCP runtime (used when `auth_mode` is `oauth`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// External authorization servers (identity providers) whose access tokens the runtime accepts
    /// (≤ 10 together with Quarry's own).
    #[serde(default)]
    pub issuers: Vec<ExternalIssuer>,
    /// Whether tokens issued by Quarry's own authorization server are accepted (default true). Its public keys
    /// travel to the runtimes with the access settings, so they verify its tokens without calling anyone.
    #[serde(default = "yes")]
    pub trust_quarry: bool,
    /// The scope a tool, resource or prompt requires when it names none (default `mcp:tools`).
    #[serde(default = "default_scope")]
    pub default_scope: String,
    /// Seconds of clock skew tolerated on a token's `exp` and `nbf` (0–300; default 60).
    #[serde(default = "default_leeway")]
    pub leeway_seconds: u32,
    /// An RFC 7662 introspection endpoint for opaque (non-JWT) access tokens; absent: only JWTs are accepted.
    #[serde(default)]
    pub introspection: Option<IntrospectionConfig>,
}

/// An external authorization server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalIssuer {
    /// The exact `iss` its tokens carry, e.g. `https://login.example.com/realms/main` (https; http only on loopback).
    pub issuer: String,
    /// Its JWKS URL, e.g. `https://login.example.com/realms/main/protocol/openid-connect/certs`.
    pub jwks_uri: String,
    /// Signing algorithms accepted from it (default `RS256`, `ES256`, `EdDSA`; never `none` or HMAC).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Audiences accepted besides the MCP URL, for a provider that names the API by another identifier (≤ 10).
    #[serde(default)]
    pub audiences: Vec<String>,
}

/// Where opaque tokens are checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// The RFC 7662 endpoint (https; http only on loopback).
    pub endpoint: String,
    /// The client id the runtime authenticates with (HTTP Basic; 1–255 characters).
    pub client_id: String,
    /// Write-only: the client's secret. Stored encrypted and never returned; leave it out to keep the stored one
    /// (only while `endpoint` and `client_id` stay the same: a changed one needs the secret again). In a
    /// configuration document `quarry apply` resolves `${VAR}` from its environment; the HTTP import takes a literal.
    #[serde(default, skip_serializing)]
    #[schema(write_only)]
    pub client_secret: Option<String>,
    /// Whether a client secret is stored (read-only; a value sent is ignored).
    #[serde(default)]
    #[schema(read_only)]
    pub client_secret_set: bool,
    /// Seconds an answer is cached per token (0–300; default 30; never past the token's expiry).
    #[serde(default = "default_cache")]
    pub cache_seconds: u32,
}

fn yes() -> bool {
    true
}
fn default_scope() -> String {
    DEFAULT_SCOPE.into()
}
fn default_leeway() -> u32 {
    60
}
fn default_cache() -> u32 {
    30
}
fn default_algorithms() -> Vec<String> {
    ["RS256", "ES256", "EdDSA"].map(String::from).to_vec()
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            issuers: Vec::new(),
            trust_quarry: true,
            default_scope: default_scope(),
            leeway_seconds: default_leeway(),
            introspection: None,
        }
    }
}

/// Quarry's own authorization server as the runtime trusts it: its issuer and current public keys.
#[derive(Debug, Clone)]
pub struct QuarryKeys {
    /// Its `iss`.
    pub issuer: String,
    /// Its signing keys (current and retired ones still valid), as its JWKS serves them.
    pub keys: Vec<Jwk>,
}

impl OAuthConfig {
    /// The runtime's form: `resource` is the public MCP URL, Quarry's issuer (when trusted) comes after the external
    /// ones, `scopes` are the scopes the published entities require, `secret` the sealed introspection secret.
    pub fn manifest_form(
        &self,
        resource: String,
        quarry: Option<QuarryKeys>,
        scopes: impl IntoIterator<Item = String>,
        secret: Option<SealedSecret>,
    ) -> OAuthSettings {
        let mut issuers: Vec<TrustedIssuer> = self
            .issuers
            .iter()
            .map(|i| TrustedIssuer {
                issuer: i.issuer.clone(),
                jwks_uri: Some(i.jwks_uri.clone()),
                keys: Vec::new(),
                algorithms: i.algorithms.clone(),
                audiences: i.audiences.clone(),
            })
            .collect();
        if let Some(q) = quarry.filter(|_| self.trust_quarry) {
            issuers.push(TrustedIssuer {
                issuer: q.issuer,
                jwks_uri: None,
                keys: q.keys,
                algorithms: vec!["EdDSA".into()],
                audiences: Vec::new(),
            });
        }
        let mut supported: std::collections::BTreeSet<String> = scopes.into_iter().collect();
        supported.insert(self.default_scope.clone());
        OAuthSettings {
            resource,
            issuers,
            default_scope: self.default_scope.clone(),
            scopes_supported: supported.into_iter().collect(),
            leeway_seconds: self.leeway_seconds,
            introspection: self.introspection.as_ref().map(|i| Introspection {
                endpoint: i.endpoint.clone(),
                client_id: i.client_id.clone(),
                client_secret: secret,
                cache_seconds: i.cache_seconds,
            }),
        }
    }

    /// Records every problem under `oauth`, through the manifest's own checks. `in_use`: the auth mode is `oauth`,
    /// so it must trust at least one issuer.
    pub fn check(&self, in_use: bool, p: &mut Problems) {
        // The resource and Quarry's keys are known only when releasing; stand-ins that pass keep their checks out.
        let form = self.manifest_form("https://resource.invalid/mcp".into(), None, [], None);
        let mut found = Problems::default();
        form.check("oauth", &mut found);
        // The issuer count is checked below, counting Quarry's own; `scopes_supported` derives from the default
        // scope, whose own problem is already reported.
        p.0.extend(
            found.0.into_iter().filter(|x| x.path != "oauth.issuers" && !x.path.starts_with("oauth.scopes_supported")),
        );
        let total = self.issuers.len() + usize::from(self.trust_quarry);
        if in_use && total == 0 {
            p.push(
                "oauth.issuers",
                "auth mode oauth trusts no authorization server: add an external issuer (issuer and jwks_uri), \
                 or set oauth.trust_quarry: true to accept tokens from Quarry's own",
            );
        }
        if total > MAX_ISSUERS {
            p.push("oauth.issuers", format!("at most {MAX_ISSUERS} trusted issuers, Quarry's own included"));
        }
    }
}

impl IntrospectionConfig {
    /// Records a problem when `self` would send the stored secret of `old` somewhere else: the endpoint or the
    /// client id changed, a secret is stored (`stored`) and none came with the change. The secret authenticates
    /// to one endpoint as one client; typing a new endpoint must not hand it to whoever answers there.
    pub fn check_secret_follows(&self, old: Option<&IntrospectionConfig>, stored: bool, p: &mut Problems) {
        let sent = self.client_secret.as_deref().is_some_and(|s| !s.is_empty());
        let Some(old) = old.filter(|_| stored && !sent) else { return };
        let changed = [("endpoint", old.endpoint != self.endpoint), ("client id", old.client_id != self.client_id)]
            .into_iter()
            .filter_map(|(what, changed)| changed.then_some(what))
            .collect::<Vec<_>>();
        if !changed.is_empty() {
            p.push(
                "oauth.introspection.client_secret",
                format!(
                    "the introspection {} changed: enter the client secret again for the new endpoint \
                     (the stored one is never sent to another endpoint or client)",
                    changed.join(" and ")
                ),
            );
        }
    }
}

/// Whether MCP clients (and Claude's servers) can use `mcp_url` as an OAuth resource: https, or http on loopback.
pub fn reachable_resource(mcp_url: &str) -> bool {
    secure_url(mcp_url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_names_its_field_and_an_empty_trust_list_names_the_fix() {
        let c: OAuthConfig = serde_json::from_value(json!({
            "issuers": [{"issuer": "http://idp.example.com", "jwks_uri": "", "algorithms": ["HS256"]}],
            "trust_quarry": false,
            "default_scope": "a b",
            "leeway_seconds": 301,
            "introspection": {"endpoint": "ftp://x", "client_id": "", "cache_seconds": 999}
        }))
        .unwrap();
        let mut p = Problems::default();
        c.check(true, &mut p);
        let paths: Vec<&str> = p.0.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "oauth.issuers[0].issuer",
                "oauth.issuers[0].jwks_uri",
                "oauth.issuers[0].algorithms[0]",
                "oauth.default_scope",
                "oauth.leeway_seconds",
                "oauth.introspection.endpoint",
                "oauth.introspection.client_id",
                "oauth.introspection.cache_seconds"
            ]
        );
        let none = OAuthConfig { trust_quarry: false, ..Default::default() };
        let mut p = Problems::default();
        none.check(true, &mut p);
        assert_eq!(p.0[0].path, "oauth.issuers");
        assert!(p.0[0].message.contains("trust_quarry"), "{p}");
        let mut p = Problems::default();
        OAuthConfig::default().check(true, &mut p);
        assert!(p.0.is_empty(), "{p}");
    }

    #[test]
    fn the_secret_is_never_serialized_and_quarry_comes_last() {
        let c: OAuthConfig = serde_json::from_value(json!({
            "issuers": [{"issuer": "https://idp.example.com", "jwks_uri": "https://idp.example.com/jwks"}],
            "introspection": {"endpoint": "https://idp.example.com/introspect", "client_id": "rs",
                "client_secret": "hunter2"}
        }))
        .unwrap();
        assert_eq!(c.introspection.as_ref().unwrap().client_secret.as_deref(), Some("hunter2"));
        assert!(!serde_json::to_string(&c).unwrap().contains("hunter2"));
        let q = QuarryKeys { issuer: "https://quarry.example.com".into(), keys: vec![] };
        let form = c.manifest_form("https://mcp.example.com/mcp".into(), Some(q), ["orders.read".into()], None);
        assert_eq!(form.issuers[1].issuer, "https://quarry.example.com");
        assert_eq!(form.issuers[1].algorithms, ["EdDSA"]);
        assert_eq!(form.scopes_supported, ["mcp:tools", "orders.read"]);
    }
}
