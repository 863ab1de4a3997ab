//! Parameter definitions: what an admin declares for each `:name` placeholder
//! of a tool or resource, and for each argument of a prompt.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::validate_name;
use crate::problems::Problems;

/// The JSON type a parameter accepts; it also decides how the value is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A JSON string, bound as text.
    String,
    /// A JSON integer, bound as a 64-bit integer.
    Integer,
    /// A JSON number, bound as a double.
    Number,
    /// A JSON boolean.
    Boolean,
    /// A JSON array of scalars of `item_type`, bound as an array (PostgreSQL)
    /// or expanded into one bound value per element (MySQL, SQLite).
    Array,
}

impl ParamType {
    /// The JSON Schema `type` keyword for this parameter type.
    pub fn json_schema_type(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Array => "array",
        }
    }

    /// Whether `value` is a JSON value of this type (array elements are not checked).
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Integer => value.is_i64() || value.is_u64(),
            ParamType::Number => value.is_number(),
            ParamType::Boolean => value.is_boolean(),
            ParamType::Array => value.is_array(),
        }
    }
}

/// One declared parameter of a tool or resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParamDef {
    /// The placeholder name, used as `:name` in SQL and `{name}` in URI templates.
    pub name: String,
    /// The accepted JSON type.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// Element type when `type` is `array`; defaults to `string`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_type: Option<ParamType>,
    /// Whether a caller must supply a value (a `default` makes this moot).
    #[serde(default = "default_true")]
    pub required: bool,
    /// The value used when the caller supplies none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// When non-empty, the only values accepted.
    #[serde(default, rename = "enum", skip_serializing_if = "Vec::is_empty")]
    pub enum_values: Vec<Value>,
    /// Shown to the model as the parameter's description.
    #[serde(default)]
    pub description: String,
    /// Inclusive lower bound for numbers, or minimum length for strings and arrays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers, or maximum length for strings and arrays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A regular expression a string value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Whether the value is kept out of the request log (shown there as
    /// `[redacted]`); the query still receives it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// Binds the value of this claim of the caller's OAuth access token
    /// (`sub`, `email`, a custom claim; an array claim for an `array`
    /// parameter, e.g. `= ANY(:groups)`) instead of a value from the model:
    /// the parameter is left out of `inputSchema`, a value sent for it is
    /// refused, and a call whose token lacks the claim (or any call without an
    /// OAuth token) fails — it never falls back to a default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_claim: Option<String>,
}

fn default_true() -> bool {
    true
}

/// Most parameters one entity may declare.
pub const MAX_PARAMS: usize = 100;

impl ParamDef {
    /// The element type of an array parameter.
    pub fn element_type(&self) -> ParamType {
        self.item_type.unwrap_or(ParamType::String)
    }

    /// Records every problem with this definition under `path`.
    /// `pattern` syntax is checked by the engine, which owns the regex dialect.
    pub fn check(&self, path: &str, problems: &mut Problems) {
        if let Err(e) = validate_name(&self.name) {
            problems.push(format!("{path}.name"), format!("parameter name {:?} {e}", self.name));
        }
        if matches!(self.item_type, Some(ParamType::Array)) {
            problems.push(format!("{path}.item_type"), "arrays of arrays are not supported");
        }
        if self.item_type.is_some() && self.param_type != ParamType::Array {
            problems.push(format!("{path}.item_type"), "only array parameters take an item_type");
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            problems.push(format!("{path}.min"), format!("min ({min}) is greater than max ({max})"));
        }
        if self.pattern.is_some() && self.param_type != ParamType::String {
            problems.push(format!("{path}.pattern"), "only string parameters take a pattern");
        }
        if let Some(claim) = &self.from_claim {
            if !valid_claim_name(claim) {
                problems.push(
                    format!("{path}.from_claim"),
                    format!("{claim:?} is not a claim name (1–128 characters: letters, digits, _ - : . /)"),
                );
            }
            if self.default.is_some() {
                problems.push(
                    format!("{path}.default"),
                    "a parameter bound to a claim takes no default: a missing claim fails the call",
                );
            }
        }
        if let Some(default) = &self.default
            && !self.param_type.accepts(default)
        {
            let expected = self.param_type.json_schema_type();
            problems.push(format!("{path}.default"), format!("default must be a {expected}"));
        }
        for (i, v) in self.enum_values.iter().enumerate() {
            let ty = if self.param_type == ParamType::Array { self.element_type() } else { self.param_type };
            if !ty.accepts(v) {
                problems.push(format!("{path}.enum[{i}]"), format!("enum value must be a {}", ty.json_schema_type()));
            }
        }
    }
}

/// Whether `name` can name a token claim (`sub`, `email`, `https://example.com/groups`).
pub fn valid_claim_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-:./".contains(&b))
}

/// Checks a whole parameter list: each definition, the count and unique names.
pub fn check_params(params: &[ParamDef], path: &str, problems: &mut Problems) {
    if params.len() > MAX_PARAMS {
        problems.push(path, format!("at most {MAX_PARAMS} parameters are allowed"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in params.iter().enumerate() {
        let here = format!("{path}[{i}]");
        p.check(&here, problems);
        if !seen.insert(p.name.as_str()) {
            problems.push(format!("{here}.name"), format!("parameter {:?} is declared twice", p.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> ParamDef {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_minimal_definition_is_required_string_free() {
        let p = def(json!({"name": "id", "type": "integer"}));
        assert!(p.required);
        assert_eq!(p.param_type, ParamType::Integer);
    }

    #[test]
    fn check_reports_each_problem_with_its_path() {
        let params = vec![
            def(json!({"name": "1x", "type": "integer", "min": 5, "max": 1, "default": "a"})),
            def(json!({"name": "y", "type": "string"})),
            def(json!({"name": "y", "type": "integer", "pattern": "a+"})),
        ];
        let mut problems = Problems::default();
        check_params(&params, "parameters", &mut problems);
        let paths: Vec<&str> = problems.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "parameters[0].name",
                "parameters[0].min",
                "parameters[0].default",
                "parameters[2].pattern",
                "parameters[2].name"
            ]
        );
    }
}
