//! Global variables: named scalars an admin sets once per server and every
//! transform template reads as `vars` (`{{ vars.currency }}`), in a preview
//! and in a deployed tool alike. The control plane stores them in its server
//! settings and checks them with [`check_vars`]; the manifest carries them to
//! the runtime, whose validation runs the same check.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::problems::Problems;

/// Most global variables a server may have.
pub const MAX_VARS: usize = 100;
/// Longest variable name.
pub const MAX_VAR_NAME: usize = 64;
/// Longest string value, in bytes: variables are settings, not documents.
pub const MAX_VAR_STRING: usize = 10_000;

/// The value of one global variable: a string, a number (whole or not) or a
/// boolean (never null, a list or an object). Stored and carried as plain
/// JSON; this type only documents the shape in the JSON Schema and OpenAPI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum VarValue {
    /// A string of at most 10000 bytes.
    String(String),
    /// A finite number, whole or not.
    Number(f64),
    /// `true` or `false`.
    Boolean(bool),
}

/// Whether `name` may name a global variable: `^[a-zA-Z_]\w{0,63}$` with `\w`
/// read as ASCII letters, digits and `_`, so that `vars.<name>` works in a template.
pub fn is_var_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok && name.len() <= MAX_VAR_NAME && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What is wrong with a variable's value, if anything.
fn value_problem(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.len() > MAX_VAR_STRING => {
            Some(format!("a string value must be at most {MAX_VAR_STRING} bytes"))
        }
        Value::String(_) | Value::Bool(_) => None,
        Value::Number(n) if n.is_i64() || n.is_u64() || n.as_f64().is_some_and(f64::is_finite) => None,
        Value::Number(_) => Some("the number is out of range".into()),
        Value::Null => Some("must be a string, number or boolean, not null".into()),
        Value::Array(_) | Value::Object(_) => Some("must be a string, number or boolean (a single value)".into()),
    }
}

/// Records one problem per bad entry at `<path>.<name>`, and one at `path`
/// when there are more than [`MAX_VARS`].
pub fn check_vars(vars: &Map<String, Value>, path: &str, p: &mut Problems) {
    if vars.len() > MAX_VARS {
        p.push(path, format!("at most {MAX_VARS} global variables are allowed (got {})", vars.len()));
    }
    // By name, so the problems come in the same order however the object was written.
    let mut sorted: Vec<(&String, &Value)> = vars.iter().collect();
    sorted.sort_by_key(|(name, _)| *name);
    for (name, value) in sorted {
        let mut wrong = Vec::new();
        if !is_var_name(name) {
            wrong.push(format!("the name must be 1–{MAX_VAR_NAME} letters, digits or '_', not starting with a digit"));
        }
        wrong.extend(value_problem(value));
        if !wrong.is_empty() {
            p.push(format!("{path}.{name}"), wrong.join("; "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_identifier_rule() {
        for ok in ["x", "_x", "currency", "A1_b", &"a".repeat(64)] {
            assert!(is_var_name(ok), "{ok}");
        }
        for bad in ["", "1x", "a-b", "a b", "é", &"a".repeat(65)] {
            assert!(!is_var_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_bad_entry_is_one_problem_with_its_path() {
        let vars = json!({"ok": "EUR", "rate": 1.5, "on": true, "n": 3, "1bad": null, "list": [1], "long": "x".repeat(10_001)});
        let mut p = Problems::default();
        check_vars(vars.as_object().unwrap(), "vars", &mut p);
        let paths: Vec<&str> = p.0.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["vars.1bad", "vars.list", "vars.long"], "{p}");
        assert!(p.0[0].message.contains("name") && p.0[0].message.contains("null"), "{p}");
    }

    #[test]
    fn more_than_a_hundred_variables_are_refused() {
        let vars: Map<String, Value> = (0..101).map(|i| (format!("v{i}"), json!(i))).collect();
        let mut p = Problems::default();
        check_vars(&vars, "global_variables", &mut p);
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0[0].path, "global_variables");
    }
}
