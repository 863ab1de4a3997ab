//! What changed between two releases, from their source forms (fingerprinted
//! secrets, so a new password shows as a change without revealing it).
//! [`changes`] is the summary stored with each release; [`entries`] adds each
//! entity's content on both sides for the release diff view, masked like
//! `GET /server/generated` so not even a fingerprint leaves the plane.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use shared_model::manifest::Manifest;

use crate::model::connection::MASK;
pub use crate::model::release::{Change, DiffEntry};

type Side = BTreeMap<String, Value>;

fn side<T: Serialize>(items: &[T], name: impl Fn(&T) -> &str) -> Side {
    items.iter().map(|i| (name(i).to_string(), to_value(i))).collect()
}

fn to_value<T: Serialize>(item: &T) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}

fn entry(kind: &str, name: &str, before: Option<&Value>, after: Option<&Value>) -> DiffEntry {
    let action = match (before, after) {
        (None, _) => "added",
        (_, None) => "removed",
        _ => "changed",
    };
    DiffEntry {
        kind: kind.into(),
        name: name.into(),
        action: action.into(),
        before: before.cloned(),
        after: after.cloned(),
    }
}

fn compare(kind: &str, old: &Side, new: &Side, out: &mut Vec<DiffEntry>) {
    for (name, body) in new {
        match old.get(name) {
            Some(b) if b == body => {}
            before => out.push(entry(kind, name, before, Some(body))),
        }
    }
    out.extend(old.iter().filter(|(n, _)| !new.contains_key(*n)).map(|(n, b)| entry(kind, n, Some(b), None)));
}

/// The server settings as one entity: the server block and the global variables.
fn settings(m: &Manifest) -> Value {
    json!({"server": m.server, "vars": m.vars})
}

/// Every entity that differs from `old` (none: the first release, where
/// everything is added) to `new`, with its content on both sides, secrets masked.
pub fn entries(old: Option<&Manifest>, new: &Manifest) -> Vec<DiffEntry> {
    let mut out = Vec::new();
    let after = settings(new);
    match old {
        None => out.push(entry("server", "", None, Some(&after))),
        Some(o) => {
            let before = settings(o);
            if before != after {
                out.push(entry("server", "", Some(&before), Some(&after)));
            }
            let (before, after) = (to_value(&o.auth), to_value(&new.auth));
            if before != after {
                out.push(entry("auth", "", Some(&before), Some(&after)));
            }
        }
    }
    let empty = Manifest { connections: vec![], tools: vec![], resources: vec![], prompts: vec![], ..new.clone() };
    let old = old.unwrap_or(&empty);
    compare("connection", &side(&old.connections, |c| &c.id), &side(&new.connections, |c| &c.id), &mut out);
    compare("tool", &side(&old.tools, |t| &t.name), &side(&new.tools, |t| &t.name), &mut out);
    compare("resource", &side(&old.resources, |r| &r.name), &side(&new.resources, |r| &r.name), &mut out);
    compare("prompt", &side(&old.prompts, |p| &p.name), &side(&new.prompts, |p| &p.name), &mut out);
    out.iter_mut().for_each(mask);
    out
}

/// The summary of [`entries`]: kind, name and action.
pub fn changes(old: Option<&Manifest>, new: &Manifest) -> Vec<Change> {
    entries(old, new).into_iter().map(|e| Change { kind: e.kind, name: e.name, action: e.action }).collect()
}

/// Masks passwords and token hashes. A password that differs still shows as
/// changed (its fingerprints differed), without either fingerprint.
fn mask(e: &mut DiffEntry) {
    match e.kind.as_str() {
        "connection" => {
            let old = e.before.as_ref().and_then(|b| b.get("password")).cloned();
            let new = e.after.as_ref().and_then(|a| a.get("password")).cloned();
            let changed = matches!((&old, &new), (Some(o), Some(n)) if o != n && !n.is_null());
            for (v, note) in [(&mut e.before, ""), (&mut e.after, if changed { " (changed)" } else { "" })] {
                if let Some(p) = v.as_mut().and_then(|v| v.get_mut("password")).filter(|p| !p.is_null()) {
                    *p = json!(format!("{MASK}{note}"));
                }
            }
        }
        "auth" => {
            for v in [&mut e.before, &mut e.after].into_iter().flatten() {
                for t in v["tokens"].as_array_mut().into_iter().flatten() {
                    t["hash"] = json!(MASK);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use shared_model::manifest::SealedSecret;

    use super::*;

    fn fixture(name: &str) -> Option<Manifest> {
        let path = format!("{}/../tests/fixtures/manifests/valid/{name}.json", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).ok().map(|t| Manifest::from_json(&t).unwrap())
    }

    #[test]
    fn reports_added_changed_and_removed_entities() {
        let Some(old) = fixture("minimal") else { return };
        assert_eq!(changes(Some(&old), &old), vec![]);
        assert_eq!(changes(None, &old)[0].kind, "server");
        let mut new = old.clone();
        new.server.name.push('!');
        assert_eq!(
            changes(Some(&old), &new),
            vec![Change { kind: "server".into(), name: String::new(), action: "changed".into() }]
        );
    }

    #[test]
    fn entries_carry_both_sides_and_never_a_password_fingerprint() {
        let Some(mut old) = fixture("shop") else { return };
        let Some(conn) = old.connections.first_mut() else { return };
        conn.password = Some(SealedSecret("fingerprint:aaa".into()));
        let mut new = old.clone();
        new.connections[0].password = Some(SealedSecret("fingerprint:bbb".into()));
        let mut removed = None;
        if let Some(t) = new.tools.pop() {
            removed = Some(t.name);
        }
        let found = entries(Some(&old), &new);
        let text = serde_json::to_string(&found).unwrap();
        assert!(!text.contains("fingerprint:"), "{text}");
        let conn = found.iter().find(|e| e.kind == "connection").expect("the password change shows");
        assert_eq!(conn.after.as_ref().unwrap()["password"], json!(format!("{MASK} (changed)")));
        assert_eq!(conn.before.as_ref().unwrap()["password"], json!(MASK));
        if let Some(name) = removed {
            let tool = found.iter().find(|e| e.kind == "tool" && e.name == name).unwrap();
            assert_eq!((tool.action.as_str(), tool.after.is_none()), ("removed", true));
            assert!(tool.before.as_ref().unwrap()["sql"].is_string());
        }
    }
}
