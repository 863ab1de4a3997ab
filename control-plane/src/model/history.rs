//! Change history and the audit trail as the API shows them: who changed
//! what, from where, the entity after the change and what differed from the
//! version before. Secrets appear only masked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One change of an entity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Increasing id; newer entries have larger ids.
    pub id: i64,
    /// `connection`, `tool`, `resource`, `prompt`, `server_config` or `token`.
    pub entity_type: String,
    /// The entity's id (`server` for the server settings).
    pub entity_id: String,
    /// Its name at the time.
    pub entity_name: String,
    /// `create`, `update`, `delete` or `rollback`.
    pub action: String,
    /// The entity's version after the change (for a delete, its last version), when it has versions.
    pub version: Option<i32>,
    /// Who: `admin:<id>` or `system`.
    pub actor: String,
    /// The actor's client address, when the change came over HTTP.
    pub actor_address: Option<String>,
    /// The actor's `User-Agent`, when sent.
    pub actor_user_agent: Option<String>,
    /// The entity after the change; for a delete, its last state. Secrets masked (`••••••`).
    #[schema(value_type = Option<Object>)]
    pub snapshot: Option<Value>,
    /// `{field: {old, new}}` against the version before; secrets masked.
    #[schema(value_type = Object)]
    pub changes: Value,
    /// For a rollback: the id of the entry whose snapshot was restored.
    pub rolled_back_to: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One audit event: a login, a failed login, a deploy, a stop, a release
/// redeploy, a token created or revoked, a history rollback.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Increasing id.
    pub id: i64,
    /// `login`, `login_failed`, `deploy`, `stop`, `release_redeploy`, `token_created`, `token_revoked`,
    /// `history_rollback` (more may be added, e.g. for two-factor changes).
    pub event: String,
    /// Who: `admin:<id>`, `visitor` (not logged in) or `system`.
    pub actor: String,
    /// The client address, when known.
    pub address: Option<String>,
    /// The client's `User-Agent`, when sent.
    pub user_agent: Option<String>,
    /// What the event concerned (never a secret).
    #[schema(value_type = Object)]
    pub detail: Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How long history and audit entries are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Entries older than this many days are deleted (`QUARRY_HISTORY_RETENTION_DAYS`, default 90).
    pub days: u32,
    /// At most this many entries per entity type (and audit events in all) are kept, the newest
    /// (`QUARRY_HISTORY_MAX_ENTRIES`, default 10000).
    pub max_entries: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { days: 90, max_entries: 10_000 }
    }
}
