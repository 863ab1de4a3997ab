//! Transform templates: minijinja over a query's result, in a sandbox.
//!
//! [`render`] is the one entry point, used by the control plane's preview
//! and by a deployed tool's `tools/call` alike, and [`TransformInput`] is the
//! one place the names a template sees are decided, so the two cannot drift:
//!
//! | name | what |
//! |---|---|
//! | `rows` | the result rows, one object per row, keyed by column name |
//! | `columns` | the column names, in order |
//! | `row_count` | how many rows `rows` holds |
//! | `truncated` | whether a row or byte cap cut the result |
//! | `params` | the call's arguments (defaults applied) |
//! | `vars` | the server's global variables |
//!
//! Besides minijinja's built-in filters (`tojson`, `map(attribute=)`,
//! `sum(attribute=)`, `groupby`, `length`, `round`, …) templates get the
//! seed product's `sum_attr(attr)`, `map_attr(attr)` and an order-preserving,
//! exact `unique`.
//!
//! The environment has no loader (so no `include`/`import` of files), no
//! functions that reach the file system or network, a fuel budget that
//! bounds the work a template may do (our filters pay one unit per item they
//! visit), a recursion limit, and an output cap. Errors come back as
//! `Err(message)`, never as a panic, so the caller can show them next to the
//! raw rows.

use std::collections::BTreeSet;
use std::io;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde_json::{Map, Value};

/// Instructions a template may execute (a loop over 1000 rows with a few
/// expressions each uses well under 100 000).
pub const TRANSFORM_FUEL: u64 = 5_000_000;
/// Deepest nesting of calls, macros and includes.
pub const TRANSFORM_RECURSION_LIMIT: usize = 64;
/// Most bytes a template may output.
pub const TRANSFORM_MAX_OUTPUT: usize = 10 * 1024 * 1024;

/// A result row as its caller holds it: an object from the engine (the
/// preview) or a JSON value (a deployed tool's `QueryOutput`).
pub trait ResultRow {
    /// The row as a template value.
    fn to_template(&self) -> minijinja::Value;
}

impl ResultRow for Map<String, Value> {
    fn to_template(&self) -> minijinja::Value {
        object_value(self)
    }
}

impl ResultRow for Value {
    fn to_template(&self) -> minijinja::Value {
        to_template_value(self)
    }
}

/// Everything a transform template sees; see the module doc for the names.
#[derive(Debug)]
pub struct TransformInput<'a, R> {
    /// The result rows (`rows`, and their number as `row_count`).
    pub rows: &'a [R],
    /// The column names in order (`columns`).
    pub columns: Vec<&'a str>,
    /// Whether a row or byte cap cut the result (`truncated`).
    pub truncated: bool,
    /// The call's validated arguments, defaults applied (`params`).
    pub params: &'a Map<String, Value>,
    /// The server's global variables (`vars`).
    pub vars: &'a Map<String, Value>,
}

impl<R: ResultRow> TransformInput<'_, R> {
    /// The template context, built straight from the borrowed result: the
    /// rows are converted once, never copied as JSON first.
    fn context(&self) -> minijinja::Value {
        let rows: Vec<minijinja::Value> = self.rows.iter().map(ResultRow::to_template).collect();
        minijinja::Value::from_pairs([
            ("rows", minijinja::Value::from(rows)),
            ("columns", self.columns.iter().map(|c| minijinja::Value::from(*c)).collect()),
            ("row_count", minijinja::Value::from(self.rows.len())),
            ("truncated", minijinja::Value::from(self.truncated)),
            ("params", object_value(self.params)),
            ("vars", object_value(self.vars)),
        ])
    }
}

/// Renders `template` over `input` and returns its output, trimmed.
/// A deployed tool sends this text to the model; the preview shows it
/// through [`output_value`].
pub fn render<R: ResultRow>(template: &str, input: &TransformInput<'_, R>) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_fuel(Some(TRANSFORM_FUEL));
    env.set_recursion_limit(TRANSFORM_RECURSION_LIMIT);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("sum_attr", sum_attr);
    env.add_filter("map_attr", map_attr);
    env.add_filter("unique", unique);
    let tmpl = env.template_from_str(template).map_err(describe)?;
    let mut out = Capped { buf: Vec::new(), cap: TRANSFORM_MAX_OUTPUT, overflowed: false };
    let rendered = tmpl.render_captured_to(input.context(), &mut out);
    if out.overflowed {
        return Err(format!("the template output exceeds {TRANSFORM_MAX_OUTPUT} bytes"));
    }
    rendered.map_err(describe)?;
    let text = String::from_utf8(out.buf).map_err(|_| "the template produced invalid UTF-8".to_string())?;
    let trimmed = text.trim();
    Ok(if trimmed.len() == text.len() { text } else { trimmed.to_string() })
}

/// A transform's output as a value: JSON is parsed, other text is a string,
/// blank output is `[]`.
pub fn output_value(text: &str) -> Value {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Value::Array(Vec::new());
    }
    serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(trimmed.to_string()))
}

/// `rows | sum_attr("amount")`: the sum of one attribute over a list;
/// missing and null values are skipped (as SQL's `SUM` skips NULLs), any
/// other non-number is an error. Integers stay exact until a float appears.
fn sum_attr(state: &State, values: minijinja::Value, attr: &str) -> Result<minijinja::Value, Error> {
    let (mut int, mut float, mut is_float) = (0i128, 0f64, false);
    for item in values.try_iter()? {
        state.consume_fuel(1)?;
        let v = item.get_attr(attr)?;
        if v.is_undefined() || v.is_none() {
            continue;
        }
        if !v.is_number() {
            let msg = format!("sum_attr: {attr:?} is a {}, not a number", v.kind());
            return Err(Error::new(ErrorKind::InvalidOperation, msg));
        }
        match (is_float, i128::try_from(v.clone())) {
            (false, Ok(i)) if v.is_integer() => match int.checked_add(i) {
                Some(sum) => int = sum,
                None => (is_float, float) = (true, int as f64 + i as f64),
            },
            _ => {
                if !is_float {
                    (is_float, float) = (true, int as f64);
                }
                float += f64::try_from(v)?;
            }
        }
    }
    Ok(match (is_float, i64::try_from(int)) {
        (true, _) => minijinja::Value::from(float),
        (false, Ok(small)) => minijinja::Value::from(small),
        (false, Err(_)) => minijinja::Value::from(int),
    })
}

/// `rows | map_attr("region")`: one attribute of every item, `none` where an
/// item lacks it.
fn map_attr(state: &State, values: minijinja::Value, attr: &str) -> Result<Vec<minijinja::Value>, Error> {
    let mut out = Vec::new();
    for item in values.try_iter()? {
        state.consume_fuel(1)?;
        let v = item.get_attr(attr)?;
        out.push(if v.is_undefined() { minijinja::Value::from(()) } else { v });
    }
    Ok(out)
}

/// `xs | unique`: the first of each distinct item, in order. Unlike
/// minijinja's built-in it compares exactly (`"EU"` and `"eu"` both stay),
/// as the seed product's does; `case_sensitive=false` and `attribute="x"`
/// still work as in the built-in.
fn unique(state: &State, values: minijinja::Value, kwargs: Kwargs) -> Result<minijinja::Value, Error> {
    let attr = kwargs.get::<Option<&str>>("attribute")?;
    let case_sensitive = kwargs.get::<Option<bool>>("case_sensitive")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let (mut seen, mut out) = (BTreeSet::new(), Vec::new());
    for item in values.try_iter()? {
        state.consume_fuel(1)?;
        let key = match attr {
            Some(a) => item.get_attr(a)?,
            None => item.clone(),
        };
        let key = match key.as_str() {
            Some(s) if !case_sensitive => minijinja::Value::from(s.to_lowercase()),
            _ => key,
        };
        if seen.insert(key) {
            out.push(item);
        }
    }
    Ok(minijinja::Value::from(out))
}

/// A JSON object as a template map, keys in order.
fn object_value(map: &Map<String, Value>) -> minijinja::Value {
    minijinja::Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), to_template_value(v))))
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
        Value::Object(map) => object_value(map),
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
