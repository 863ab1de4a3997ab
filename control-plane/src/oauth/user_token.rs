//! Access tokens for MCP clients acting for a user: JWTs signed with the same
//! Ed25519 keys as the agent tokens (`alg: EdDSA`, `kid` in the header), whose
//! audience is the runtime's MCP URL (the `resource` of the grant). Claims:
//! `iss`, `sub` (the user), `aud`, `exp`, `iat`, `nbf`, `jti`, `scope`
//! (space-separated), `client_id`, and the user's identity claims (`email`,
//! `groups`, `name`, …) that identity-bound tool parameters read. Runtimes
//! verify them offline against `/oauth/jwks.json`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::keys::SigningKeys;
use crate::storage::authorization::Grant;

/// Claims a token sets itself; an identity claim of the same name is dropped.
const RESERVED: [&str; 10] = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "client_id", "azp"];

/// Signs an access token for `grant`, living `ttl_seconds` from `now`.
pub fn issue(
    keys: &SigningKeys,
    issuer: &str,
    grant: &Grant,
    ttl_seconds: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let iat = now.timestamp();
    let g = &grant.grant;
    let mut claims: Map<String, Value> = grant
        .claims
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let fixed = json!({
        "iss": issuer,
        "sub": g.subject,
        "aud": g.resource,
        "exp": iat + i64::from(ttl_seconds),
        "iat": iat,
        "nbf": iat,
        "jti": uuid::Uuid::new_v4().to_string(),
        "scope": g.scopes.join(" "),
        "client_id": g.client_id,
    });
    if let Value::Object(f) = fixed {
        claims.extend(f);
    }
    keys.sign(&Value::Object(claims))
}
