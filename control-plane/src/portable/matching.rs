//! Making the plan: each entity of the document matched by name with the store
//! and given an action — `create`, `update` (naming the fields that change),
//! `unchanged`, `conflict` (a stored name that differs only in case or
//! `-`/`_`), or, when pruning, `delete` for what the document no longer has —
//! together with the steps that carry it out. Pure: it reads a [`Current`]
//! snapshot and validates with the model's own rules, so a dry run and an apply
//! (which plans again inside its transaction) agree.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;
use serde_json::{Map, Value};
use shared_model::{DbType, Dialect, Keyring, Problems, is_secret_key, normalized_name};
use uuid::Uuid;

use super::document::{PortableConnection, PortablePrompt, PortableResource, PortableTool};
use super::parse::{Origins, Parsed};
use super::plan::{Current, EntityKind, ImportPlan, Options, PlanAction, PlanItem, PlanSummary};
use super::secrets::resolve_secrets;
use crate::model::prompt::PromptFields;
use crate::model::{Linked, Published};
use crate::settings::{AuthMode, ServerSettings};

/// One change to make, in order.
pub(super) enum Step {
    Settings(ServerSettings),
    CreateConnection(PortableConnection),
    /// `kept_secrets`: stored secret extra parameters the document leaves out.
    UpdateConnection {
        id: Uuid,
        entry: PortableConnection,
        kept_secrets: Vec<String>,
    },
    CreateTool(PortableTool),
    UpdateTool(Uuid, PortableTool),
    CreateResource(PortableResource),
    UpdateResource(Uuid, PortableResource),
    CreatePrompt(PortablePrompt),
    UpdatePrompt(Uuid, PortablePrompt),
    Delete(EntityKind, Uuid),
}

/// A plan with its steps.
pub(super) struct Planned {
    pub plan: ImportPlan,
    pub steps: Vec<Step>,
}

fn key(name: &str) -> String {
    normalized_name(name)
}

/// Plans the import of `doc` over `current`; `Err` lists every problem of the document.
pub(super) fn prepare(
    parsed: Parsed,
    current: &Current,
    keyring: &Keyring,
    opts: Options<'_>,
) -> Result<Planned, Problems> {
    let Parsed { mut doc, problems: mut p, origins } = parsed;
    resolve_secrets(&mut doc, &origins, opts.env, &mut p);
    for c in &mut doc.connections {
        canonicalize(c);
    }
    let mut b = Builder { items: Vec::new(), steps: Vec::new(), deletes: Vec::new(), p, prune: opts.prune, origins };
    b.duplicates(doc.connections.iter().map(|c| c.name.as_str()), "connections");
    b.duplicates(doc.tools.iter().map(|t| t.name.as_str()), "tools");
    b.duplicates(doc.resources.iter().map(|r| r.name.as_str()), "resources");
    b.duplicates(doc.prompts.iter().map(|r| r.name.as_str()), "prompts");
    if let Some(s) = doc.server.take() {
        b.server(s, current, keyring);
    }
    // The dialect of every connection a tool may name: the document's, and the store's unless pruned.
    let mut dialects: HashMap<String, (String, Option<Dialect>)> = HashMap::new();
    if !opts.prune {
        for c in &current.connections {
            dialects.insert(key(&c.name), (c.name.clone(), Some(c.db_type.dialect())));
        }
    }
    for c in &doc.connections {
        let dialect = DbType::parse(&c.db_type).ok().map(DbType::dialect);
        dialects.insert(key(&c.name), (c.name.clone(), dialect));
    }
    for (i, c) in doc.connections.into_iter().enumerate() {
        b.connection(i, c, current, keyring);
    }
    let names: HashMap<Uuid, &str> = current.connections.iter().map(|c| (c.id, c.name.as_str())).collect();
    let conn_name = |id: Option<Uuid>| id.and_then(|id| names.get(&id).map(|n| n.to_string()));
    for (i, t) in doc.tools.into_iter().enumerate() {
        let path = b.origins.path("tools", i);
        let linked = b.link(&path, Some(&t.connection), &dialects);
        b.validate(&path, &t.clone().into_fields(Uuid::nil()), linked);
        let stored = find(&current.tools, |s| &s.fields.name, &t.name);
        let stored = stored.map(|s| {
            let mut e =
                PortableTool::export(s.fields.clone(), conn_name(Some(s.fields.connection_id)).unwrap_or_default());
            same_connection(&mut e.connection, &t.connection);
            (s.id, e)
        });
        b.entity(EntityKind::Tool, t, stored, Step::CreateTool, Step::UpdateTool);
    }
    for (i, r) in doc.resources.into_iter().enumerate() {
        let path = b.origins.path("resources", i);
        let linked = b.link(&path, r.connection.as_deref(), &dialects);
        b.validate(&path, &r.clone().into_fields(r.connection.as_ref().map(|_| Uuid::nil())), linked);
        let stored = find(&current.resources, |s| &s.fields.name, &r.name).map(|s| {
            let mut e = PortableResource::export(s.fields.clone(), conn_name(s.fields.connection_id));
            if let (Some(stored), Some(wanted)) = (&mut e.connection, &r.connection) {
                same_connection(stored, wanted);
            }
            (s.id, e)
        });
        b.entity(EntityKind::Resource, r, stored, Step::CreateResource, Step::UpdateResource);
    }
    for (i, pr) in doc.prompts.into_iter().enumerate() {
        b.validate(&b.origins.path("prompts", i), &PromptFields::from(pr.clone()), Some(Linked::Unlinked));
        let stored = find(&current.prompts, |s| &s.fields.name, &pr.name).map(|s| (s.id, s.fields.clone().into()));
        b.entity(EntityKind::Prompt, pr, stored, Step::CreatePrompt, Step::UpdatePrompt);
    }
    if opts.prune {
        b.prune(EntityKind::Tool, current.tools.iter().map(|t| (t.id, t.fields.name.as_str())));
        b.prune(EntityKind::Resource, current.resources.iter().map(|t| (t.id, t.fields.name.as_str())));
        b.prune(EntityKind::Prompt, current.prompts.iter().map(|t| (t.id, t.fields.name.as_str())));
        b.prune(EntityKind::Connection, current.connections.iter().map(|c| (c.id, c.name.as_str())));
    }
    let Builder { items, mut steps, deletes, p, .. } = b;
    p.into_result()?;
    steps.extend(deletes);
    let mut summary = PlanSummary::default();
    for i in &items {
        *match i.action {
            PlanAction::Create => &mut summary.create,
            PlanAction::Update => &mut summary.update,
            PlanAction::Unchanged => &mut summary.unchanged,
            PlanAction::Conflict => &mut summary.conflict,
            PlanAction::Delete => &mut summary.delete,
        } += 1;
    }
    Ok(Planned { plan: ImportPlan { applied: false, items, summary }, steps })
}

/// The stored entity with the same normalised name.
fn find<'a, T>(stored: &'a [T], name: impl Fn(&T) -> &String, wanted: &str) -> Option<&'a T> {
    stored.iter().find(|s| key(name(s)) == key(wanted))
}

/// A reference spelled differently but naming the same connection is no change.
fn same_connection(stored: &mut String, wanted: &str) {
    if key(stored) == key(wanted) {
        *stored = wanted.to_string();
    }
}

/// The form export would write: canonical engine name, the default port spelled out, no port for SQLite.
fn canonicalize(c: &mut PortableConnection) {
    if let Ok(t) = DbType::parse(&c.db_type) {
        c.db_type = t.as_str().into();
        c.port = if t == DbType::Sqlite { None } else { c.port.or(t.default_port()) };
    }
    c.host = c.host.trim().into();
}

/// The top-level fields whose values differ, in order.
fn changed_fields(old: &impl Serialize, new: &impl Serialize) -> Vec<String> {
    let as_map = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let old = as_map(serde_json::to_value(old).unwrap_or_default());
    let new = as_map(serde_json::to_value(new).unwrap_or_default());
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter().filter(|k| old.get(*k) != new.get(*k)).cloned().collect()
}

struct Builder {
    items: Vec<PlanItem>,
    steps: Vec<Step>,
    deletes: Vec<Step>,
    p: Problems,
    prune: bool,
    origins: Origins,
}

impl Builder {
    fn item(&mut self, kind: EntityKind, name: &str, action: PlanAction, reason: impl Into<String>) {
        self.items.push(PlanItem { kind, name: name.to_string(), action, reason: reason.into() });
    }

    fn duplicates<'n>(&mut self, names: impl Iterator<Item = &'n str>, list: &str) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, name) in names.enumerate() {
            if let Some(first) = seen.insert(key(name), i) {
                let (here, first) = (self.origins.path(list, i), self.origins.path(list, first));
                self.p.push(
                    format!("{here}.name"),
                    format!("{name:?} is already used by {first} (names differing only in case or '-'/'_' collide)"),
                );
            }
        }
    }

    fn server(&mut self, mut s: ServerSettings, current: &Current, keyring: &Keyring) {
        let mut problems = s.validate().err().unwrap_or_default();
        let stored_secret = current.secrets.introspection_client_secret.as_deref();
        let mut secret_changed = false;
        if let Some(i) = &mut s.oauth.introspection {
            i.check_secret_follows(
                current.settings.oauth.introspection.as_ref(),
                stored_secret.is_some(),
                &mut problems,
            );
            // The secret is never serialized, so it is compared on its own, like a connection's password; and
            // `client_secret_set` is read-only: what the store will say, not a change of the document's.
            let sent = i.client_secret.as_deref().filter(|v| !v.is_empty());
            secret_changed =
                sent.is_some_and(|v| stored_secret.and_then(|x| keyring.decrypt(x).ok()).as_deref() != Some(v));
            i.client_secret_set = sent.is_some() || stored_secret.is_some();
        }
        self.p.0.extend(problems.prefixed("server").0);
        let mut changes = changed_fields(&current.settings, &s);
        if secret_changed {
            changes.push("oauth.introspection.client_secret".into());
        }
        let name = s.server_name.clone();
        // Tokens never travel with the document: say so when the imported settings need one.
        let tokenless = if s.auth_mode == AuthMode::Bearer && current.token_count == 0 {
            "; auth_mode is bearer but this Quarry has no MCP token yet: create one before deploying"
        } else {
            ""
        };
        if changes.is_empty() {
            self.item(EntityKind::Server, &name, PlanAction::Unchanged, format!("same as stored{tokenless}"));
        } else {
            let reason = format!("changes {}{tokenless}", changes.join(", "));
            self.item(EntityKind::Server, &name, PlanAction::Update, reason);
            self.steps.push(Step::Settings(s));
        }
    }

    fn connection(&mut self, i: usize, c: PortableConnection, current: &Current, keyring: &Keyring) {
        let path = self.origins.path("connections", i);
        if let Err(e) = c.clone().into_input().validate() {
            self.p.0.extend(e.prefixed(&path).0);
        }
        let kind = EntityKind::Connection;
        let Some(stored) = find(&current.connections, |s| &s.name, &c.name) else {
            let reason = if c.password.is_some() {
                "new".to_string()
            } else {
                "new; the document has no password, so the connection gets none (set it later)".to_string()
            };
            self.item(kind, &c.name, PlanAction::Create, reason);
            self.steps.push(Step::CreateConnection(c));
            return;
        };
        if stored.name != c.name {
            return self.conflict(kind, &c.name, &stored.name);
        }
        let public = |c: &PortableConnection| {
            let mut c = c.clone();
            c.password = None;
            c.extra_params.retain(|k, _| !is_secret_key(k));
            c
        };
        let mut changes = changed_fields(&PortableConnection::export(stored), &public(&c));
        let decrypt = |v: Option<&str>| v.and_then(|v| keyring.decrypt(v).ok());
        if let Some(pw) = &c.password
            && decrypt(stored.password.as_deref()).as_ref() != Some(pw)
        {
            changes.push("password".into());
        }
        for (k, v) in c.extra_params.iter().filter(|(k, _)| is_secret_key(k)) {
            let old = decrypt(stored.extra_params.get(k).and_then(Value::as_str));
            if old.as_deref() != v.as_str() {
                changes.push(format!("extra_params.{k}"));
            }
        }
        let kept = if c.password.is_none() && stored.password.is_some() { "; the stored password is kept" } else { "" };
        if changes.is_empty() {
            self.item(kind, &c.name, PlanAction::Unchanged, format!("same as stored{kept}"));
        } else {
            self.item(kind, &c.name, PlanAction::Update, format!("changes {}{kept}", changes.join(", ")));
            let kept_secrets = stored
                .extra_params
                .keys()
                .filter(|k| is_secret_key(k) && !c.extra_params.contains_key(*k))
                .cloned()
                .collect();
            self.steps.push(Step::UpdateConnection { id: stored.id, entry: c, kept_secrets });
        }
    }

    fn conflict(&mut self, kind: EntityKind, name: &str, stored: &str) {
        let reason = format!(
            "the store has {stored:?}, which differs only in case or '-'/'_'; rename one of them so they match exactly"
        );
        self.item(kind, name, PlanAction::Conflict, reason);
    }

    /// What the connection named `name` links to; a name nothing has is a problem.
    fn link(
        &mut self,
        path: &str,
        name: Option<&str>,
        dialects: &HashMap<String, (String, Option<Dialect>)>,
    ) -> Option<Linked> {
        let Some(name) = name else { return Some(Linked::Unlinked) };
        match dialects.get(&key(name)) {
            Some((_, Some(d))) => Some(Linked::Dialect(*d)),
            // Its db_type is already reported.
            Some((_, None)) => None,
            None => {
                let place =
                    if self.prune { "the document (the store's are pruned)" } else { "the document or the store" };
                self.p.push(format!("{path}.connection"), format!("no connection named {name:?} in {place}"));
                None
            }
        }
    }

    /// The model's validation, its paths put under `path` and spelled as the document's fields.
    fn validate<F: Published>(&mut self, path: &str, fields: &F, linked: Option<Linked>) {
        let Some(linked) = linked else { return };
        if let Err(e) = fields.validate(linked) {
            for mut problem in e.0 {
                if let Some(rest) = problem.path.strip_prefix("connection_id") {
                    problem.path = format!("connection{rest}");
                }
                self.p.push(format!("{path}.{}", problem.path), problem.message);
            }
        }
    }

    fn entity<E: Serialize + PartialEq + Named>(
        &mut self,
        kind: EntityKind,
        entry: E,
        stored: Option<(Uuid, E)>,
        create: fn(E) -> Step,
        update: fn(Uuid, E) -> Step,
    ) {
        let name = entry.name().to_string();
        match stored {
            None => {
                self.item(kind, &name, PlanAction::Create, "new");
                self.steps.push(create(entry));
            }
            Some((_, s)) if s.name() != name => self.conflict(kind, &name, s.name()),
            Some((_, s)) if s == entry => self.item(kind, &name, PlanAction::Unchanged, "same as stored"),
            Some((id, s)) => {
                let changes = changed_fields(&s, &entry);
                self.item(kind, &name, PlanAction::Update, format!("changes {}", changes.join(", ")));
                self.steps.push(update(id, entry));
            }
        }
    }

    fn prune<'n>(&mut self, kind: EntityKind, stored: impl Iterator<Item = (Uuid, &'n str)>) {
        let wanted: BTreeSet<String> = self.items.iter().filter(|i| i.kind == kind).map(|i| key(&i.name)).collect();
        for (id, name) in stored {
            if !wanted.contains(&key(name)) {
                let reason = if kind == EntityKind::Connection {
                    "not in the document (pruned, with any tools and resources still on it)"
                } else {
                    "not in the document (pruned)"
                };
                self.item(kind, name, PlanAction::Delete, reason);
                self.deletes.push(Step::Delete(kind, id));
            }
        }
    }
}

/// Document entities have names.
trait Named {
    fn name(&self) -> &str;
}

impl Named for PortableTool {
    fn name(&self) -> &str {
        &self.name
    }
}
impl Named for PortableResource {
    fn name(&self) -> &str {
        &self.name
    }
}
impl Named for PortablePrompt {
    fn name(&self) -> &str {
        &self.name
    }
}
