//! Pieces shared by the tool, resource and prompt routes: PATCH as a merge of
//! the sent fields over the stored ones (so one validation covers create and
//! update), and the field rules they have in common.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared_model::{Problems, validate_name};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::error::ApiError;

/// Documents a PATCH body: every field of `T`, all optional, plus `version`.
pub struct Patch<T>(PhantomData<T>);

impl<T: ToSchema> PartialSchema for Patch<T> {
    fn schema() -> RefOr<Schema> {
        let mut schema = T::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.clear();
            object.description = Some("Any subset of the fields; absent fields keep their value.".into());
            let version = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("The version this edit is based on; a stale one is refused with 409."));
            object.properties.insert("version".into(), version.into());
        }
        schema
    }
}

impl<T: ToSchema> ToSchema for Patch<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Patch", T::name().trim_end_matches("Fields")))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        T::schemas(schemas);
    }
}

/// Merges `patch` over `current` and returns the result with the `version`
/// the client based its edit on. Unknown fields and wrong types are 422s.
pub fn merge_patch<F: Serialize + DeserializeOwned>(
    current: &F,
    mut patch: Map<String, Value>,
) -> Result<(F, Option<i32>), ApiError> {
    let version = match patch.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| ApiError::invalid("version", "must be an integer"))?,
        ),
    };
    let mut merged = serde_json::to_value(current).map_err(ApiError::internal)?;
    let obj = merged.as_object_mut().ok_or_else(|| ApiError::internal(anyhow::anyhow!("fields are not an object")))?;
    obj.extend(patch);
    let fields = serde_json::from_value(merged).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    Ok((fields, version))
}

/// The checks every published entity's name, description and tags share.
pub fn check_common(name: &str, description: &str, tags: &[String], p: &mut Problems) {
    if let Err(e) = validate_name(name) {
        p.push("name", e);
    }
    let len = description.trim().chars().count();
    if !(1..=5000).contains(&len) {
        p.push("description", "must be 1–5000 characters; it tells the model what this is for");
    }
    if tags.len() > 50 {
        p.push("tags", "at most 50 tags are allowed");
    }
    for (i, t) in tags.iter().enumerate() {
        if !(1..=64).contains(&t.chars().count()) {
            p.push(format!("tags[{i}]"), "must be 1–64 characters");
        }
    }
}

/// Checks an optional text's size in bytes.
pub fn check_len(field: &str, value: Option<&str>, max: usize, p: &mut Problems) {
    if value.is_some_and(|v| v.len() > max) {
        p.push(field, format!("must be at most {max} bytes"));
    }
}

/// Decodes a JSON column into its typed form (columns are written by us, so a
/// failure is a fault of ours).
pub fn column<T: DeserializeOwned>(v: &Value) -> Result<T, ApiError> {
    serde_json::from_value(v.clone()).map_err(ApiError::internal)
}

/// Encodes a typed value for a JSON column.
pub fn to_column<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("our types always serialize")
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
        assert!(matches!(merge_patch(&cur, typed), Err(ApiError::Invalid(_))));
    }
}
