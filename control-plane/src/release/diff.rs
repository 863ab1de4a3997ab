//! What changed between two releases, from their source forms (fingerprinted
//! secrets, so a new password shows as a change without revealing it).

use std::collections::BTreeMap;

use serde::Serialize;
use shared_model::manifest::Manifest;

pub use crate::model::release::Change;

fn entries<T: Serialize>(items: &[T], name: impl Fn(&T) -> &str) -> BTreeMap<String, String> {
    items.iter().map(|i| (name(i).to_string(), serde_json::to_string(i).unwrap_or_default())).collect()
}

fn compare(kind: &str, old: BTreeMap<String, String>, new: BTreeMap<String, String>, out: &mut Vec<Change>) {
    let change = |name: &str, action: &str| Change { kind: kind.into(), name: name.into(), action: action.into() };
    for (name, body) in &new {
        match old.get(name) {
            None => out.push(change(name, "added")),
            Some(b) if b != body => out.push(change(name, "changed")),
            Some(_) => {}
        }
    }
    out.extend(old.keys().filter(|n| !new.contains_key(*n)).map(|n| change(n, "removed")));
}

/// The changes from `old` (none: the first release) to `new`.
pub fn changes(old: Option<&Manifest>, new: &Manifest) -> Vec<Change> {
    let empty = Manifest { connections: vec![], tools: vec![], resources: vec![], prompts: vec![], ..new.clone() };
    let first = old.is_none();
    let old = old.unwrap_or(&empty);
    let mut out = Vec::new();
    if first || !same(&old.server, &new.server) || old.vars != new.vars {
        out.push(Change {
            kind: "server".into(),
            name: String::new(),
            action: if first { "added" } else { "changed" }.into(),
        });
    }
    if !first && !same(&old.auth, &new.auth) {
        out.push(Change { kind: "auth".into(), name: String::new(), action: "changed".into() });
    }
    compare("connection", entries(&old.connections, |c| &c.id), entries(&new.connections, |c| &c.id), &mut out);
    compare("tool", entries(&old.tools, |t| &t.name), entries(&new.tools, |t| &t.name), &mut out);
    compare("resource", entries(&old.resources, |r| &r.name), entries(&new.resources, |r| &r.name), &mut out);
    compare("prompt", entries(&old.prompts, |p| &p.name), entries(&new.prompts, |p| &p.name), &mut out);
    out
}

fn same<T: Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_changed_and_removed_entities() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/manifests/valid/minimal.json"
        ));
        let Ok(text) = text else { return };
        let old = Manifest::from_json(&text).unwrap();
        assert_eq!(changes(Some(&old), &old), vec![]);
        assert_eq!(changes(None, &old)[0].kind, "server");
        let mut new = old.clone();
        new.server.name.push('!');
        assert_eq!(
            changes(Some(&old), &new),
            vec![Change { kind: "server".into(), name: String::new(), action: "changed".into() }]
        );
    }
}
