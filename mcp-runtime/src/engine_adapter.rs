//! The production [`ExecutorFactory`]. Until the SQL engine (`db/`) is wired
//! in, executions fail with a clear "unavailable" error; manifests without SQL
//! (static resources, prompts, the conformance fixtures) serve fully.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use shared_model::ParamDef;
use shared_model::manifest::Manifest;

use crate::exec::{ExecError, Executor, ExecutorFactory, QueryOutput, QueryRequest};
use crate::metrics::PoolStatus;

/// Builds executors backed by the engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct EngineFactory;

struct Pending;

impl ExecutorFactory for EngineFactory {
    fn build(&self, _manifest: &Manifest, _previous: Option<Arc<dyn Executor>>) -> Result<Arc<dyn Executor>, String> {
        Ok(Arc::new(Pending))
    }
}

impl Executor for Pending {
    fn validate(&self, params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ExecError> {
        let mut out = args.clone();
        for p in params {
            match (args.get(&p.name), &p.default) {
                (Some(v), _) if !p.param_type.accepts(v) => {
                    return Err(ExecError::InvalidArgument {
                        param: p.name.clone(),
                        message: format!("must be a {}", p.param_type.json_schema_type()),
                    });
                }
                (None, Some(d)) => {
                    out.insert(p.name.clone(), d.clone());
                }
                (None, None) if p.required => {
                    return Err(ExecError::InvalidArgument { param: p.name.clone(), message: "is required".into() });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    fn execute<'a>(&'a self, _req: QueryRequest<'a>) -> BoxFuture<'a, Result<QueryOutput, ExecError>> {
        Box::pin(async { Err(ExecError::Unavailable { detail: "the SQL engine is not part of this build".into() }) })
    }

    fn transform(&self, template: &str, _context: &Value) -> Result<String, String> {
        Ok(template.to_string())
    }

    fn pools(&self) -> BTreeMap<String, PoolStatus> {
        BTreeMap::new()
    }

    fn ping(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}
