//! What tools, resources and prompts share: the stored-entity envelope
//! (`id`, `version`, timestamps around the fields), the [`Published`] trait
//! each kind's fields implement, and the field rules they have in common.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared_model::{Dialect, Problems, validate_name};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A stored entity: its fields with id, version and timestamps.
#[derive(Serialize, Clone, Debug)]
pub struct Versioned<F> {
    /// The entity's id.
    pub id: Uuid,
    /// Its editable fields.
    #[serde(flatten)]
    pub fields: F,
    /// Starts at 1; each update increments it.
    pub version: i32,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl<F: ToSchema> PartialSchema for Versioned<F> {
    fn schema() -> RefOr<Schema> {
        let mut schema = F::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            let string =
                |format| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(format)));
            let version = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("Starts at 1; each update increments it."));
            object.properties.insert("id".into(), string(KnownFormat::Uuid).into());
            object.properties.insert("version".into(), version.into());
            object.properties.insert("created_at".into(), string(KnownFormat::DateTime).into());
            object.properties.insert("updated_at".into(), string(KnownFormat::DateTime).into());
            object.required.extend(["id", "version", "created_at", "updated_at"].map(String::from));
        }
        schema
    }
}

impl<F: ToSchema> ToSchema for Versioned<F> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(F::name().trim_end_matches("Fields").to_string())
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        F::schemas(schemas);
    }
}

/// What the connection an entity names turned out to be, looked up by the
/// store in the same transaction as the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// The entity names no connection.
    Unlinked,
    /// It names a connection that does not exist.
    Missing(Uuid),
    /// It names a connection of this SQL dialect.
    Dialect(Dialect),
}

impl Linked {
    /// The dialect, or the one problem a missing connection is.
    pub fn dialect(self) -> Result<Option<Dialect>, Problems> {
        match self {
            Linked::Unlinked => Ok(None),
            Linked::Missing(id) => Err(Problems::one("connection_id", format!("no connection with id {id}"))),
            Linked::Dialect(d) => Ok(Some(d)),
        }
    }
}

/// The editable fields of a published entity (tool, resource, prompt).
pub trait Published: ToSchema + Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// What it is called in messages (`tool`, `resource`, `prompt`).
    const WHAT: &'static str;
    /// Its name.
    fn name(&self) -> &str;
    /// Renames it (duplicates get a free name).
    fn rename(&mut self, name: String);
    /// The connection it runs on, if any.
    fn connection_id(&self) -> Option<Uuid>;
    /// Every problem with the fields; `linked` is what its connection is.
    fn validate(&self, linked: Linked) -> Result<(), Problems>;
    /// After an edit merged the fields named in `supplied` over `before`:
    /// drops what the server derived from fields that changed and that no
    /// longer holds. Nothing is derived by default.
    fn drop_stale(&mut self, _before: &Self, _supplied: &std::collections::HashSet<String>) {}
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
