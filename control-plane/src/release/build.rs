//! The release builder: reads the store and produces manifest v1, reporting
//! every problem (with the entity's name and what to fix) before anything is
//! published. Secrets are decrypted with the store key and sealed again for
//! the runtime; a second "source" form carries fingerprints instead, so two
//! builds of unchanged content compare equal.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use mcp_runtime::shape;
use sha2::{Digest, Sha256};
use shared_model::manifest::{
    AuthSettings, Connection, Manifest, PoolSettings, Prompt, QueueSettings, Resource, ResourceSource, SealedSecret,
    ServerInfo, Tool,
};
use shared_model::{Keyring, Problems, is_secret_key};

use crate::model::connection::StoredConnection;
use crate::model::prompt::PromptFields;
use crate::model::resource::ResourceFields;
use crate::model::tool::ToolFields;
use crate::settings::AuthMode;
use crate::storage::settings::Stored;
use crate::storage::{Conn, StoreError, connections, published};

/// A manifest built from the store, in its two forms.
pub struct Built {
    /// With passwords sealed for the runtime: what runtimes get.
    pub manifest: Manifest,
    /// With passwords replaced by fingerprints: for diffs and change detection.
    pub source: Manifest,
}

/// What the builder needs besides the store.
pub struct Keys<'a> {
    /// Opens secrets at rest.
    pub store: &'a Keyring,
    /// Seals them for the runtime.
    pub runtime: &'a Keyring,
    /// What the auth rule needs (the runtime's address, Quarry's authorization server).
    pub auth: super::access::AuthInputs<'a>,
}

/// Builds release `number` from the store and the `stored` settings; `Err` lists every problem.
pub async fn build(db: &impl Conn, number: u64, stored: &Stored, keys: Keys<'_>) -> Result<Built, StoreError> {
    let settings = &stored.settings;
    let mut p = Problems::default();
    let conns = connections::all(db).await?;
    let by_id: HashMap<uuid::Uuid, &StoredConnection> = conns.iter().map(|c| (c.id, c)).collect();
    let mut manifest = Manifest {
        format_version: shared_model::manifest::FORMAT_VERSION,
        release: number,
        content_hash: String::new(),
        server: ServerInfo {
            name: settings.server_name.trim().to_string(),
            version: format!("1.0.{number}"),
            instructions: settings.instructions.clone().filter(|i| !i.trim().is_empty()),
            expose_db_errors: settings.expose_db_errors,
            exact_numerics: settings.exact_numerics,
            request_log: settings.request_log,
        },
        auth: AuthSettings::None, // set below, once the entities' scopes are known
        connections: Vec::new(),
        tools: Vec::new(),
        resources: Vec::new(),
        prompts: Vec::new(),
        vars: settings.global_variables.clone(),
    };
    let mut source = manifest.clone();
    for c in conns.iter().filter(|c| c.is_active) {
        let (sealed, fingerprint) = connection(c, &keys, &mut p);
        manifest.connections.push(sealed);
        source.connections.push(fingerprint);
    }
    // Which connection a row points at, or a problem that says how to fix it.
    let target = |conn_id: uuid::Uuid, path: String, p: &mut Problems| -> Option<String> {
        match by_id.get(&conn_id) {
            Some(c) if c.is_active => Some(c.name.clone()),
            Some(c) => {
                p.push(path, format!("connection {:?} is inactive; activate it, or disable this entry", c.name));
                None
            }
            None => {
                p.push(path, "its connection no longer exists; pick another connection, or disable this entry");
                None
            }
        }
    };
    for t in published::all::<ToolFields>(db).await?.into_iter().map(|t| t.fields).filter(|t| t.is_enabled) {
        let Some(conn) = target(t.connection_id, format!("tools.{}.connection_id", t.name), &mut p) else { continue };
        let return_type = t.return_type.parse().unwrap_or_default(); // the API accepts only rows, row and scalar
        // Derived here, not stored: the schema follows the current
        // `exact_numerics` and return type over the columns the SQL was saved with.
        let output_schema = t.result_columns.as_deref().zip(by_id.get(&t.connection_id)).map(|(columns, c)| {
            shape::output_schema(c.db_type, columns, return_type, settings.exact_numerics, t.pageable)
        });
        manifest.tools.push(Tool {
            name: t.name,
            title: None,
            description: t.description,
            sql: t.sql_query,
            connection: conn,
            parameters: t.parameters,
            annotations: t.annotations,
            cache_ttl_seconds: t.cache_ttl,
            return_type,
            transform_template: t.transform_template.filter(|s| !s.trim().is_empty()),
            limits: settings.default_limits.clone(),
            pageable: t.pageable,
            output_schema,
            scopes: t.scopes,
        });
    }
    for r in published::all::<ResourceFields>(db).await?.into_iter().map(|r| r.fields).filter(|r| r.is_enabled) {
        let source = match (&r.sql_query, r.connection_id) {
            (Some(sql), Some(cid)) => {
                let Some(conn) = target(cid, format!("resources.{}.connection_id", r.name), &mut p) else { continue };
                ResourceSource::Sql { sql: sql.clone(), connection: conn }
            }
            (Some(_), None) => {
                p.push(format!("resources.{}.connection_id", r.name), "a SQL resource needs a connection");
                continue;
            }
            (None, _) => ResourceSource::Text { text: r.static_content.clone().unwrap_or_default() },
        };
        let templated = r.uri_template.contains('{');
        manifest.resources.push(Resource {
            name: r.name,
            title: None,
            description: r.description,
            uri: (!templated).then(|| r.uri_template.clone()),
            uri_template: templated.then_some(r.uri_template),
            mime_type: Some(r.mime_type).filter(|m| !m.is_empty()),
            source,
            parameters: r.parameters,
            limits: settings.default_limits.clone(),
            scopes: r.scopes,
        });
    }
    for pr in published::all::<PromptFields>(db).await?.into_iter().map(|p| p.fields).filter(|p| p.is_enabled) {
        manifest.prompts.push(Prompt {
            name: pr.name,
            title: pr.title,
            description: pr.description,
            template: pr.template,
            arguments: pr.arguments,
            scopes: pr.scopes,
        });
    }
    let scopes = manifest.tools.iter().flat_map(|t| &t.scopes);
    let scopes = scopes.chain(manifest.resources.iter().flat_map(|r| &r.scopes));
    let scopes = scopes.chain(manifest.prompts.iter().flat_map(|p| &p.scopes)).cloned().collect();
    manifest.auth = auth(stored, &keys, scopes, &mut p);
    source.auth = fingerprinted(&manifest.auth, stored);
    source.tools = manifest.tools.clone();
    source.resources = manifest.resources.clone();
    source.prompts = manifest.prompts.clone();
    if let Err(found) = manifest.validate() {
        p.0.extend(found.0.into_iter().map(|mut x| {
            x.path = named_path(&manifest, &x.path);
            x
        }));
    }
    p.into_result()?;
    manifest.seal_hash();
    // The source form must not change with the release number alone.
    source.release = 0;
    source.server.version = String::new();
    source.seal_hash();
    Ok(Built { manifest, source })
}

/// The release's record of the auth settings. Pulling runtimes follow the
/// access document instead (`release::access`); this copy serves manifest files.
fn auth(stored: &Stored, keys: &Keys<'_>, scopes: BTreeSet<String>, p: &mut Problems) -> AuthSettings {
    if stored.settings.auth_mode == AuthMode::Bearer && stored.tokens.is_empty() {
        p.push("server.auth_mode", "bearer auth needs a token; create one with POST /api/v1/server/tokens");
    }
    // The deploy checks the acknowledgement itself (`DeployService::deploy`).
    super::access::auth(stored, keys, false, scopes, None).unwrap_or_else(|found| {
        p.0.extend(found.prefixed("server").0);
        AuthSettings::Bearer { tokens: Vec::new() }
    })
}

/// `auth` with the sealed introspection secret replaced by a fingerprint of the stored one, so that two builds of
/// unchanged settings compare equal.
fn fingerprinted(auth: &AuthSettings, stored: &Stored) -> AuthSettings {
    let mut auth = auth.clone();
    if let AuthSettings::Oauth(o) = &mut auth
        && let (Some(i), Some(at_rest)) = (&mut o.introspection, &stored.secrets.introspection_client_secret)
    {
        i.client_secret = Some(SealedSecret(format!("fingerprint:{}", sha256_hex(at_rest))));
    }
    auth
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The connection sealed for the runtime and with a fingerprint instead.
fn connection(c: &StoredConnection, keys: &Keys<'_>, p: &mut Problems) -> (Connection, Connection) {
    let mut extra = BTreeMap::new();
    for (k, v) in &c.extra_params {
        if is_secret_key(k) {
            p.push(
                format!("connections.{}.extra_params.{k}", c.name),
                "secret extra parameters cannot be published to the runtime yet; remove it",
            );
            continue;
        }
        extra.insert(k.clone(), v.as_str().map_or_else(|| v.to_string(), String::from));
    }
    let base = Connection {
        id: c.name.clone(),
        db_type: c.db_type,
        host: c.host.clone(),
        port: u16::try_from(c.port).unwrap_or(0),
        database: c.database.clone(),
        username: c.username.clone(),
        password: None,
        ssl_mode: c.ssl_mode,
        allow_cleartext_password: c.allow_cleartext_password,
        extra_params: extra,
        pool: PoolSettings {
            min: u32::try_from(c.pool_min_size).unwrap_or(0),
            max: u32::try_from(c.pool_max_size).unwrap_or(1),
        },
        queue: QueueSettings {
            queue_enabled: c.queue_enabled,
            max_concurrent_queries: u32::try_from(c.max_concurrent_queries).unwrap_or(1),
            queue_timeout_seconds: u32::try_from(c.queue_timeout_seconds).unwrap_or(1),
            ..QueueSettings::default()
        },
        allowed_functions: c.allowed_functions.clone(),
        read_only_role: c.read_only_role.clone(),
    };
    let (mut sealed, mut fingerprint) = (base.clone(), base);
    if let Some(stored) = &c.password {
        match keys.store.decrypt(stored) {
            Ok(plain) => {
                sealed.password = Some(SealedSecret::seal(keys.runtime, &plain));
                fingerprint.password = Some(SealedSecret(format!("fingerprint:{}", sha256_hex(stored))));
            }
            Err(e) => p.push(format!("connections.{}.password", c.name), format!("{e}; set the password again")),
        }
    }
    (sealed, fingerprint)
}

/// `tools[3].sql` → `tools.get_orders.sql`, so a problem names what to open.
fn named_path(m: &Manifest, path: &str) -> String {
    let Some((head, rest)) = path.split_once('[') else { return path.to_string() };
    let Some((index, tail)) = rest.split_once(']') else { return path.to_string() };
    let Ok(i) = index.parse::<usize>() else { return path.to_string() };
    let name = match head {
        "connections" => m.connections.get(i).map(|c| c.id.as_str()),
        "tools" => m.tools.get(i).map(|t| t.name.as_str()),
        "resources" => m.resources.get(i).map(|r| r.name.as_str()),
        "prompts" => m.prompts.get(i).map(|p| p.name.as_str()),
        _ => None,
    };
    name.map_or_else(|| path.to_string(), |n| format!("{head}.{n}{tail}"))
}
