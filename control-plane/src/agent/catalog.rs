//! The catalogue of agent tools: one [`tool`] entry per admin capability,
//! each naming its scope and hints, its argument and answer types (the REST
//! API's own where it has one) and the `api/` function it calls — the one the
//! REST handler calls, with the agent as the actor of writes. Tools,
//! resources and prompts share six entries each through [`published`], as
//! their REST routes share `api::crud`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::inputs::*;
use super::registry::{ADD, AgentTool, CHANGE, PUBLISH, READ, REMOVE, tool};
use super::scope::Scope;
use crate::api::{self, crud};
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;

fn deleted(id: impl ToString) -> Deleted {
    Deleted { id: id.to_string(), deleted: true }
}

/// Every agent tool.
pub(super) fn entries() -> Vec<AgentTool> {
    use Scope::*;
    let mut v = vec![
        // Connections.
        tool(
            "list_connections",
            ConnectionsRead,
            READ,
            "Lists the database connections (PostgreSQL, MySQL/MariaDB, SQLite) SQL tools run on, by name, a page at a time \
             (`skip`, `limit` ≤ 100). Passwords are never returned. Use a connection's `id` with list_tables, preview_sql and create_tool.",
            |cx, q: api::page::PageQuery| async move { api::connections::list(&cx.s, q).await },
        ),
        tool(
            "get_connection",
            ConnectionsRead,
            READ,
            "Returns one connection by `id`: host, port, database, user, pool and queue settings, read-only policy, and its `version` \
             (send it back with update_connection). Secrets are masked.",
            |cx, a: ById| async move { api::connections::get(&cx.s, a.id).await },
        ),
        tool(
            "create_connection",
            ConnectionsWrite,
            ADD,
            "Creates a database connection. Give a unique `name`, `db_type` (`postgresql`, `mysql` or `sqlite`), `host`, `port`, \
             `database`, `username` and `password` (stored encrypted, never shown again). Run test_connection afterwards.",
            |cx, input: crate::model::connection::ConnectionInput| async move {
                api::connections::create(&cx.s, &cx.actor, input).await
            },
        ),
        tool(
            "update_connection",
            ConnectionsWrite,
            CHANGE,
            "Changes fields of the connection `id`: `patch` holds only the fields to change (an absent `password` keeps the \
             stored one). Include the `version` from get_connection to be refused if it changed meanwhile.",
            |cx, a: UpdateConnection| async move { api::connections::update(&cx.s, &cx.actor, a.id, a.patch).await },
        ),
        tool(
            "delete_connection",
            ConnectionsWrite,
            REMOVE,
            "Deletes the connection `id` together with the tools and resources that use it. Takes effect for MCP clients with \
             the next deploy. History keeps a snapshot (rollback_history_entry restores it).",
            |cx, a: ById| async move { api::connections::delete(&cx.s, &cx.actor, a.id).await.map(|()| deleted(a.id)) },
        ),
        tool(
            "test_connection",
            ConnectionsRead,
            READ,
            "Connects to the database of connection `id` and reports `success`, the server version, latency, and \
             least-privilege warnings (e.g. the user can write). Changes nothing.",
            |cx, a: ById| async move { api::connections::test(&cx.s, a.id).await },
        ),
        // Schema.
        tool(
            "list_tables",
            ConnectionsRead,
            READ,
            "Lists the tables and views the connection `connection_id` can see, with their schema. Start here to learn what \
             data exists before writing SQL.",
            |cx, a: OnConnection| async move {
                api::schema::tables(&cx.s, a.connection_id).await.map(|items| Items { items })
            },
        ),
        tool(
            "list_columns",
            ConnectionsRead,
            READ,
            "Lists the columns of `table` (`name` or `schema.name`) on connection `connection_id`: name, SQL type, nullability, \
             default and key. Use it to write correct SQL and choose parameter types.",
            |cx, a: TableOf| async move {
                api::schema::columns(&cx.s, a.connection_id, &a.table).await.map(|items| Items { items })
            },
        ),
        // Preview.
        tool(
            "preview_sql",
            Preview,
            READ,
            "Runs one SQL statement read-only on `connection_id` exactly as a deployed tool would (same engine, read-only \
             transaction, 10 s timeout) and returns up to `limit` rows (default 10, ≤ 1000) with column types. Use `:name` \
             placeholders with `parameters` values; pass `parameter_definitions` to type them as the tool will. Writes are refused.",
            |cx, req: api::preview::PreviewRequest| async move { api::preview::execute(&cx.s, req).await },
        ),
        // Deploy and releases.
        tool(
            "deploy",
            Deploy,
            PUBLISH,
            "Validates the whole configuration and publishes it as the next numbered release, which the runtimes then serve \
             to MCP clients. With any problem nothing is deployed and every problem is listed. Call it after creating or \
             changing tools, resources or prompts; then get_deploy_status.",
            |cx, _: NoArgs| async move { api::deploy::publish(&cx.s, &cx.actor).await },
        ),
        tool(
            "get_deploy_status",
            ServerRead,
            READ,
            "Returns the deployment's status: target, whether the runtime is running and ready, the active release number and \
             the runtime's MCP URL.",
            |cx, _: NoArgs| async move { api::deploy::status(&cx.s).await },
        ),
        tool(
            "stop_deployment",
            Deploy,
            PUBLISH,
            "Unpublishes the active release and stops the runtime: MCP clients lose every tool until the next deploy. Use \
             only when asked to take the server offline.",
            |cx, _: NoArgs| async move { api::deploy::stop_deployment(&cx.s, &cx.actor).await },
        ),
        tool(
            "list_releases",
            ServerRead,
            READ,
            "Lists the published releases, newest first (`skip`, `limit`): number, content hash, what changed, counts.",
            |cx, q: api::page::PageQuery| async move { api::releases::list(&cx.s, q).await },
        ),
        tool(
            "get_release",
            ServerRead,
            READ,
            "Returns release `number`: its content hash, the changes it made and what it serves.",
            |cx, a: ReleaseNumber| async move { api::releases::get(&cx.s, a.number).await },
        ),
        tool(
            "diff_releases",
            ServerRead,
            READ,
            "Compares release `number` with `against` (`previous` by default, `active`, or a release number): every \
             differing connection, tool, resource, prompt and setting with both sides, secrets masked.",
            |cx, a: ReleaseDiffArgs| async move {
                api::releases::diff_of(&cx.s, a.number, api::releases::DiffQuery { against: a.against }).await
            },
        ),
        tool(
            "rollback_release",
            Deploy,
            PUBLISH,
            "Publishes the content of an older release `number` again, as a new release (the store is not changed). Use \
             diff_releases first to see what will change.",
            |cx, a: ReleaseNumber| async move { api::releases::rollback_to(&cx.s, &cx.actor, a.number).await },
        ),
        // Server settings.
        tool(
            "get_server_settings",
            ServerRead,
            READ,
            "Returns the server settings every release carries (name, instructions, auth mode, global variables, limits), \
             the MCP URL and the MCP bearer tokens' names (never the tokens).",
            |cx, _: NoArgs| async move { api::server::current(&cx.s).await },
        ),
        tool(
            "update_server_settings",
            ServerWrite,
            CHANGE,
            "Changes server settings: `patch` holds only the fields to change. Auth changes reach runtimes at once; the rest \
             takes effect with the next deploy. Opening access on the network needs `allow_unauthenticated_network_access`.",
            |cx, a: UpdateSettings| async move { api::server::update(&cx.s, &cx.actor, a.patch).await },
        ),
        // History.
        tool(
            "list_history",
            HistoryRead,
            READ,
            "Lists changes to connections, tools, resources, prompts, settings and tokens, newest first: who (admin, agent or \
             system), when, the action and the field-level diff. Filter by `entity_type`, `entity_id`, `action`, `actor`, \
             `since`, `until`.",
            |cx, q: api::history::HistoryQuery| async move { api::history::list(&cx.s, q).await },
        ),
        tool(
            "get_entity_history",
            HistoryRead,
            READ,
            "Lists the history of one entity (`entity_type` and `entity_id`), newest first, with each version's snapshot.",
            |cx, a: EntityHistory| async move {
                let page = api::page::PageQuery { skip: a.skip, limit: a.limit };
                api::history::of_entity(&cx.s, a.entity_type, a.entity_id, page).await
            },
        ),
        tool(
            "rollback_history_entry",
            HistoryWrite,
            CHANGE,
            "Restores the snapshot of history entry `history_id` as a new version of its entity (recreating it if deleted), \
             through the same checks as an edit. Takes effect for MCP clients with the next deploy.",
            |cx, a: HistoryId| async move { api::history::roll_back(&cx.s, &cx.actor, a.history_id).await },
        ),
        // Metrics and the request log.
        tool(
            "get_metrics_stats",
            MetricsRead,
            READ,
            "Per deployed tool, resource and prompt over `period` (1h, 6h, 24h, 7d, 30d): calls, errors, cache hits, rows and \
             latency percentiles. Filter by `subject`, `tool`, `connection_id`.",
            |cx, q: api::metrics::StatsQuery| async move { api::metrics::stats_of(&cx.s, q).await },
        ),
        tool(
            "get_metrics_timeseries",
            MetricsRead,
            READ,
            "Calls, errors and latency over `period` as a time series (1-minute to 6-hour points), optionally for one `tool`.",
            |cx, q: api::metrics::SeriesQuery| async move { api::metrics::series_of(&cx.s, q).await },
        ),
        tool(
            "get_queue_metrics",
            MetricsRead,
            READ,
            "The per-connection query queues of the runtimes: active, waiting, rejected and timed-out calls, summed and per instance.",
            |cx, _: NoArgs| async move { api::metrics::queues(&cx.s).await },
        ),
        tool(
            "search_request_log",
            MetricsRead,
            READ,
            "Searches the log of MCP calls the runtimes served, newest first: tool, client, outcome, duration, rows and \
             (redacted) arguments. Filter by `tool`, `outcome` (ok, error), `client`, `since`, `until` and `search` text.",
            |cx, q: api::logs::LogQuery| async move { api::logs::search(&cx.s, q).await },
        ),
        // Export and import.
        tool(
            "export_configuration",
            Export,
            READ,
            "Returns the whole configuration as one document (format_version 1): settings, connections without secrets, \
             tools, resources and prompts, sorted by name. Edit it and pass it to import_configuration.",
            |cx, _: NoArgs| async move { Ok(crate::portable::export(&cx.s.db).await?) },
        ),
        tool(
            "import_configuration",
            Import,
            PUBLISH,
            "Imports a configuration `document`, matching entities by name: each becomes create, update, unchanged or \
             conflict (with `prune`, also delete). Call with `dry_run: true` first to see the plan; without it, everything \
             is applied in one transaction or nothing is.",
            |cx, a: ImportArgs| async move {
                let q = api::export_import::ImportQuery { dry_run: a.dry_run, prune: a.prune };
                api::export_import::import_document(&cx.s, &cx.actor, a.document, q).await
            },
        ),
    ];
    v.extend(published::<ToolFields, UpdateTool, LinkedList>(Published {
        list: ("list_tools", "Lists the SQL tools (deployed or not), by name, a page at a time; filter by `connection_id`, `tags`, `search`."),
        get: ("get_tool", "Returns the SQL tool `id`: its SQL, parameters, return type, transform, annotations and `version`."),
        create: ("create_tool",
            "Creates a SQL tool MCP clients can call after the next deploy. Give `name` (snake_case), a `description` that \
             tells a model when to use it, `connection_id`, one read-only `sql_query` with `:name` placeholders, and a \
             `parameters` entry (name, type, description) per placeholder. Check the SQL with preview_sql first."),
        update: ("update_tool", "Changes fields of the SQL tool `id`: `patch` holds only the fields to change (send `version`)."),
        delete: ("delete_tool", "Deletes the SQL tool `id`; MCP clients lose it with the next deploy."),
        duplicate: ("duplicate_tool", "Copies the SQL tool `id` under a free name `<name>_copy…`; returns the copy."),
    }));
    v.extend(published::<ResourceFields, UpdateResource, LinkedList>(Published {
        list: ("list_resources", "Lists the MCP resources (static text, SQL-backed, templates), by name; filter by `connection_id`, `tags`, `search`."),
        get: ("get_resource", "Returns the resource `id`: its URI, source, MIME type and `version`."),
        create: ("create_resource",
            "Creates an MCP resource: a `uri`, `name`, `description`, and either static content or a SQL query on a \
             connection. Served after the next deploy."),
        update: ("update_resource", "Changes fields of the resource `id`: `patch` holds only the fields to change (send `version`)."),
        delete: ("delete_resource", "Deletes the resource `id`; MCP clients lose it with the next deploy."),
        duplicate: ("duplicate_resource", "Copies the resource `id` under a free name `<name>_copy…`; returns the copy."),
    }));
    v.extend(published::<PromptFields, UpdatePrompt, FilteredList>(Published {
        list: ("list_prompts", "Lists the MCP prompts, by name; filter by `tags` and `search`."),
        get: ("get_prompt", "Returns the prompt `id`: its template, arguments and `version`."),
        create: ("create_prompt",
            "Creates an MCP prompt: `name`, `description`, a `template` with `{argument}` placeholders and the `arguments` \
             it takes. Served after the next deploy."),
        update: ("update_prompt", "Changes fields of the prompt `id`: `patch` holds only the fields to change (send `version`)."),
        delete: ("delete_prompt", "Deletes the prompt `id`; MCP clients lose it with the next deploy."),
        duplicate: ("duplicate_prompt", "Copies the prompt `id` under a free name `<name>_copy…`; returns the copy."),
    }));
    v
}

/// Names and descriptions of the six tools of one published kind.
struct Published {
    list: (&'static str, &'static str),
    get: (&'static str, &'static str),
    create: (&'static str, &'static str),
    update: (&'static str, &'static str),
    delete: (&'static str, &'static str),
    duplicate: (&'static str, &'static str),
}

/// A list's arguments, split into the REST list's page and filter.
trait ListArgs: DeserializeOwned + ToSchema + Send + 'static {
    fn split(self) -> (api::page::PageQuery, api::page::LinkedFilterQuery);
}
impl ListArgs for LinkedList {
    fn split(self) -> (api::page::PageQuery, api::page::LinkedFilterQuery) {
        LinkedList::split(self)
    }
}
impl ListArgs for FilteredList {
    fn split(self) -> (api::page::PageQuery, api::page::LinkedFilterQuery) {
        FilteredList::split(self)
    }
}

/// An update's arguments.
trait UpdateArgs: DeserializeOwned + ToSchema + Send + 'static {
    fn parts(self) -> (uuid::Uuid, Map<String, Value>);
}
macro_rules! update_parts {
    ($($t:ty),*) => {$(
        impl UpdateArgs for $t {
            fn parts(self) -> (uuid::Uuid, Map<String, Value>) {
                (self.id, self.patch)
            }
        }
    )*};
}
update_parts!(UpdateTool, UpdateResource, UpdatePrompt);

/// The six tools of tools, resources or prompts: the shared REST logic in `api::crud`.
fn published<F, U, L>(n: Published) -> Vec<AgentTool>
where
    F: crud::Prepare + DeserializeOwned + ToSchema + Send + Sync + 'static,
    crate::model::Versioned<F>: Serialize + ToSchema,
    api::page::Page<crate::model::Versioned<F>>: ToSchema,
    U: UpdateArgs,
    L: ListArgs,
{
    use Scope::{ToolsRead, ToolsWrite};
    vec![
        tool(n.list.0, ToolsRead, READ, n.list.1, |cx, a: L| async move {
            let (page, filter) = a.split();
            crud::list::<F>(&cx.s, page, filter).await
        }),
        tool(n.get.0, ToolsRead, READ, n.get.1, |cx, a: ById| async move { crud::get::<F>(&cx.s, a.id).await }),
        tool(n.create.0, ToolsWrite, ADD, n.create.1, |cx, fields: F| async move {
            crud::create(&cx.s, &cx.actor, fields).await
        }),
        tool(n.update.0, ToolsWrite, CHANGE, n.update.1, |cx, a: U| async move {
            let (id, patch) = a.parts();
            crud::update::<F>(&cx.s, &cx.actor, id, patch).await
        }),
        tool(n.delete.0, ToolsWrite, REMOVE, n.delete.1, |cx, a: ById| async move {
            crud::delete::<F>(&cx.s, &cx.actor, a.id).await.map(|()| deleted(a.id))
        }),
        tool(n.duplicate.0, ToolsWrite, ADD, n.duplicate.1, |cx, a: ById| async move {
            crud::duplicate::<F>(&cx.s, &cx.actor, a.id).await
        }),
    ]
}
