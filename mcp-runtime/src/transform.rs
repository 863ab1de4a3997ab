//! Transform templates: minijinja over a query's `rows`, `columns` and
//! `params`, in a sandbox.
//!
//! The environment has no loader (so no `include`/`import` of files), no
//! functions that reach the file system or network, a fuel budget that
//! bounds the work a template may do, a recursion limit, and an output cap.
//! Errors come back as `Err(message)`, never as a panic, so the caller can
//! show them next to the raw rows.

use std::io;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use crate::db::Column;

/// Instructions a template may execute (a loop over 1000 rows with a few
/// expressions each uses well under 100 000).
pub const TRANSFORM_FUEL: u64 = 5_000_000;
/// Deepest nesting of calls, macros and includes.
pub const TRANSFORM_RECURSION_LIMIT: usize = 64;
/// Most bytes a template may output.
pub const TRANSFORM_MAX_OUTPUT: usize = 10 * 1024 * 1024;

/// Renders `template` with `rows`, `columns` (their names) and `params`.
/// Output that parses as JSON is returned parsed, other output as a string;
/// blank output is `[]`.
pub fn render(
    template: &str,
    rows: &[Map<String, Value>],
    columns: &[Column],
    params: &Map<String, Value>,
) -> Result<Value, String> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let ctx = serde_json::json!({ "rows": rows, "columns": names, "params": params, "row_count": rows.len() });
    render_value(template, &ctx)
}

/// Renders `template` over an arbitrary JSON context object and parses the
/// output as [`render`] does.
pub fn render_value(template: &str, ctx: &Value) -> Result<Value, String> {
    let text = render_text(template, ctx)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    Ok(serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(trimmed.to_string())))
}

/// Renders `template` over `ctx` and returns the raw text.
pub fn render_text(template: &str, ctx: &Value) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_fuel(Some(TRANSFORM_FUEL));
    env.set_recursion_limit(TRANSFORM_RECURSION_LIMIT);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let tmpl = env.template_from_str(template).map_err(describe)?;
    let mut out = Capped { buf: Vec::new(), cap: TRANSFORM_MAX_OUTPUT, overflowed: false };
    let rendered = tmpl.render_captured_to(to_template_value(ctx), &mut out);
    if out.overflowed {
        return Err(format!("the template output exceeds {TRANSFORM_MAX_OUTPUT} bytes"));
    }
    rendered.map_err(describe)?;
    String::from_utf8(out.buf).map_err(|_| "the template produced invalid UTF-8".to_string())
}

/// JSON to template values, by hand: serde_json's `arbitrary_precision`
/// numbers would otherwise reach templates as opaque maps. Integers stay
/// exact; other numbers become doubles. Object keys keep their order.
fn to_template_value(v: &Value) -> minijinja::Value {
    match v {
        Value::Null => minijinja::Value::from(()),
        Value::Bool(b) => minijinja::Value::from(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => minijinja::Value::from(i),
            (_, Some(u)) => minijinja::Value::from(u),
            _ => minijinja::Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => minijinja::Value::from(s.as_str()),
        Value::Array(items) => minijinja::Value::from(items.iter().map(to_template_value).collect::<Vec<_>>()),
        Value::Object(map) => minijinja::Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), to_template_value(v)))),
    }
}

/// minijinja's message already names the line (`… (in <string>:3)`).
fn describe(e: minijinja::Error) -> String {
    e.to_string()
}

/// A writer that refuses to grow past `cap` bytes.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
    overflowed: bool,
}

impl io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.cap {
            self.overflowed = true;
            return Err(io::Error::other("output cap reached"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "transform_tests.rs"]
mod tests;
