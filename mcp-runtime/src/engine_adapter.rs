//! The production [`ExecutorFactory`]: runs tool and resource SQL through the
//! SQL engine (`db::Engine`).
//!
//! One [`Engine`] lives as long as the process, so its pools outlive reloads:
//! a connection whose settings (password included, after opening the sealed
//! secret) did not change keeps its pool, a changed one gets a new pool on
//! first use, and a connection the new manifest no longer has is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use shared_model::ParamDef;
use shared_model::manifest::{Connection, Manifest};
use shared_model::secret::Keyring;

use crate::db::{ConnectionSpec, Engine, EngineError, Limits, Query};
use crate::exec::{ExecError, Executor, ExecutorFactory, QueryOutput, QueryRequest};
use crate::metrics::PoolStatus;

/// How long `/readyz` waits for each connection's `SELECT 1`.
const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds executors backed by one shared [`Engine`].
#[derive(Clone)]
pub struct EngineFactory {
    engine: Engine,
    keyring: Option<Keyring>,
    key_error: Option<String>,
}

impl EngineFactory {
    /// A factory that opens sealed passwords with `runtime_key`
    /// (`QUARRY_RUNTIME_KEY`: comma-separated base64 keys), if given.
    pub fn new(runtime_key: Option<&str>) -> EngineFactory {
        let (keyring, key_error) = match runtime_key.map(Keyring::from_base64_list) {
            None => (None, None),
            Some(Ok(ring)) => (Some(ring), None),
            Some(Err(e)) => (None, Some(format!("QUARRY_RUNTIME_KEY: {e}"))),
        };
        EngineFactory { engine: Engine::new(), keyring, key_error }
    }

    /// The engine whose pools the executors share (for tests and tools).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn spec(&self, c: &Connection) -> Result<ConnectionSpec, String> {
        let mut spec = ConnectionSpec::new(c.db_type, &c.host, c.port, &c.database, &c.username);
        spec.password = match &c.password {
            None => None,
            Some(sealed) => {
                let ring = self.keyring.as_ref().ok_or_else(|| {
                    self.key_error.clone().unwrap_or_else(|| {
                        format!("connection {}: the password is sealed but QUARRY_RUNTIME_KEY is not set", c.id)
                    })
                })?;
                Some(sealed.open(ring).map_err(|e| format!("connection {}: {e}", c.id))?)
            }
        };
        spec.ssl_mode = c.ssl_mode;
        spec.allow_cleartext_password = c.allow_cleartext_password;
        spec.extra_params = c.extra_params.clone();
        spec.pool_min = c.pool.min;
        spec.pool_max = c.pool.max;
        spec.allowed_functions = c.allowed_functions.clone();
        spec.read_only_role = c.read_only_role.clone();
        Ok(spec)
    }
}

impl ExecutorFactory for EngineFactory {
    fn build(&self, manifest: &Manifest, _previous: Option<Arc<dyn Executor>>) -> Result<Arc<dyn Executor>, String> {
        let mut specs = HashMap::with_capacity(manifest.connections.len());
        let mut problems = Vec::new();
        for c in &manifest.connections {
            match self.spec(c) {
                Ok(spec) => {
                    specs.insert(c.id.clone(), Arc::new(spec));
                }
                Err(e) => problems.push(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        // Pools of unchanged connections stay; the engine rebuilds a pool when a
        // spec's fingerprint differs. Removed connections lose theirs now (a call
        // still running on the old release keeps its own handle until it ends).
        self.engine.retain(|id| specs.contains_key(id));
        Ok(Arc::new(EngineExecutor { engine: self.engine.clone(), specs }))
    }
}

/// Runs one release's SQL on the shared engine.
struct EngineExecutor {
    engine: Engine,
    specs: HashMap<String, Arc<ConnectionSpec>>,
}

/// Validates `args` against `params` as the engine will (defaults applied,
/// unknown arguments refused), as an [`ExecError`].
pub fn validate_args(params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ExecError> {
    crate::args::validate(params, args).map_err(|e| ExecError::InvalidArgument { param: e.param, message: e.message })
}

/// The executor's view of an engine failure.
pub fn exec_error(e: EngineError) -> ExecError {
    match e {
        EngineError::InvalidArgument(a) => ExecError::InvalidArgument { param: a.param, message: a.message },
        EngineError::Timeout(d) => ExecError::Timeout { seconds: d.as_secs().try_into().unwrap_or(u32::MAX) },
        EngineError::Connect(_) | EngineError::PoolExhausted(_) => ExecError::Unavailable { detail: e.to_string() },
        other => ExecError::Database { detail: other.to_string() },
    }
}

/// Says what a cap cut, for the `[truncated]` notice.
fn truncation_notice(rows: usize, limits: &Limits) -> String {
    if rows >= limits.max_rows {
        format!("only the first {} rows are shown (the tool's max_rows); narrow the query for the rest", rows)
    } else {
        format!("{rows} rows are shown: the result reached the tool's max_bytes ({} bytes)", limits.max_bytes)
    }
}

impl Executor for EngineExecutor {
    fn validate(&self, params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ExecError> {
        validate_args(params, args)
    }

    fn execute<'a>(&'a self, req: QueryRequest<'a>) -> BoxFuture<'a, Result<QueryOutput, ExecError>> {
        Box::pin(async move {
            let spec = self
                .specs
                .get(req.connection)
                .ok_or_else(|| ExecError::Unavailable { detail: format!("no connection {}", req.connection) })?;
            let limits = Limits::from_manifest(req.limits);
            let q = Query {
                sql: req.sql,
                params: req.params,
                args: req.args,
                read_only: req.read_only,
                limits,
                exact_numerics: req.exact_numerics,
                offset: req.offset,
            };
            // Dropping the engine's future cancels the statement server-side.
            let result = tokio::select! {
                biased;
                _ = req.cancel.cancelled() => return Err(ExecError::Cancelled),
                r = self.engine.execute(req.connection, spec, &q) => r.map_err(exec_error)?,
            };
            let truncated = result.truncated.then(|| truncation_notice(result.row_count, &limits));
            Ok(QueryOutput {
                columns: result.columns.into_iter().map(|c| c.name).collect(),
                rows: result.rows.into_iter().map(Value::Object).collect(),
                truncated,
            })
        })
    }

    fn pools(&self) -> BTreeMap<String, PoolStatus> {
        self.specs
            .iter()
            .map(|(id, spec)| {
                let s = self.engine.pool_state(id).unwrap_or_default();
                let max = if s.max == 0 { spec.pool_max.max(1) as u64 } else { s.max as u64 };
                (id.clone(), PoolStatus { in_use: s.in_use as u64, idle: s.idle as u64, max })
            })
            .collect()
    }

    fn ping(&self) -> BoxFuture<'_, crate::ready::ConnectionHealth> {
        Box::pin(async move {
            let limits = Limits { max_rows: 1, max_bytes: 1024, timeout: PING_TIMEOUT };
            let empty = Map::new();
            let probes = self.specs.iter().map(|(id, spec)| {
                let q = Query::new("SELECT 1", &[], &empty, true, limits);
                async move {
                    let r = tokio::time::timeout(PING_TIMEOUT, self.engine.execute(id, spec, &q)).await;
                    let answer = match r {
                        Ok(Ok(_)) => Ok(()),
                        Ok(Err(e)) => Err(format!("connection {id}: {e}")),
                        Err(_) => Err(format!("connection {id}: no answer within {} s", PING_TIMEOUT.as_secs())),
                    };
                    (id.to_string(), answer)
                }
            });
            futures::future::join_all(probes).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ArgError;

    #[test]
    fn engine_errors_map_to_what_the_caller_can_act_on() {
        let arg = EngineError::InvalidArgument(ArgError { param: "id".into(), message: "is required".into() });
        assert_eq!(exec_error(arg), ExecError::InvalidArgument { param: "id".into(), message: "is required".into() });
        assert_eq!(exec_error(EngineError::Timeout(Duration::from_secs(3))), ExecError::Timeout { seconds: 3 });
        assert!(matches!(exec_error(EngineError::PoolExhausted(5)), ExecError::Unavailable { .. }));
        assert!(matches!(exec_error(EngineError::Connect("refused".into())), ExecError::Unavailable { .. }));
        assert!(matches!(exec_error(EngineError::ReadOnly("no".into())), ExecError::Database { .. }));
    }

    fn manifest(password: Option<&str>) -> Manifest {
        let pw = password.map_or(String::new(), |p| format!(r#","password":"{p}""#));
        Manifest::from_json(&format!(
            r#"{{"format_version":1,"release":1,"server":{{"name":"m"}},
               "connections":[{{"id":"db","db_type":"postgresql","host":"h","database":"d"{pw}}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn sealed_passwords_are_opened_with_the_runtime_key_and_refused_without_it() {
        let key = Keyring::generate_key();
        let sealed = Keyring::from_base64_list(&key).unwrap().encrypt("s3cret");
        let m = manifest(Some(&sealed));
        let factory = EngineFactory::new(Some(&key));
        let conn = &m.connections[0];
        assert_eq!(factory.spec(conn).unwrap().password.as_deref(), Some("s3cret"));
        let err = EngineFactory::new(None).build(&m, None).err().unwrap();
        assert!(err.contains("QUARRY_RUNTIME_KEY") && !err.contains("s3cret"), "{err}");
        let other = EngineFactory::new(Some(&Keyring::generate_key())).build(&m, None).err().unwrap();
        assert!(other.contains("connection db"), "{other}");
        assert!(EngineFactory::new(None).build(&manifest(None), None).is_ok());
    }
}
