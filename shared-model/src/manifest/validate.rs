//! `Manifest::validate`: collects every problem, each with its path.

use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;

use super::oauth::check_scopes;
use super::{
    AuthSettings, Connection, Manifest, PAGE_CURSOR, Prompt, Resource, ResourceSource, ResultLimits, ReturnType, Tool,
};
use crate::names::{normalized_name, validate_name};
use crate::params::check_params;
use crate::placeholders::{Dialect, check_placeholders, uri_template_params};
use crate::problems::Problems;
use crate::vars::check_vars;

/// Longest accepted description or instructions text.
const MAX_TEXT: usize = 10_000;

impl Manifest {
    /// Checks the whole manifest; `Err` lists every problem with its path.
    pub fn validate(&self) -> Result<(), Problems> {
        let mut p = Problems::default();
        if self.format_version != super::FORMAT_VERSION {
            p.push("format_version", format!("unsupported format {} (this runtime reads 1)", self.format_version));
        }
        if !self.content_hash.is_empty() && self.content_hash != self.compute_hash() {
            p.push("content_hash", "does not match the content (the manifest was altered after publishing)");
        }
        let name_len = self.server.name.chars().count();
        if !(1..=255).contains(&name_len) {
            p.push("server.name", "must be 1–255 characters");
        }
        if self.server.instructions.as_ref().is_some_and(|i| i.len() > MAX_TEXT) {
            p.push("server.instructions", format!("must be at most {MAX_TEXT} bytes"));
        }
        check_auth(&self.auth, &mut p);
        check_vars(&self.vars, "vars", &mut p);
        let mut ids = Names::default();
        for (i, c) in self.connections.iter().enumerate() {
            let path = format!("connections[{i}]");
            ids.add(&c.id, &format!("{path}.id"), "connection", &mut p);
            check_connection(c, &path, &mut p);
        }
        let mut names = Names::default();
        for (i, t) in self.tools.iter().enumerate() {
            let path = format!("tools[{i}]");
            names.add(&t.name, &format!("{path}.name"), "tool", &mut p);
            self.check_tool(t, &path, &mut p);
        }
        let (mut names, mut uris) = (Names::default(), HashMap::new());
        for (i, r) in self.resources.iter().enumerate() {
            let path = format!("resources[{i}]");
            names.add(&r.name, &format!("{path}.name"), "resource", &mut p);
            if let Some(uri) = r.uri.as_ref().or(r.uri_template.as_ref())
                && let Some(first) = uris.insert(uri.clone(), i)
            {
                p.push(format!("{path}.uri"), format!("{uri:?} is also used by resources[{first}]"));
            }
            self.check_resource(r, &path, &mut p);
        }
        let mut names = Names::default();
        for (i, pr) in self.prompts.iter().enumerate() {
            let path = format!("prompts[{i}]");
            names.add(&pr.name, &format!("{path}.name"), "prompt", &mut p);
            check_prompt(pr, &path, &mut p);
        }
        p.into_result()
    }

    /// The dialect of connection `id`, recording a problem when it does not exist.
    fn dialect_of(&self, id: &str, path: &str, p: &mut Problems) -> Dialect {
        match self.connection(id) {
            Some(c) => c.db_type.dialect(),
            None => {
                p.push(path, format!("connection {id:?} does not exist"));
                Dialect::Postgres
            }
        }
    }

    fn check_tool(&self, t: &Tool, path: &str, p: &mut Problems) {
        if t.description.len() > MAX_TEXT {
            p.push(format!("{path}.description"), format!("must be at most {MAX_TEXT} bytes"));
        }
        let dialect = self.dialect_of(&t.connection, &format!("{path}.connection"), p);
        check_params(&t.parameters, &format!("{path}.parameters"), p);
        check_placeholders(
            &t.sql,
            dialect,
            &t.parameters,
            (&format!("{path}.sql"), &format!("{path}.parameters")),
            true,
            p,
        );
        if t.cache_ttl_seconds > 86_400 {
            p.push(format!("{path}.cache_ttl_seconds"), "must be at most 86400 (one day)");
        }
        if t.pageable && t.return_type != ReturnType::Rows {
            p.push(format!("{path}.pageable"), "only a tool returning `rows` can be paged");
        }
        if t.pageable && t.parameters.iter().any(|d| d.name == PAGE_CURSOR) {
            p.push(format!("{path}.pageable"), "a pageable tool takes `cursor` itself; rename that parameter");
        }
        if let Some(schema) = &t.output_schema
            && schema.get("type").and_then(|v| v.as_str()) != Some("object")
        {
            p.push(
                format!("{path}.output_schema"),
                "must be a JSON Schema of `\"type\": \"object\"` (MCP requires it)",
            );
        }
        check_limits(&t.limits, &format!("{path}.limits"), p);
        check_scopes(&t.scopes, &format!("{path}.scopes"), p);
    }

    fn check_resource(&self, r: &Resource, path: &str, p: &mut Problems) {
        let vars = match (&r.uri, &r.uri_template) {
            (Some(uri), None) => {
                check_uri(uri, &format!("{path}.uri"), p);
                Vec::new()
            }
            (None, Some(t)) => {
                check_uri(t, &format!("{path}.uri_template"), p);
                uri_template_params(t).unwrap_or_else(|e| {
                    p.push(format!("{path}.uri_template"), e);
                    Vec::new()
                })
            }
            _ => {
                p.push(path, "set exactly one of uri and uri_template");
                Vec::new()
            }
        };
        check_params(&r.parameters, &format!("{path}.parameters"), p);
        let declared: BTreeSet<&str> = r.parameters.iter().map(|d| d.name.as_str()).collect();
        for v in &vars {
            if !declared.contains(v.as_str()) {
                p.push(format!("{path}.uri_template"), format!("{{{v}}} has no parameter declared"));
            }
        }
        for (i, d) in r.parameters.iter().enumerate() {
            // A claim-bound parameter comes from the caller's token, never from the URI.
            match (vars.contains(&d.name), d.from_claim.is_some()) {
                (false, false) => p.push(
                    format!("{path}.parameters[{i}]"),
                    format!("{:?} does not appear in the URI template", d.name),
                ),
                (true, true) => p.push(
                    format!("{path}.parameters[{i}].from_claim"),
                    format!("{:?} is bound to a claim, so it cannot also be a URI template variable", d.name),
                ),
                _ => {}
            }
            if d.from_claim.is_some() && !matches!(r.source, ResourceSource::Sql { .. }) {
                p.push(format!("{path}.parameters[{i}].from_claim"), "only SQL resources take claim-bound parameters");
            }
        }
        check_scopes(&r.scopes, &format!("{path}.scopes"), p);
        if let Some(m) = &r.mime_type
            && (!m.contains('/') || m.len() > 255)
        {
            p.push(format!("{path}.mime_type"), format!("{m:?} is not a MIME type"));
        }
        match &r.source {
            ResourceSource::Sql { sql, connection } => {
                let dialect = self.dialect_of(connection, &format!("{path}.source.connection"), p);
                let paths = (&format!("{path}.source.sql") as &str, &format!("{path}.parameters") as &str);
                check_placeholders(sql, dialect, &r.parameters, paths, false, p);
                check_limits(&r.limits, &format!("{path}.limits"), p);
            }
            ResourceSource::Text { text } if text.len() > 16 << 20 => {
                p.push(format!("{path}.source.text"), "must be at most 16 MiB");
            }
            ResourceSource::Blob { base64 } => {
                if base64::engine::general_purpose::STANDARD.decode(base64).is_err() {
                    p.push(format!("{path}.source.base64"), "is not valid base64");
                }
            }
            ResourceSource::Text { .. } => {}
        }
    }
}

/// Records duplicate names (after normalisation) and invalid ones.
#[derive(Default)]
struct Names(HashMap<String, String>);

impl Names {
    fn add(&mut self, name: &str, path: &str, kind: &str, p: &mut Problems) {
        if let Err(e) = validate_name(name) {
            p.push(path, format!("{kind} name {name:?} {e}"));
        }
        if let Some(first) = self.0.insert(normalized_name(name), path.to_string()) {
            p.push(
                path,
                format!("{kind} name {name:?} clashes with {first} (names compare case-insensitively, '-' = '_')"),
            );
        }
    }
}

fn check_auth(auth: &AuthSettings, p: &mut Problems) {
    let tokens = match auth {
        AuthSettings::None => return,
        AuthSettings::Oauth(o) => return o.check("auth", p),
        AuthSettings::Bearer { tokens } => tokens,
    };
    if tokens.is_empty() || tokens.len() > 1000 {
        p.push("auth.tokens", "bearer auth needs 1–1000 tokens");
    }
    for (i, t) in tokens.iter().enumerate() {
        if t.hash.len() != 64 || !t.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            p.push(format!("auth.tokens[{i}].hash"), "must be 64 hex digits (HMAC-SHA256)");
        }
        if t.id.is_empty() || t.id.len() > 64 {
            p.push(format!("auth.tokens[{i}].id"), "must be 1–64 characters");
        }
    }
}

fn check_connection(c: &Connection, path: &str, p: &mut Problems) {
    let sqlite = c.db_type == super::DbType::Sqlite;
    if !sqlite && c.host.trim().is_empty() {
        p.push(format!("{path}.host"), "must not be empty");
    }
    if c.database.trim().is_empty() {
        p.push(format!("{path}.database"), "must not be empty");
    }
    if !(1..=100).contains(&c.pool.max) {
        p.push(format!("{path}.pool.max"), "must be 1–100");
    }
    if c.pool.min > c.pool.max {
        p.push(format!("{path}.pool.min"), format!("must not exceed pool.max ({})", c.pool.max));
    }
    let q = &c.queue;
    if !(1..=200).contains(&q.max_concurrent_queries) {
        p.push(format!("{path}.queue.max_concurrent_queries"), "must be 1–200");
    }
    if !(1..=300).contains(&q.queue_timeout_seconds) {
        p.push(format!("{path}.queue.queue_timeout_seconds"), "must be 1–300");
    }
    if q.max_waiters > 10_000 {
        p.push(format!("{path}.queue.max_waiters"), "must be at most 10000");
    }
}

fn check_limits(l: &ResultLimits, path: &str, p: &mut Problems) {
    if !(1..=100_000).contains(&l.max_rows) {
        p.push(format!("{path}.max_rows"), "must be 1–100000");
    }
    if !(1024..=16 << 20).contains(&l.max_bytes) {
        p.push(format!("{path}.max_bytes"), "must be 1024–16777216");
    }
    if !(1..=3600).contains(&l.timeout_seconds) {
        p.push(format!("{path}.timeout_seconds"), "must be 1–3600");
    }
}

fn check_uri(uri: &str, path: &str, p: &mut Problems) {
    let scheme_ok = uri
        .split_once("://")
        .is_some_and(|(s, _)| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)));
    if !scheme_ok || uri.len() > 2048 || uri.chars().any(char::is_whitespace) {
        p.push(path, format!("{uri:?} is not a URI like scheme://path"));
    }
}

fn check_prompt(pr: &Prompt, path: &str, p: &mut Problems) {
    if !(1..=100_000).contains(&pr.template.len()) {
        p.push(format!("{path}.template"), "must be 1–100000 bytes");
    }
    if pr.title.as_ref().is_some_and(|t| t.chars().count() > 255) {
        p.push(format!("{path}.title"), "must be at most 255 characters");
    }
    check_scopes(&pr.scopes, &format!("{path}.scopes"), p);
    if pr.arguments.len() > 50 {
        p.push(format!("{path}.arguments"), "at most 50 arguments are allowed");
    }
    let mut seen = BTreeSet::new();
    for (i, a) in pr.arguments.iter().enumerate() {
        let here = format!("{path}.arguments[{i}]");
        if let Err(e) = validate_name(&a.name) {
            p.push(format!("{here}.name"), format!("argument name {:?} {e}", a.name));
        }
        if !seen.insert(a.name.as_str()) {
            p.push(format!("{here}.name"), format!("argument {:?} is declared twice", a.name));
        }
        if let Some(d) = &a.default
            && !a.enum_values.is_empty()
            && !a.enum_values.contains(d)
        {
            p.push(format!("{here}.default"), "must be one of the enum values");
        }
    }
}
