//! The portable document: Quarry's configuration — connections without
//! secrets, tools, resources, prompts and the server settings — as one
//! versioned JSON or YAML file, for backups, moving between instances and
//! config as code (`quarry export` / `quarry apply`). No HTTP here: the API
//! (`api/export_import.rs`) and the command line both call these functions.
//!
//! An import is matched by name and applied in ONE [`Write`]: it plans again
//! inside the transaction, then composes the store's own `connections`,
//! `published` and `settings` writes, so any failure rolls everything back and
//! the history of the write names the importer. A document with problems or
//! conflicts changes nothing. Export never writes a password, a secret extra
//! parameter or a token; an import leaves a stored password alone unless the
//! document gives one.

pub mod document;
mod matching;
pub mod parse;
pub mod plan;
mod secrets;

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use shared_model::{Keyring, normalized_name};
use uuid::Uuid;

pub use document::{
    FORMAT_VERSION, PortableConnection, PortableDocument, PortablePrompt, PortableResource, PortableTool,
};
pub use parse::{Format, Parsed};
pub use plan::{Current, EntityKind, ImportPlan, Options, PlanAction, PlanItem, PlanSummary};

use crate::model::connection::{ConnectionPatch, MASK};
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;
use crate::storage::{StoreError, Write, connections, published, settings};
use matching::Step;

impl Current {
    /// Reads everything an import is planned against.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Current, StoreError> {
        let settings::Stored { settings, tokens, secrets } = settings::load_all(db).await?;
        Ok(Current {
            connections: connections::all(db).await?,
            tools: published::all::<ToolFields>(db).await?,
            resources: published::all::<ResourceFields>(db).await?,
            prompts: published::all::<PromptFields>(db).await?,
            settings,
            token_count: tokens.len(),
            secrets,
        })
    }
}

/// The store as a document, sorted by name (so it diffs well in git).
pub async fn export(db: &impl ConnectionTrait) -> Result<PortableDocument, StoreError> {
    let Current { connections, tools, resources, prompts, settings, .. } = Current::load(db).await?;
    let names: HashMap<Uuid, String> = connections.iter().map(|c| (c.id, c.name.clone())).collect();
    let name_of = |id: Uuid| {
        names
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::internal(anyhow::anyhow!("an entity names connection {id}, which is gone")))
    };
    Ok(PortableDocument {
        format_version: FORMAT_VERSION,
        server: Some(settings),
        connections: connections.iter().map(PortableConnection::export).collect(),
        tools: tools
            .into_iter()
            .map(|t| Ok(PortableTool::export(t.fields.clone(), name_of(t.fields.connection_id)?)))
            .collect::<Result<_, StoreError>>()?,
        resources: resources
            .into_iter()
            .map(|r| Ok(PortableResource::export(r.fields.clone(), r.fields.connection_id.map(name_of).transpose()?)))
            .collect::<Result<_, StoreError>>()?,
        prompts: prompts.into_iter().map(|p| p.fields.into()).collect(),
    })
}

/// What importing `doc` would do (a dry run: nothing is written).
pub async fn plan(
    db: &impl ConnectionTrait,
    keyring: &Keyring,
    doc: impl Into<Parsed>,
    opts: Options<'_>,
) -> Result<ImportPlan, StoreError> {
    let current = Current::load(db).await?;
    Ok(matching::prepare(doc.into(), &current, keyring, opts)?.plan)
}

/// Imports `doc` inside `w`: all of it, or — on a problem, a conflict or a
/// failed write — nothing (the caller's write rolls back).
pub async fn apply(
    w: &mut Write<'_>,
    keyring: &Keyring,
    doc: impl Into<Parsed>,
    opts: Options<'_>,
) -> Result<ImportPlan, StoreError> {
    let current = Current::load(w.tx()).await?;
    let matching::Planned { mut plan, steps } = matching::prepare(doc.into(), &current, keyring, opts)?;
    let conflicts: Vec<String> =
        plan.conflicts().map(|i| format!("{} {:?}: {}", i.kind.as_str(), i.name, i.reason)).collect();
    if !conflicts.is_empty() {
        return Err(StoreError::Conflict(format!(
            "the import has conflicts, so nothing was changed: {}",
            conflicts.join("; ")
        )));
    }
    let mut ids: HashMap<String, Uuid> = current.connections.iter().map(|c| (normalized_name(&c.name), c.id)).collect();
    let id_of = |ids: &HashMap<String, Uuid>, name: &str| {
        ids.get(&normalized_name(name))
            .copied()
            .ok_or_else(|| StoreError::NotFound(format!("no connection named {name:?}")))
    };
    for step in steps {
        match step {
            Step::Settings(s) => {
                let mut patch = as_patch(&s);
                // The introspection secret is never serialized: carry one the document brings.
                if let (Some(secret), Some(serde_json::Value::Object(oauth))) =
                    (s.oauth.introspection.as_ref().and_then(|i| i.client_secret.clone()), patch.get_mut("oauth"))
                    && let Some(serde_json::Value::Object(intro)) = oauth.get_mut("introspection")
                {
                    intro.insert("client_secret".into(), serde_json::Value::String(secret));
                }
                settings::update(w, keyring, patch).await?;
            }
            Step::CreateConnection(c) => {
                let saved = connections::create(w, keyring, c.into_input()).await?;
                ids.insert(normalized_name(&saved.name), saved.id);
            }
            Step::UpdateConnection { id, entry, kept_secrets } => {
                connections::update(w, keyring, id, connection_patch(entry, kept_secrets)).await?;
            }
            Step::CreateTool(t) => {
                let cid = id_of(&ids, &t.connection)?;
                published::create(w, t.into_fields(cid)).await?;
            }
            Step::UpdateTool(id, t) => {
                let cid = id_of(&ids, &t.connection)?;
                published::update::<ToolFields>(w, id, as_patch(&t.into_fields(cid))).await?;
            }
            Step::CreateResource(r) => {
                let cid = r.connection.as_deref().map(|c| id_of(&ids, c)).transpose()?;
                published::create(w, r.into_fields(cid)).await?;
            }
            Step::UpdateResource(id, r) => {
                let cid = r.connection.as_deref().map(|c| id_of(&ids, c)).transpose()?;
                published::update::<ResourceFields>(w, id, as_patch(&r.into_fields(cid))).await?;
            }
            Step::CreatePrompt(p) => {
                published::create(w, PromptFields::from(p)).await?;
            }
            Step::UpdatePrompt(id, p) => {
                published::update::<PromptFields>(w, id, as_patch(&PromptFields::from(p))).await?;
            }
            Step::Delete(kind, id) => match kind {
                EntityKind::Tool => published::delete::<ToolFields>(w, id).await?,
                EntityKind::Resource => published::delete::<ResourceFields>(w, id).await?,
                EntityKind::Prompt => published::delete::<PromptFields>(w, id).await?,
                EntityKind::Connection => connections::delete(w, id).await?,
                EntityKind::Server => {}
            },
        }
    }
    plan.applied = true;
    Ok(plan)
}

/// All of `fields` as a merge patch: it replaces every field.
fn as_patch(fields: &impl serde::Serialize) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(fields).expect("fields serialize") {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("fields serialize to an object"),
    }
}

/// Every field of the entry; no password keeps the stored one, and so does each kept secret (sent as the mask).
fn connection_patch(c: PortableConnection, kept_secrets: Vec<String>) -> ConnectionPatch {
    let mut extra = c.extra_params;
    for k in kept_secrets {
        extra.insert(k, serde_json::Value::String(MASK.into()));
    }
    ConnectionPatch {
        name: Some(c.name),
        db_type: Some(c.db_type),
        host: Some(c.host),
        port: c.port,
        database: Some(c.database),
        username: Some(c.username),
        password: c.password.map(Some),
        ssl_mode: Some(c.ssl_mode),
        allow_cleartext_password: Some(c.allow_cleartext_password),
        extra_params: Some(extra),
        pool_min_size: Some(c.pool_min_size),
        pool_max_size: Some(c.pool_max_size),
        max_concurrent_queries: Some(c.max_concurrent_queries),
        queue_timeout_seconds: Some(c.queue_timeout_seconds),
        queue_enabled: Some(c.queue_enabled),
        is_active: Some(c.is_active),
        allowed_functions: Some(c.allowed_functions),
        read_only_role: Some(c.read_only_role),
        version: None,
        // An import that moves a connection must carry its password too.
        keep_password: false,
    }
}
