//! Tools, resources and prompts in the store: the list, get, create, update,
//! delete and duplicate that they share, and how each kind's fields map to its
//! table ([`Row`]). Writes validate inside their transaction, so the
//! connection a tool names cannot vanish between the check and the write.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, PrimaryKeyTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Map, Value};
use shared_model::normalized_name;
use uuid::Uuid;

use super::crud::{self, column, to_column};
use super::entities::{prompt, resource, tool};
use super::history::snap;
use super::write::{Action, Kind, State, Write};
use super::{StoreError, connections};
use crate::model::patch::merge_patch;
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;
use crate::model::{Linked, Published, Versioned};

/// The table of `F`.
pub type EntityOf<F> = <F as Row>::Entity;
/// A row of `F`'s table.
pub type ModelOf<F> = <EntityOf<F> as EntityTrait>::Model;
/// A row of `F`'s table being written.
pub type ActiveOf<F> = <EntityOf<F> as EntityTrait>::ActiveModel;
/// A column of `F`'s table.
pub type ColumnOf<F> = <EntityOf<F> as EntityTrait>::Column;

/// Which entities a list shows; every condition must hold. The default shows all.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only those running on this connection.
    pub connection_id: Option<Uuid>,
    /// Only those carrying every one of these tags (exact, case-sensitive).
    pub tags: Vec<String>,
    /// Only those whose name or description contains this, ignoring case.
    pub search: Option<String>,
}

/// The columns the shared logic needs.
pub struct Columns<C> {
    /// Primary key (a UUID string).
    pub id: C,
    /// Optimistic-locking version.
    pub version: C,
    /// Creation time.
    pub created_at: C,
    /// Normalised unique name; lists are sorted by it.
    pub name_key: C,
    /// The name as written.
    pub name: C,
    /// The description.
    pub description: C,
    /// The connection it runs on; `None` for kinds without one.
    pub connection_id: Option<C>,
}

/// How a published kind's fields map to its table.
pub trait Row: Published {
    /// Its table.
    type Entity: EntityTrait<
            Model: Sync + IntoActiveModel<ActiveOf<Self>>,
            ActiveModel: ActiveModelTrait + Send,
            PrimaryKey: PrimaryKeyTrait<ValueType: From<String>>,
        >;
    /// What edits of it are recorded as.
    const KIND: Kind;
    /// Its table's shared columns.
    fn columns() -> Columns<ColumnOf<Self>>;
    /// Reads a row.
    fn from_model(m: ModelOf<Self>) -> Result<Versioned<Self>, StoreError>;
    /// The row for these fields; id, version and creation time are set by the caller.
    fn into_active(self) -> ActiveOf<Self>;
    /// Its tags.
    fn tags(&self) -> &[String];
}

/// One page of the entities `filter` selects, sorted by name, and how many it selects in all.
///
/// The connection and the search are SQL conditions. Tags live in a JSON
/// column that SQLite and PostgreSQL query differently, so a tag filter reads
/// the name-ordered rows the other conditions leave and keeps those with every
/// tag here, then cuts the page: the total and the page are those of the
/// filtered set either way.
pub async fn page<F: Row>(
    db: &impl ConnectionTrait,
    filter: &ListFilter,
    skip: u64,
    limit: u64,
) -> Result<(Vec<Versioned<F>>, u64), StoreError> {
    let cols = F::columns();
    let mut cond = Condition::all();
    if let (Some(id), Some(col)) = (filter.connection_id, cols.connection_id) {
        cond = cond.add(col.eq(id.to_string()));
    }
    if let Some(text) = filter.search.as_deref().filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
        let like = |col: ColumnOf<F>| {
            Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        cond = cond.add(Condition::any().add(like(cols.name)).add(like(cols.description)));
    }
    let query = EntityOf::<F>::find().filter(cond).order_by_asc(cols.name_key);
    if filter.tags.is_empty() {
        let total = query.clone().count(db).await?;
        let rows = query.offset(skip).limit(limit).all(db).await?;
        return Ok((rows.into_iter().map(F::from_model).collect::<Result<_, _>>()?, total));
    }
    let mut matching = Vec::new();
    for row in query.all(db).await? {
        let item = F::from_model(row)?;
        if filter.tags.iter().all(|t| item.fields.tags().contains(t)) {
            matching.push(item);
        }
    }
    let total = matching.len() as u64;
    let items = matching.into_iter().skip(usize::try_from(skip).unwrap_or(usize::MAX));
    Ok((items.take(usize::try_from(limit).unwrap_or(usize::MAX)).collect(), total))
}

/// `text` with LIKE's wildcards (and the escape character) escaped by `\`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every entity of the kind, sorted by name.
pub async fn all<F: Row>(db: &impl ConnectionTrait) -> Result<Vec<Versioned<F>>, StoreError> {
    let rows = EntityOf::<F>::find().order_by_asc(F::columns().name_key).all(db).await?;
    rows.into_iter().map(F::from_model).collect()
}

/// The entity with `id`.
pub async fn get<F: Row>(db: &impl ConnectionTrait, id: Uuid) -> Result<Versioned<F>, StoreError> {
    F::from_model(crud::get::<EntityOf<F>, _>(db, id, F::WHAT).await?)
}

async fn validate<F: Row>(w: &Write<'_>, fields: &F) -> Result<(), StoreError> {
    let linked = match fields.connection_id() {
        None => Linked::Unlinked,
        Some(id) => connections::link(w.tx(), id).await?,
    };
    Ok(fields.validate(linked)?)
}

/// Stores fields under `id` as `version`, without validating them (see [`create`]).
async fn insert<F: Row>(w: &mut Write<'_>, fields: F, id: Uuid, version: i32) -> Result<Versioned<F>, StoreError> {
    let name = fields.name().to_string();
    let cols = F::columns();
    let mut row = fields.into_active();
    row.set(cols.id, id.to_string().into());
    row.set(cols.version, version.into());
    row.set(cols.created_at, Utc::now().into());
    let saved = F::from_model(crud::insert(w.tx(), row, F::WHAT, &name).await?)?;
    w.record(
        F::KIND,
        id.to_string(),
        name,
        Action::Created,
        State { version: Some(version), before: None, after: snap(&saved) },
    );
    Ok(saved)
}

/// Validates and stores new fields.
pub async fn create<F: Row>(w: &mut Write<'_>, fields: F) -> Result<Versioned<F>, StoreError> {
    validate(w, &fields).await?;
    insert(w, fields, Uuid::new_v4(), 1).await
}

/// Validates `fields` and stores them again under `id` as `version`: a
/// rollback recreating a deleted entity.
pub(crate) async fn restore<F: Row>(
    w: &mut Write<'_>,
    id: Uuid,
    fields: F,
    version: i32,
) -> Result<Versioned<F>, StoreError> {
    validate(w, &fields).await?;
    insert(w, fields, id, version).await
}

/// Merges `patch` over the stored fields, validates the result and writes it
/// if the version is still the one the edit was based on.
pub async fn update<F: Row>(
    w: &mut Write<'_>,
    id: Uuid,
    patch: Map<String, Value>,
) -> Result<Versioned<F>, StoreError> {
    let current = get::<F>(w.tx(), id).await?;
    let supplied = patch.keys().cloned().collect();
    let (mut fields, sent_version) = merge_patch(&current.fields, patch)?;
    fields.drop_stale(&current.fields, &supplied);
    crud::check_version(sent_version, current.version)?;
    validate(w, &fields).await?;
    let name = fields.name().to_string();
    let cols = F::columns();
    let mut row = fields.into_active();
    row.set(cols.version, (current.version + 1).into());
    crud::update_versioned(w.tx(), row, cols.id, cols.version, id, current.version, (F::WHAT, &name)).await?;
    let saved = get::<F>(w.tx(), id).await?;
    let state = State { version: Some(saved.version), before: snap(&current), after: snap(&saved) };
    w.record(F::KIND, id.to_string(), name, Action::Updated, state);
    Ok(saved)
}

/// Deletes the entity with `id`.
pub async fn delete<F: Row>(w: &mut Write<'_>, id: Uuid) -> Result<(), StoreError> {
    let current = get::<F>(w.tx(), id).await?;
    crud::delete::<EntityOf<F>, _>(w.tx(), id, F::WHAT).await?;
    let state = State { version: Some(current.version), before: snap(&current), after: None };
    w.record(F::KIND, id.to_string(), current.fields.name(), Action::Deleted, state);
    Ok(())
}

/// Copies the entity with `id` under the first free name of `<name>_copy`,
/// `<name>_copy_2`, …
pub async fn duplicate<F: Row>(w: &mut Write<'_>, id: Uuid) -> Result<Versioned<F>, StoreError> {
    let mut fields = get::<F>(w.tx(), id).await?.fields;
    let free = free_copy_name::<F>(w.tx(), fields.name()).await?;
    fields.rename(free);
    insert(w, fields, Uuid::new_v4(), 1).await
}

async fn free_copy_name<F: Row>(db: &impl ConnectionTrait, name: &str) -> Result<String, StoreError> {
    let base = format!("{name}_copy");
    let key = F::columns().name_key;
    let taken: Vec<String> = EntityOf::<F>::find()
        .select_only()
        .column(key)
        .filter(key.starts_with(normalized_name(&base)))
        .into_tuple()
        .all(db)
        .await?;
    let candidates = std::iter::once(base.clone()).chain((2..).map(|n| format!("{base}_{n}")));
    let free = candidates.take(10_000).find(|c| !taken.contains(&normalized_name(c)));
    let free = free.ok_or_else(|| StoreError::Conflict(format!("too many copies of {name:?}")))?;
    if free.len() > shared_model::names::MAX_NAME_LEN {
        return Err(StoreError::Conflict(format!(
            "{free:?} would be longer than 64 characters; rename the {} first",
            F::WHAT
        )));
    }
    Ok(free)
}

impl Row for ToolFields {
    type Entity = tool::Entity;
    const KIND: Kind = Kind::Tool;

    fn columns() -> Columns<tool::Column> {
        Columns {
            id: tool::Column::Id,
            version: tool::Column::Version,
            created_at: tool::Column::CreatedAt,
            name_key: tool::Column::NameKey,
            name: tool::Column::Name,
            description: tool::Column::Description,
            connection_id: Some(tool::Column::ConnectionId),
        }
    }

    fn from_model(m: tool::Model) -> Result<Versioned<ToolFields>, StoreError> {
        Ok(Versioned {
            id: m.id.parse().map_err(StoreError::internal)?,
            fields: ToolFields {
                connection_id: m.connection_id.parse().map_err(StoreError::internal)?,
                name: m.name,
                description: m.description,
                sql_query: m.sql_query,
                parameters: column(&m.parameters)?,
                tags: column(&m.tags)?,
                return_type: m.return_type,
                transform_template: m.transform_template,
                annotations: column(&m.annotations)?,
                cache_ttl: u32::try_from(m.cache_ttl).unwrap_or(0),
                is_enabled: m.is_enabled,
                pageable: m.pageable,
                result_columns: m.result_columns.as_ref().map(column).transpose()?,
                scopes: scopes(m.scopes.as_ref())?,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    fn tags(&self) -> &[String] {
        &self.tags
    }

    fn into_active(self) -> tool::ActiveModel {
        tool::ActiveModel {
            connection_id: Set(self.connection_id.to_string()),
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            description: Set(self.description),
            sql_query: Set(self.sql_query),
            parameters: Set(to_column(&self.parameters)),
            tags: Set(to_column(&self.tags)),
            return_type: Set(self.return_type),
            transform_template: Set(self.transform_template),
            annotations: Set(to_column(&self.annotations)),
            cache_ttl: Set(i32::try_from(self.cache_ttl).unwrap_or(i32::MAX)),
            is_enabled: Set(self.is_enabled),
            pageable: Set(self.pageable),
            result_columns: Set(self.result_columns.as_ref().map(to_column)),
            scopes: Set(Some(to_column(&self.scopes))),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

impl Row for ResourceFields {
    type Entity = resource::Entity;
    const KIND: Kind = Kind::Resource;

    fn columns() -> Columns<resource::Column> {
        Columns {
            id: resource::Column::Id,
            version: resource::Column::Version,
            created_at: resource::Column::CreatedAt,
            name_key: resource::Column::NameKey,
            name: resource::Column::Name,
            description: resource::Column::Description,
            connection_id: Some(resource::Column::ConnectionId),
        }
    }

    fn from_model(m: resource::Model) -> Result<Versioned<ResourceFields>, StoreError> {
        Ok(Versioned {
            id: m.id.parse().map_err(StoreError::internal)?,
            fields: ResourceFields {
                connection_id: m.connection_id.map(|c| c.parse()).transpose().map_err(StoreError::internal)?,
                name: m.name,
                description: m.description,
                uri_template: m.uri_template,
                sql_query: m.sql_query,
                static_content: m.static_content,
                parameters: column(&m.parameters)?,
                mime_type: m.mime_type,
                tags: column(&m.tags)?,
                is_enabled: m.is_enabled,
                scopes: scopes(m.scopes.as_ref())?,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    fn tags(&self) -> &[String] {
        &self.tags
    }

    fn into_active(self) -> resource::ActiveModel {
        resource::ActiveModel {
            connection_id: Set(self.connection_id.map(|c| c.to_string())),
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            description: Set(self.description),
            uri_template: Set(self.uri_template),
            sql_query: Set(self.sql_query),
            static_content: Set(self.static_content),
            parameters: Set(to_column(&self.parameters)),
            mime_type: Set(self.mime_type),
            tags: Set(to_column(&self.tags)),
            is_enabled: Set(self.is_enabled),
            scopes: Set(Some(to_column(&self.scopes))),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

impl Row for PromptFields {
    type Entity = prompt::Entity;
    const KIND: Kind = Kind::Prompt;

    fn columns() -> Columns<prompt::Column> {
        Columns {
            id: prompt::Column::Id,
            version: prompt::Column::Version,
            created_at: prompt::Column::CreatedAt,
            name_key: prompt::Column::NameKey,
            name: prompt::Column::Name,
            description: prompt::Column::Description,
            connection_id: None,
        }
    }

    fn from_model(m: prompt::Model) -> Result<Versioned<PromptFields>, StoreError> {
        Ok(Versioned {
            id: m.id.parse().map_err(StoreError::internal)?,
            fields: PromptFields {
                name: m.name,
                title: m.title,
                description: m.description,
                template: m.template,
                arguments: column(&m.arguments)?,
                tags: column(&m.tags)?,
                is_enabled: m.is_enabled,
                scopes: scopes(m.scopes.as_ref())?,
            },
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }

    fn tags(&self) -> &[String] {
        &self.tags
    }

    fn into_active(self) -> prompt::ActiveModel {
        prompt::ActiveModel {
            name_key: Set(normalized_name(&self.name)),
            name: Set(self.name),
            title: Set(self.title),
            description: Set(self.description),
            template: Set(self.template),
            arguments: Set(to_column(&self.arguments)),
            tags: Set(to_column(&self.tags)),
            is_enabled: Set(self.is_enabled),
            scopes: Set(Some(to_column(&self.scopes))),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
    }
}

/// The `scopes` column (added by `migration_mcp_oauth`): NULL on rows saved before it is the empty list.
fn scopes(c: Option<&Value>) -> Result<Vec<String>, StoreError> {
    c.map(column).transpose().map(Option::unwrap_or_default)
}
