//! Manifest v1: everything a runtime needs to serve one release of an MCP
//! server — server info, auth, connections, tools, resources, prompts and
//! global variables.
//!
//! The control plane builds it, stamps a release number and a content hash,
//! and hands it to `quarry-runtime`; the runtime knows nothing else. Secrets
//! travel sealed with the runtime key (see [`crate::secret`]).

mod connection;
mod entities;
mod hash;
pub mod oauth;
mod validate;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::DbType;
pub use connection::{Connection, PoolSettings, QueueSettings, SslMode};
pub use entities::{
    PAGE_CURSOR, Prompt, PromptArgument, Resource, ResourceSource, ResultLimits, ReturnType, Tool, ToolAnnotations,
};
pub use hash::canonical_json;
pub use oauth::{DEFAULT_SCOPE, Introspection, Jwk, OAuthSettings, TrustedIssuer};

use crate::secret::{Keyring, SecretError};
use crate::vars::VarValue;

/// The manifest format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// One immutable, numbered release of an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest format; must be `1`.
    pub format_version: u32,
    /// Release number, increasing with every publish of this server.
    pub release: u64,
    /// `sha256:<hex>` of the canonical JSON of this manifest without this field;
    /// empty while a manifest is being built (see [`Manifest::seal_hash`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content_hash: String,
    /// What the server tells MCP clients about itself.
    pub server: ServerInfo,
    /// How clients authenticate to `/mcp`.
    #[serde(default)]
    pub auth: AuthSettings,
    /// Databases the tools and resources run against.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// SQL tools, listed to clients in this order.
    #[serde(default)]
    pub tools: Vec<Tool>,
    /// Static and SQL-backed resources and resource templates.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Prompt templates.
    #[serde(default)]
    pub prompts: Vec<Prompt>,
    /// Global variables: at most 100 named scalars (string, integer, number or
    /// boolean; names `^[a-zA-Z_][a-zA-Z0-9_]{0,63}$`) that every transform
    /// template sees as `vars`.
    // Left out when empty, so a manifest written before the field existed
    // keeps its content hash.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schemars(with = "BTreeMap<String, VarValue>", extend("maxProperties" = 100, "propertyNames" = {"pattern": "^[a-zA-Z_][a-zA-Z0-9_]{0,63}$"}))]
    pub vars: Map<String, Value>,
}

/// Server identity and behaviour shown to, or affecting, every client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerInfo {
    /// Server name reported in `initialize` (1–255 characters).
    pub name: String,
    /// Server version reported in `initialize`; defaults to `1.0.0`.
    #[serde(default = "default_version")]
    pub version: String,
    /// Instructions sent to clients in `initialize`, telling a model how to use the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Whether database error details reach the client (off: a generic message
    /// and an error id; the detail is only logged).
    #[serde(default)]
    pub expose_db_errors: bool,
    /// How exact numbers (integers, `numeric`/`decimal`) reach clients:
    /// `string_when_unsafe` (the default) sends a value as a JSON string only
    /// when a client parsing JSON numbers as IEEE-754 doubles would lose
    /// digits; `string` sends every 64-bit integer and decimal as a string.
    // Left out when the default, so a manifest written before the field
    // existed keeps its content hash.
    #[serde(default, skip_serializing_if = "ExactNumerics::is_default")]
    pub exact_numerics: ExactNumerics,
    /// Whether the runtime sends one request-log record per call to the
    /// control plane (default on; pull mode only).
    // Left out when on (the default), so manifests keep their content hash.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub request_log: bool,
}

/// How exact numeric values (64-bit integers, `numeric`/`decimal`) are written in results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExactNumerics {
    /// A JSON number when it survives a round trip through a double, else a string.
    #[default]
    StringWhenUnsafe,
    /// Always a string (as PostgREST/Hasura-style clients expect), for
    /// 64-bit integers and decimals; 16/32-bit integers stay numbers.
    String,
}

impl ExactNumerics {
    fn is_default(&self) -> bool {
        *self == ExactNumerics::default()
    }
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn default_version() -> String {
    "1.0.0".into()
}

/// Client authentication for the MCP endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthSettings {
    /// No authentication: anyone who can reach the runtime may call it.
    #[default]
    None,
    /// `Authorization: Bearer <token>`; tokens are stored as keyed hashes.
    Bearer {
        /// The accepted tokens (at most 1000).
        tokens: Vec<BearerToken>,
    },
    /// OAuth 2.1 access tokens: the runtime is a resource server (see [`OAuthSettings`]).
    Oauth(OAuthSettings),
}

/// One accepted bearer token, stored as a keyed hash, never in plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BearerToken {
    /// Stable id of the token in the control plane (for logs; bounded).
    pub id: String,
    /// Hex HMAC-SHA256 of the token under the runtime key
    /// (see [`crate::token::TokenHasher`]).
    pub hash: String,
}

impl Manifest {
    /// Parses a manifest from JSON; structural errors only (call [`Manifest::validate`] next).
    pub fn from_json(text: &str) -> Result<Manifest, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The `sha256:<hex>` content hash this manifest should carry.
    pub fn compute_hash(&self) -> String {
        hash::content_hash(self)
    }

    /// Stamps [`Manifest::content_hash`] from the current content.
    pub fn seal_hash(&mut self) {
        self.content_hash = self.compute_hash();
    }

    /// Finds a connection by id.
    pub fn connection(&self, id: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.id == id)
    }

    /// Every sealed secret in the manifest with its path, so a runtime can
    /// check at load time that it holds the key for all of them.
    pub fn sealed_secrets(&self) -> impl Iterator<Item = (String, &SealedSecret)> {
        let introspection = match &self.auth {
            AuthSettings::Oauth(o) => o.introspection.as_ref().and_then(|i| i.client_secret.as_ref()),
            _ => None,
        };
        self.connections
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.password.as_ref().map(|p| (format!("connections[{i}].password"), p)))
            .chain(introspection.map(|s| ("auth.introspection.client_secret".to_string(), s)))
    }

    /// Opens every sealed secret with `keyring`, reporting each failure with its path.
    pub fn check_secrets(&self, keyring: &Keyring) -> Result<(), crate::Problems> {
        let mut p = crate::Problems::default();
        for (path, s) in self.sealed_secrets() {
            if let Err(e) = s.open(keyring) {
                p.push(path, e.to_string());
            }
        }
        p.into_result()
    }

    /// The JSON Schema of the manifest format.
    pub fn json_schema() -> schemars::Schema {
        schemars::schema_for!(Manifest)
    }
}

/// A secret sealed for the runtime with [`Keyring::encrypt`] under
/// `QUARRY_RUNTIME_KEY`: `v1:` + base64(nonce, ciphertext, tag). Never plain text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SealedSecret(#[schemars(regex(pattern = r"^v1:[A-Za-z0-9+/=]+$"))] pub String);

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedSecret(..)")
    }
}

impl SealedSecret {
    /// Seals `plaintext` with the keyring's first key.
    pub fn seal(keyring: &Keyring, plaintext: &str) -> SealedSecret {
        SealedSecret(keyring.encrypt(plaintext))
    }

    /// Opens the secret; only the runtime (and the control plane) hold the key.
    pub fn open(&self, keyring: &Keyring) -> Result<String, SecretError> {
        keyring.decrypt(&self.0)
    }
}
