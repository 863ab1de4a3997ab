//! Field-level differences between two states of an entity, and masking of
//! the secrets a connection's state holds (as ciphertext) before anyone sees it.

use serde_json::{Map, Value, json};
use shared_model::is_secret_key;

use crate::model::connection::MASK;

/// Fields every state has that say nothing about the change itself.
const BOOKKEEPING: [&str; 4] = ["id", "version", "created_at", "updated_at"];

/// `{field: {old, new}}` for every top-level field that differs between
/// `before` and `after` (a missing state counts as every field `null`).
pub fn changes(before: Option<&Value>, after: Option<&Value>) -> Map<String, Value> {
    let empty = Map::new();
    let obj = |v: Option<&Value>| v.and_then(Value::as_object).unwrap_or(&empty).clone();
    let (old, new) = (obj(before), obj(after));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Map::new();
    for k in keys {
        if BOOKKEEPING.contains(&k.as_str()) {
            continue;
        }
        let (o, n) = (old.get(k).unwrap_or(&Value::Null), new.get(k).unwrap_or(&Value::Null));
        if o != n {
            out.insert(k.clone(), json!({"old": o, "new": n}));
        }
    }
    out
}

/// A connection's state with its password and secret extra parameters
/// replaced by the mask (kept `null` when unset).
pub fn mask_connection(v: &mut Value) {
    let Some(obj) = v.as_object_mut() else { return };
    if let Some(p) = obj.get_mut("password")
        && !p.is_null()
    {
        *p = Value::String(MASK.into());
    }
    if let Some(Value::Object(extra)) = obj.get_mut("extra_params") {
        mask_extra(extra);
    }
}

fn mask_extra(extra: &mut Map<String, Value>) {
    for (k, v) in extra.iter_mut() {
        if is_secret_key(k) && !v.is_null() {
            *v = Value::String(MASK.into());
        }
    }
}

/// The changes of a connection with every secret masked: a changed password
/// still shows as changed, but never its ciphertext.
pub fn mask_connection_changes(changes: &mut Map<String, Value>) {
    for (field, change) in changes.iter_mut() {
        for side in ["old", "new"] {
            let Some(v) = change.get_mut(side) else { continue };
            match field.as_str() {
                "password" if !v.is_null() => *v = Value::String(MASK.into()),
                "extra_params" => {
                    if let Value::Object(extra) = v {
                        mask_extra(extra);
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changed_fields_are_listed_without_bookkeeping() {
        let a = json!({"id": "x", "version": 1, "name": "a", "sql": "SELECT 1", "tags": []});
        let b = json!({"id": "x", "version": 2, "name": "a", "sql": "SELECT 2", "tags": ["t"]});
        let c = changes(Some(&a), Some(&b));
        assert_eq!(
            Value::Object(c),
            json!({"sql": {"old": "SELECT 1", "new": "SELECT 2"}, "tags": {"old": [], "new": ["t"]}})
        );
        let created = changes(None, Some(&a));
        assert_eq!(created["name"], json!({"old": null, "new": "a"}));
        assert!(!created.contains_key("id"));
    }

    #[test]
    fn connection_secrets_are_masked_in_states_and_changes() {
        let mut s = json!({"password": "v1:abc", "extra_params": {"sslpassword": "v1:def", "application_name": "q"}});
        mask_connection(&mut s);
        assert_eq!(s, json!({"password": MASK, "extra_params": {"sslpassword": MASK, "application_name": "q"}}));
        let before = json!({"password": "v1:abc"});
        let after = json!({"password": "v1:xyz"});
        let mut c = changes(Some(&before), Some(&after));
        mask_connection_changes(&mut c);
        assert_eq!(c["password"], json!({"old": MASK, "new": MASK}));
        assert!(!Value::Object(c).to_string().contains("v1:"));
    }
}
