//! PATCH as a merge of the sent fields over the stored ones, so one
//! validation covers create and update.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared_model::Problems;

/// Merges `patch` over `current` and returns the result with the `version`
/// the client based its edit on. Unknown fields and wrong types are problems.
pub fn merge_patch<F: Serialize + DeserializeOwned>(
    current: &F,
    mut patch: Map<String, Value>,
) -> Result<(F, Option<i32>), Problems> {
    let version = match patch.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| Problems::one("version", "must be an integer"))?,
        ),
    };
    let mut merged = serde_json::to_value(current).expect("stored fields always serialize");
    if let Value::Object(obj) = &mut merged {
        obj.extend(patch);
    }
    let fields = serde_json::from_value(merged).map_err(|e| Problems::one("body", e.to_string()))?;
    Ok((fields, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct F {
        a: String,
        b: Option<i32>,
    }

    #[test]
    fn patch_overlays_sent_fields_and_rejects_unknown_or_mistyped_ones() {
        let cur = F { a: "x".into(), b: Some(1) };
        let patch = json!({"b": null, "version": 3}).as_object().cloned().unwrap();
        assert_eq!(merge_patch(&cur, patch).unwrap(), (F { a: "x".into(), b: None }, Some(3)));
        let unknown = json!({"zzz": 1}).as_object().cloned().unwrap();
        assert!(merge_patch(&cur, unknown).unwrap_err().to_string().contains("zzz"));
        let typed = json!({"a": 5}).as_object().cloned().unwrap();
        assert_eq!(merge_patch(&cur, typed).unwrap_err().0[0].path, "body");
        let version = json!({"version": "two"}).as_object().cloned().unwrap();
        assert_eq!(merge_patch(&cur, version).unwrap_err().0[0].path, "version");
    }
}
