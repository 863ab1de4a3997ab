//! `/export-import`: the configuration as one versioned document (no
//! passwords, no secrets, no tokens), its JSON Schema, and importing a
//! document — planned (`dry_run=true`) or applied in one transaction. The
//! document and the plan live in `portable`; this is only HTTP.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auth::Admin;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiQuery, AppJson};
use crate::model::Actor;
use crate::portable::{self, ImportPlan, Options, PortableDocument};
use crate::storage::write;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export)).routes(routes!(import)).routes(routes!(schema))
}

#[utoipa::path(get, path = "/export-import/export", tag = "export-import", security(("session" = [])),
    description = "The whole configuration as a document of `format_version` 1: server settings (with global variables), \
        connections without passwords or secret extra parameters, tools, resources and prompts, sorted by name. \
        Tools and resources name their connection. No tokens.",
    responses((status = 200, body = PortableDocument), (status = 401, body = ErrorBody)))]
async fn export(State(s): State<AppState>) -> ApiResult<AppJson<PortableDocument>> {
    Ok(AppJson(portable::export(&s.db).await?))
}

/// How to import.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only plan: return what would happen and change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Also delete connections, tools, resources and prompts the document does not have.
    #[serde(default)]
    pub prune: bool,
}

#[utoipa::path(post, path = "/export-import/import", tag = "export-import", params(ImportQuery), request_body = PortableDocument,
    security(("session" = [])),
    description = "Matches each entity of the document by name: `create`, `update`, `unchanged` or `conflict` (with \
        `prune`, also `delete`). With `dry_run=true` returns that plan and changes nothing; otherwise applies all of it \
        in one transaction, or nothing. A document from a newer format, with unknown fields, invalid values or SQL, \
        or naming a connection that does not exist is refused with every problem and its path (422); a plan with \
        conflicts is refused (409). Connections given no password get none (existing ones keep theirs).",
    responses((status = 200, body = ImportPlan), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import(
    admin: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    AppJson(body): AppJson<Value>,
) -> ApiResult<AppJson<ImportPlan>> {
    Ok(AppJson(import_document(&s, &admin.actor(), body, q).await?))
}

/// Plans (`dry_run`) or applies the import of the document `body` in one write.
pub async fn import_document(s: &AppState, actor: &Actor, body: Value, q: ImportQuery) -> ApiResult<ImportPlan> {
    let doc = portable::parse::read(body)?;
    let opts = Options { prune: q.prune, env: None };
    if q.dry_run {
        return Ok(portable::plan(&s.db, &s.keyring, doc, opts).await?);
    }
    let keyring = s.keyring.clone();
    Ok(write(&s.db, actor, |w| Box::pin(async move { portable::apply(w, &keyring, doc, opts).await })).await?)
}

#[utoipa::path(get, path = "/export-import/schema", tag = "export-import", security(("session" = [])),
    description = "The JSON Schema of the document (also in `docs/config-document.schema.json`).",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
async fn schema() -> AppJson<Value> {
    AppJson(PortableDocument::json_schema())
}
