//! Resources: fixed URIs and `{param}` templates, backed by SQL (rows as
//! JSON, URI parameters bound), static text or static binary content.

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource as McpResource, ResourceContents,
    ResourceTemplate,
};
use serde_json::{Map, Value};
use shared_model::manifest::{Resource, ResourceSource, ReturnType, Tool, ToolAnnotations};
use shared_model::telemetry::Subject;
use shared_model::{ParamType, uri_template_params};
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::observe::{self, Spent};
use super::tools::execute;
use crate::metrics::FinishedCall;
use crate::release::Release;

fn mime(r: &Resource) -> String {
    r.mime_type.clone().unwrap_or_else(|| match r.source {
        ResourceSource::Sql { .. } => "application/json".into(),
        ResourceSource::Text { .. } => "text/plain".into(),
        ResourceSource::Blob { .. } => "application/octet-stream".into(),
    })
}

/// `resources/list`: the fixed-URI resources, in manifest order.
pub(super) fn list(release: &Release) -> ListResourcesResult {
    let items = release
        .manifest
        .resources
        .iter()
        .filter_map(|r| {
            let uri = r.uri.as_ref()?;
            let mut item = McpResource::new(uri.clone(), r.name.clone()).with_mime_type(mime(r));
            if !r.description.is_empty() {
                item = item.with_description(r.description.clone());
            }
            Some(r.title.as_ref().map_or(item.clone(), |t| item.with_title(t.clone())))
        })
        .collect();
    ListResourcesResult::with_all_items(items)
}

/// `resources/templates/list`: the URI templates, in manifest order.
pub(super) fn templates(release: &Release) -> ListResourceTemplatesResult {
    let items = release
        .manifest
        .resources
        .iter()
        .filter_map(|r| {
            let t = r.uri_template.as_ref()?;
            let mut item = ResourceTemplate::new(t.clone(), r.name.clone()).with_mime_type(mime(r));
            if !r.description.is_empty() {
                item = item.with_description(r.description.clone());
            }
            Some(item)
        })
        .collect();
    ListResourceTemplatesResult::with_all_items(items)
}

/// Matches `uri` against a template, returning the variables' raw values.
pub fn match_template(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
    let names = uri_template_params(template).ok()?;
    let mut literals: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literals.push(&rest[..open]);
        rest = &rest[rest[open..].find('}')? + open + 1..];
    }
    literals.push(rest);
    let mut pos = uri.strip_prefix(literals[0])?;
    let mut values = Vec::new();
    for (i, lit) in literals.iter().enumerate().skip(1) {
        let end = if lit.is_empty() { pos.find('/').unwrap_or(pos.len()) } else { pos.find(lit)? };
        let value = &pos[..end];
        if value.is_empty() || value.contains('/') {
            return None;
        }
        values.push((names.get(i - 1)?.clone(), value.to_string()));
        pos = &pos[end + lit.len()..];
    }
    pos.is_empty().then_some(values)
}

/// `resources/read`.
pub(super) async fn read(
    shared: &Shared,
    release: Arc<Release>,
    uri: &str,
    ct: CancellationToken,
    caller: super::observe::Caller,
) -> Result<ReadResourceResult, ErrorData> {
    let found = release.manifest.resources.iter().find_map(|r| match (&r.uri, &r.uri_template) {
        (Some(u), _) if u == uri => Some((r, Vec::new())),
        (None, Some(t)) => match_template(t, uri).map(|vars| (r, vars)),
        _ => None,
    });
    let Some((resource, vars)) = found else {
        return Err(ErrorData::resource_not_found(
            format!("no resource matches {uri}"),
            Some(serde_json::json!({"uri": uri})),
        ));
    };
    let contents = match &resource.source {
        ResourceSource::Text { text } => {
            let mut text = text.clone();
            for (k, v) in &vars {
                text = text.replace(&format!("{{{k}}}"), v);
            }
            ResourceContents::text(text, uri).with_mime_type(mime(resource))
        }
        ResourceSource::Blob { base64 } => ResourceContents::blob(base64.clone(), uri).with_mime_type(mime(resource)),
        ResourceSource::Sql { sql, connection } => {
            let started = Instant::now();
            let mut spent = Spent::default();
            let out = match sql_args(&release, resource, &vars, caller.claims()) {
                Ok(args) => run_sql(&release, resource, sql, connection, &args, ct, &mut spent).await,
                Err(e) => Err(e),
            };
            let elapsed = started.elapsed();
            if let Some(stats) = release.resource_stats.get(&resource.name) {
                let label = format!("resource:{}", resource.name);
                shared.metrics.record_call(stats, &label, elapsed, out.is_ok());
            }
            let finished = FinishedCall {
                subject: Subject::Resource,
                name: &resource.name,
                connection,
                elapsed,
                rows: out.as_ref().map_or(0, |(_, rows)| *rows),
                bytes: out.as_ref().map_or(0, |(text, _)| text.len() as u64),
                cached: false,
                error_class: out.as_ref().err().map(|_| "resource_error"),
            };
            let arguments = || {
                let given: Map<String, Value> =
                    vars.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
                observe::redacted(&resource.parameters, &given)
            };
            observe::finished(shared, &release, finished, spent, caller.client.clone(), arguments);
            ResourceContents::text(out?.0, uri).with_mime_type(mime(resource))
        }
    };
    Ok(ReadResourceResult::new(vec![contents]))
}

/// The URI variables typed by their parameters, the claim-bound parameters
/// filled from the caller's token, validated.
fn sql_args(
    release: &Release,
    r: &Resource,
    vars: &[(String, String)],
    claims: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, ErrorData> {
    let mut args = Map::new();
    for (k, raw) in vars {
        let ty = r.parameters.iter().find(|p| &p.name == k).map_or(ParamType::String, |p| p.param_type);
        let value = match ty {
            ParamType::Integer => raw.parse::<i64>().map(Value::from).ok(),
            ParamType::Number => raw.parse::<f64>().ok().map(Value::from),
            ParamType::Boolean => raw.parse::<bool>().ok().map(Value::from),
            _ => Some(Value::String(raw.clone())),
        };
        let value = value.ok_or_else(|| {
            ErrorData::invalid_params(format!("{k}: {raw:?} is not a valid {}", ty.json_schema_type()), None)
        })?;
        args.insert(k.clone(), value);
    }
    let args = crate::args::bind_claims(&r.parameters, &args, claims)
        .map_err(|e| ErrorData::invalid_params(e.to_string(), None))?;
    release.executor.validate(&r.parameters, &args).map_err(|e| ErrorData::invalid_params(e.to_string(), None))
}

async fn run_sql(
    release: &Release,
    r: &Resource,
    sql: &str,
    connection: &str,
    args: &Map<String, Value>,
    ct: CancellationToken,
    spent: &mut Spent,
) -> Result<(String, u64), ErrorData> {
    // Resources run through the same queue and limits as tools.
    let as_tool = Tool {
        name: r.name.clone(),
        title: None,
        description: String::new(),
        sql: sql.to_string(),
        connection: connection.to_string(),
        parameters: r.parameters.clone(),
        // Reading a resource never writes: its SQL runs read-only.
        annotations: ToolAnnotations { read_only: true, ..Default::default() },
        cache_ttl_seconds: 0,
        return_type: ReturnType::Rows,
        transform_template: None,
        limits: r.limits.clone(),
        pageable: false,
        output_schema: None,
        scopes: r.scopes.clone(),
    };
    let out = execute(release, &as_tool, args, 0, ct, spent).await.map_err(|e| {
        let msg = super::tools::db_error(release, &r.name, e)
            .content
            .first()
            .and_then(|c| c.as_text().map(|t| t.text.clone()));
        ErrorData::internal_error(msg.unwrap_or_default(), None)
    })?;
    let rows = out.rows.len() as u64;
    let mut body = serde_json::json!({ "columns": out.columns, "rows": out.rows });
    if let Some(n) = out.truncated {
        body["truncated"] = Value::String(n);
    }
    Ok((body.to_string(), rows))
}

#[cfg(test)]
mod tests {
    use super::match_template;

    #[test]
    fn templates_match_and_extract_variables() {
        let v = match_template("shop://customers/{id}", "shop://customers/42").unwrap();
        assert_eq!(v, [("id".to_string(), "42".to_string())]);
        let v = match_template("test://template/{id}/data", "test://template/123/data").unwrap();
        assert_eq!(v[0].1, "123");
        assert!(match_template("shop://customers/{id}", "shop://orders/42").is_none());
        assert!(match_template("test://template/{id}/data", "test://template/123/other").is_none());
    }
}
