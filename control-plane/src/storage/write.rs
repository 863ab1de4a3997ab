//! The one write path. Every change to connections, tools, resources,
//! prompts, server settings, MCP tokens and releases happens inside a
//! [`Write`]: a store transaction that names its [`Actor`] and records each
//! [`Edit`]. Nothing persists unless [`Write::commit`] runs, and a `Write`
//! dropped on an error rolls back, so a failed write leaves no trace.
//! `commit` is the single place where every edit passes with its actor: change
//! history and the audit trail are written there, in the same transaction.

use futures::future::BoxFuture;
use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};
use serde_json::Value;

use super::{Db, StoreError};
use crate::model::Actor;

/// What kind of thing an edit touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A database connection.
    Connection,
    /// A tool.
    Tool,
    /// A resource.
    Resource,
    /// A prompt.
    Prompt,
    /// The server settings.
    ServerSettings,
    /// An MCP bearer token.
    Token,
    /// An agent token.
    AgentToken,
    /// An OAuth client.
    OAuthClient,
    /// The authorization server's settings.
    AuthorizationServer,
    /// A user's grant to an MCP client.
    OAuthGrant,
    /// A release, or the deploy state.
    Release,
}

/// What an edit did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Created it.
    Created,
    /// Changed it.
    Updated,
    /// Deleted it.
    Deleted,
}

/// One change a write made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// What it touched.
    pub kind: Kind,
    /// The id of what it touched.
    pub id: String,
    /// Its name, for people.
    pub name: String,
    /// What it did.
    pub action: Action,
    /// The entity's version after the change (the last one for a delete), when it has one.
    pub version: Option<i32>,
    /// Its state before the change (`None` for a create).
    pub before: Option<Value>,
    /// Its state after the change; for a delete, the last state. Secrets
    /// only as the store's ciphertext, token hashes never.
    pub snapshot: Option<Value>,
}

/// What an entity looked like around an edit, as the storage functions know it.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Version after the change (the last one for a delete).
    pub version: Option<i32>,
    /// State before the change.
    pub before: Option<Value>,
    /// State after the change (for a delete: the last state).
    pub after: Option<Value>,
}

/// A write in progress: one transaction, one actor.
pub struct Write<'a> {
    tx: DatabaseTransaction,
    actor: &'a Actor,
    edits: Vec<Edit>,
    rollback_of: Option<i64>,
}

impl<'a> Write<'a> {
    /// Starts a write on behalf of `actor`.
    pub async fn begin(db: &Db, actor: &'a Actor) -> Result<Write<'a>, StoreError> {
        // A write reads before it writes (versions, names, the next release
        // number). On SQLite a deferred transaction that has read cannot take
        // the write lock once another writer committed (SQLITE_BUSY at once,
        // busy_timeout does not apply), so writes take the lock up front and
        // queue behind each other for up to the busy timeout. PostgreSQL
        // ignores the mode.
        let options = TransactionOptions {
            isolation_level: None,
            access_mode: None,
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        };
        Ok(Write { tx: db.begin_with_options(options).await?, actor, edits: Vec::new(), rollback_of: None })
    }

    /// Who writes.
    pub fn actor(&self) -> &Actor {
        self.actor
    }

    /// The transaction, for the store's own functions.
    pub fn tx(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Records an edit made in this transaction, with the entity's state
    /// around it (for history).
    pub(crate) fn record(
        &mut self,
        kind: Kind,
        id: impl Into<String>,
        name: impl Into<String>,
        action: Action,
        state: State,
    ) {
        let snapshot = match action {
            Action::Deleted => state.after.or_else(|| state.before.clone()),
            _ => state.after,
        };
        self.edits.push(Edit {
            kind,
            id: id.into(),
            name: name.into(),
            action,
            version: state.version,
            before: state.before,
            snapshot,
        });
    }

    /// Marks this write as the rollback to history entry `history_id`: its
    /// history entries get the action `rollback`.
    pub(crate) fn mark_rollback(&mut self, history_id: i64) {
        self.rollback_of = Some(history_id);
    }

    /// Writes the change history and audit events of every edit, in the
    /// same transaction, then makes it all permanent and returns the edits.
    pub async fn commit(self) -> Result<Vec<Edit>, StoreError> {
        let Write { tx, actor, edits, rollback_of } = self;
        super::history::record_edits(&tx, actor, &edits, rollback_of).await?;
        tx.commit().await?;
        for e in &edits {
            tracing::info!(actor = %actor, kind = ?e.kind, id = %e.id, name = %e.name, action = ?e.action, "The store changed.");
        }
        Ok(edits)
    }
}

/// Runs `f` as one write of `actor`, in one transaction: committed when it
/// succeeds, rolled back when it fails.
///
/// ```ignore
/// let tool = storage::write(&db, &actor, |w| Box::pin(published::create(w, fields))).await?;
/// ```
pub async fn write<T, F>(db: &Db, actor: &Actor, f: F) -> Result<T, StoreError>
where
    F: for<'w, 'a> FnOnce(&'w mut Write<'a>) -> BoxFuture<'w, Result<T, StoreError>>,
{
    let mut w = Write::begin(db, actor).await?;
    let out = f(&mut w).await?;
    w.commit().await?;
    Ok(out)
}
