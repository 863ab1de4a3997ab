//! Argument validation: checks a caller's JSON arguments against the declared
//! [`ParamDef`]s and applies defaults, before anything reaches a database.
//!
//! The MCP server calls [`validate`] to answer bad `tools/call` arguments, and
//! the engine calls it again before binding, so a preview and a deployed tool
//! accept exactly the same inputs.

use serde_json::{Map, Value};
use shared_model::{ParamDef, ParamType};

/// A rejected argument; `param` names the parameter so the caller can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter {param:?}: {message}")]
pub struct ArgError {
    /// The parameter's name (or the unknown argument's name).
    pub param: String,
    /// What is wrong, in words a caller can act on.
    pub message: String,
}

impl ArgError {
    fn new(param: &str, message: impl Into<String>) -> Self {
        ArgError { param: param.to_string(), message: message.into() }
    }
}

/// Validates `args` against `params` and returns them with defaults applied.
///
/// Arguments that no parameter declares are refused, so that a typo does not
/// silently fall back to a default. A JSON `null` counts as "not given".
/// Optional parameters without a default and without a value are left out;
/// they bind as SQL `NULL`.
pub fn validate(params: &[ParamDef], args: &Map<String, Value>) -> Result<Map<String, Value>, ArgError> {
    if let Some(unknown) = args.keys().find(|k| !params.iter().any(|p| &p.name == *k)) {
        return Err(ArgError::new(unknown, "is not a parameter of this query"));
    }
    let mut out = Map::with_capacity(params.len());
    for p in params {
        let value = match args.get(&p.name).filter(|v| !v.is_null()).or(p.default.as_ref()) {
            Some(v) => v,
            None if p.required => return Err(ArgError::new(&p.name, "is required")),
            None => continue,
        };
        check_value(p, value)?;
        out.insert(p.name.clone(), value.clone());
    }
    Ok(out)
}

/// Fills the claim-bound parameters (`from_claim`) of `params` from the
/// caller's token `claims` and returns the arguments to [`validate`].
///
/// This is the one place identity reaches a query: a tool call, a SQL
/// resource read and a preview all pass through it. It fails closed: a value
/// the model sent for a claim-bound parameter is refused (naming the
/// parameter), and a call without claims (no OAuth token) or whose token
/// lacks the claim is refused, never bound to a default or to `NULL`. An
/// array claim binds an `array` parameter as is; the types are then checked
/// by [`validate`] like any argument. Without claim-bound parameters `args` is
/// returned unchanged.
pub fn bind_claims(
    params: &[ParamDef],
    args: &Map<String, Value>,
    claims: Option<&Map<String, Value>>,
) -> Result<Map<String, Value>, ArgError> {
    let mut out = args.clone();
    for p in params {
        let Some(claim) = &p.from_claim else { continue };
        if args.contains_key(&p.name) {
            return Err(ArgError::new(
                &p.name,
                "is set from the caller's identity and cannot be supplied; leave it out",
            ));
        }
        let Some(claims) = claims else {
            return Err(ArgError::new(
                &p.name,
                format!("is bound to the {claim:?} claim of an OAuth access token, and this call has none"),
            ));
        };
        match claims.get(claim).filter(|v| !v.is_null()) {
            Some(v) => out.insert(p.name.clone(), v.clone()),
            None => return Err(ArgError::new(&p.name, format!("the caller's access token has no {claim:?} claim"))),
        };
    }
    Ok(out)
}

fn check_value(p: &ParamDef, value: &Value) -> Result<(), ArgError> {
    if !p.param_type.accepts(value) {
        return Err(ArgError::new(&p.name, format!("must be {}, got {}", article(p.param_type), describe(value))));
    }
    if let Value::Array(items) = value {
        let item_type = p.element_type();
        for (i, item) in items.iter().enumerate() {
            if !item_type.accepts(item) {
                let msg = format!("item {i} must be {}, got {}", article(item_type), describe(item));
                return Err(ArgError::new(&p.name, msg));
            }
            check_enum(p, item)?;
        }
        return check_bounds(p, items.len() as f64, "items");
    }
    check_enum(p, value)?;
    match value {
        Value::String(s) => {
            check_bounds(p, s.chars().count() as f64, "characters")?;
            check_pattern(p, s)
        }
        Value::Number(n) => check_bounds(p, n.as_f64().unwrap_or(f64::NAN), ""),
        _ => Ok(()),
    }
}

fn check_enum(p: &ParamDef, value: &Value) -> Result<(), ArgError> {
    // Numbers compare by value so that `1` matches an enum entry written `1.0`.
    let same = |e: &Value| e == value || (e.as_f64().is_some() && e.as_f64() == value.as_f64());
    if p.enum_values.is_empty() || p.enum_values.iter().any(same) {
        return Ok(());
    }
    let allowed: Vec<String> = p.enum_values.iter().map(Value::to_string).collect();
    Err(ArgError::new(&p.name, format!("must be one of {}", allowed.join(", "))))
}

/// `unit` is empty for numeric bounds, or what is counted for lengths.
fn check_bounds(p: &ParamDef, measure: f64, unit: &str) -> Result<(), ArgError> {
    let what = if unit.is_empty() { String::new() } else { format!(" {unit}") };
    let msg = |rel: &str, bound: f64| {
        if unit.is_empty() { format!("must be {rel} {bound}") } else { format!("must have {rel} {bound}{what}") }
    };
    if let Some(min) = p.min.filter(|&m| measure < m || measure.is_nan()) {
        return Err(ArgError::new(&p.name, msg("at least", min)));
    }
    if let Some(max) = p.max.filter(|&m| measure > m) {
        return Err(ArgError::new(&p.name, msg("at most", max)));
    }
    Ok(())
}

fn check_pattern(p: &ParamDef, s: &str) -> Result<(), ArgError> {
    let Some(pattern) = &p.pattern else { return Ok(()) };
    // Unanchored, as JSON Schema's `pattern` is: the tool's inputSchema says the same.
    let re = regex::Regex::new(pattern).map_err(|e| ArgError::new(&p.name, format!("has an invalid pattern: {e}")))?;
    if re.is_match(s) { Ok(()) } else { Err(ArgError::new(&p.name, format!("must match the pattern {pattern:?}"))) }
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::String => "a string",
        ParamType::Integer => "an integer",
        ParamType::Number => "a number",
        ParamType::Boolean => "a boolean",
        ParamType::Array => "an array",
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
