//! The settings of Quarry as the authorization server of MCP clients
//! (`GET/PATCH /api/v1/authorization-server`): off by default; dynamic
//! registration and the admin account as a sign-in on by default; token
//! lifetimes; an optional upstream OpenID Connect provider whose claims map
//! to scopes; the scopes every signed-in user gets.

use serde::{Deserialize, Serialize};
use shared_model::Problems;
use utoipa::ToSchema;

/// Longest access-token lifetime, seconds (one hour keeps revocation prompt).
pub const MAX_ACCESS_TOKEN_TTL_SECONDS: u32 = 3_600;
/// Longest refresh-token lifetime, days.
pub const MAX_REFRESH_TOKEN_TTL_DAYS: u32 = 365;
/// Most claim mappings.
pub const MAX_CLAIM_MAPPINGS: usize = 50;
/// Most scopes named in one list.
pub const MAX_SCOPES: usize = 50;

/// The authorization server's settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorizationServerSettings {
    /// Whether MCP clients may obtain tokens here (authorization code with PKCE). Default off.
    pub enabled: bool,
    /// Whether clients may register themselves (RFC 7591, `/oauth/register`); clients with a
    /// Client ID Metadata Document never need to. Default on.
    pub dynamic_registration: bool,
    /// Whether the admin account may sign in on the consent page. Default on.
    pub admin_login: bool,
    /// Lifetime of an access token, seconds (60–3600; default 900).
    pub access_token_ttl_seconds: u32,
    /// Lifetime of a refresh token, days (1–365; default 30); each use rotates it.
    pub refresh_token_ttl_days: u32,
    /// The upstream OpenID Connect provider users may sign in with.
    pub upstream: Option<Upstream>,
    /// Scopes every signed-in user may be granted (default `["mcp:tools"]`).
    pub default_scopes: Vec<String>,
}

impl Default for AuthorizationServerSettings {
    fn default() -> Self {
        AuthorizationServerSettings {
            enabled: false,
            dynamic_registration: true,
            admin_login: true,
            access_token_ttl_seconds: 900,
            refresh_token_ttl_days: 30,
            upstream: None,
            default_scopes: vec!["mcp:tools".into()],
        }
    }
}

/// An upstream OpenID Connect provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// The issuer URL; its `/.well-known/openid-configuration` is read at sign-in.
    pub issuer: String,
    /// The client id Quarry has at the provider.
    pub client_id: String,
    /// Scopes asked of the provider (default `openid email profile`).
    #[serde(default = "default_upstream_scopes")]
    pub scopes: String,
    /// Claims that grant scopes, e.g. `groups` containing `sales` grants `sales:read`.
    #[serde(default)]
    pub claim_mappings: Vec<ClaimMapping>,
    /// Shown on the sign-in button (default: the issuer's host).
    #[serde(default)]
    pub display_name: Option<String>,
}

fn default_upstream_scopes() -> String {
    "openid email profile".into()
}

/// A rule: when claim `claim` equals `value` (or, for a list claim, contains it), grant `scopes`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimMapping {
    /// The ID-token or userinfo claim, e.g. `groups` or `email_verified`.
    pub claim: String,
    /// The value to match (strings compare exactly; `true`/numbers as their JSON text).
    pub value: String,
    /// Scopes granted on a match.
    pub scopes: Vec<String>,
}

/// Whether `s` is a scope token (RFC 6749 §3.3), at most 64 characters.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

fn check_scopes(p: &mut Problems, path: &str, scopes: &[String], may_be_empty: bool) {
    if scopes.is_empty() && !may_be_empty {
        p.push(path, "name at least one scope");
    }
    if scopes.len() > MAX_SCOPES {
        p.push(path, format!("at most {MAX_SCOPES} scopes"));
    }
    for (i, s) in scopes.iter().enumerate() {
        if !is_scope_token(s) {
            p.push(format!("{path}[{i}]"), "a scope is 1–64 printable ASCII characters without spaces, `\"` or `\\`");
        }
    }
}

/// Whether `url` is an absolute `https` URL, or `http` on a loopback host.
pub fn is_secure_url(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else { return false };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

impl AuthorizationServerSettings {
    /// Every problem with the settings, with its path.
    pub fn validate(&self) -> Result<(), Problems> {
        let mut p = Problems::default();
        if !(60..=MAX_ACCESS_TOKEN_TTL_SECONDS).contains(&self.access_token_ttl_seconds) {
            p.push("access_token_ttl_seconds", format!("must be 60–{MAX_ACCESS_TOKEN_TTL_SECONDS}"));
        }
        if !(1..=MAX_REFRESH_TOKEN_TTL_DAYS).contains(&self.refresh_token_ttl_days) {
            p.push("refresh_token_ttl_days", format!("must be 1–{MAX_REFRESH_TOKEN_TTL_DAYS}"));
        }
        check_scopes(&mut p, "default_scopes", &self.default_scopes, false);
        if let Some(u) = &self.upstream {
            if !is_secure_url(&u.issuer) || u.issuer.contains(['?', '#']) {
                p.push("upstream.issuer", "must be an https URL (http only on localhost) without query or fragment");
            }
            if u.client_id.trim().is_empty() || u.client_id.len() > 255 {
                p.push("upstream.client_id", "must be 1–255 characters");
            }
            if !u.scopes.split(' ').any(|s| s == "openid") {
                p.push("upstream.scopes", "must include `openid`");
            }
            if u.display_name.as_ref().is_some_and(|n| n.trim().is_empty() || n.chars().count() > 60) {
                p.push("upstream.display_name", "must be 1–60 characters");
            }
            if u.claim_mappings.len() > MAX_CLAIM_MAPPINGS {
                p.push("upstream.claim_mappings", format!("at most {MAX_CLAIM_MAPPINGS} mappings"));
            }
            for (i, m) in u.claim_mappings.iter().enumerate() {
                let at = format!("upstream.claim_mappings[{i}]");
                if m.claim.trim().is_empty() || m.claim.len() > 100 {
                    p.push(format!("{at}.claim"), "must be 1–100 characters");
                }
                if m.value.len() > 255 {
                    p.push(format!("{at}.value"), "must be at most 255 characters");
                }
                check_scopes(&mut p, &format!("{at}.scopes"), &m.scopes, false);
            }
        }
        p.into_result()
    }

    /// Every scope this server may grant: the default ones and those of the claim mappings.
    pub fn grantable_scopes(&self) -> Vec<String> {
        let mut all = self.default_scopes.clone();
        for m in self.upstream.iter().flat_map(|u| &u.claim_mappings) {
            for s in &m.scopes {
                if !all.contains(s) {
                    all.push(s.clone());
                }
            }
        }
        all
    }

    /// The scopes a user with `claims` may be granted: the default ones plus
    /// those of every mapping that matches.
    pub fn scopes_for(&self, claims: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
        let mut all = self.default_scopes.clone();
        for m in self.upstream.iter().flat_map(|u| &u.claim_mappings) {
            if claim_matches(claims.get(&m.claim), &m.value) {
                for s in &m.scopes {
                    if !all.contains(s) {
                        all.push(s.clone());
                    }
                }
            }
        }
        all
    }
}

/// Whether a claim's value is `wanted`, or a list containing it.
fn claim_matches(v: Option<&serde_json::Value>, wanted: &str) -> bool {
    use serde_json::Value;
    match v {
        Some(Value::String(s)) => s == wanted,
        Some(Value::Array(items)) => items.iter().any(|i| claim_matches(Some(i), wanted)),
        Some(Value::Bool(b)) => b.to_string() == wanted,
        Some(Value::Number(n)) => n.to_string() == wanted,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claim_mappings_grant_scopes_for_matching_strings_and_list_members_only() {
        let s = AuthorizationServerSettings {
            upstream: Some(Upstream {
                issuer: "https://idp.example.com".into(),
                client_id: "quarry".into(),
                scopes: default_upstream_scopes(),
                claim_mappings: vec![ClaimMapping {
                    claim: "groups".into(),
                    value: "sales".into(),
                    scopes: vec!["sales:read".into()],
                }],
                display_name: None,
            }),
            ..Default::default()
        };
        assert!(s.validate().is_ok());
        let sales = json!({"groups": ["eng", "sales"]}).as_object().cloned().unwrap();
        assert_eq!(s.scopes_for(&sales), ["mcp:tools", "sales:read"]);
        let other = json!({"groups": "salesforce"}).as_object().cloned().unwrap();
        assert_eq!(s.scopes_for(&other), ["mcp:tools"]);
        assert_eq!(s.grantable_scopes(), ["mcp:tools", "sales:read"]);
    }

    #[test]
    fn validation_reports_every_problem_with_its_path() {
        let s = AuthorizationServerSettings {
            access_token_ttl_seconds: 5,
            default_scopes: vec!["has space".into()],
            upstream: Some(Upstream {
                issuer: "http://idp.example.com".into(),
                client_id: "".into(),
                scopes: "email".into(),
                claim_mappings: vec![],
                display_name: None,
            }),
            ..Default::default()
        };
        let paths: Vec<String> = s.validate().unwrap_err().0.into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "access_token_ttl_seconds",
                "default_scopes[0]",
                "upstream.issuer",
                "upstream.client_id",
                "upstream.scopes"
            ]
        );
    }
}
