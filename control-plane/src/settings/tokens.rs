//! MCP bearer tokens: minted here, shown once, stored as a keyed hash
//! (HMAC-SHA256 under the runtime key, the way runtimes check them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared_model::Problems;
use shared_model::token::TokenHasher;
use utoipa::ToSchema;

/// Most bearer tokens.
pub const MAX_TOKENS: usize = 100;

/// A bearer token as stored: a keyed hash and what identifies it to people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StoredToken {
    /// Stable id.
    pub id: String,
    /// A label chosen by the admin.
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    /// HMAC-SHA256 under the runtime key (never shown).
    #[serde(skip_serializing_if = "String::is_empty", default)]
    #[schema(ignore)]
    pub hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl StoredToken {
    /// A new token labelled `name`: its record (with the hash) and the token
    /// itself, which is never stored.
    pub fn mint(name: &str, hasher: &TokenHasher) -> Result<(StoredToken, String), Problems> {
        let name = name.trim().to_string();
        if !(1..=100).contains(&name.chars().count()) {
            return Err(Problems::one("name", "must be 1–100 characters"));
        }
        let bytes: [u8; 32] = rand::random();
        let token = format!("qry_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
        let record = StoredToken {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            prefix: token[..12].to_string(),
            hash: hasher.hash_hex(&token),
            created_at: Utc::now(),
        };
        Ok((record, token))
    }

    /// The record without its hash, as the API shows it.
    pub fn public(self) -> StoredToken {
        StoredToken { hash: String::new(), ..self }
    }
}
