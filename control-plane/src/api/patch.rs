//! The documented shape of a PATCH body (the merge itself is
//! `model::patch::merge_patch`).

use std::borrow::Cow;
use std::marker::PhantomData;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

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
