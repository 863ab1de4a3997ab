use super::*;
use serde_json::json;

fn params(v: Value) -> Vec<ParamDef> {
    serde_json::from_value(v).expect("valid parameter definitions")
}

fn args(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("an object")
}

#[test]
fn defaults_are_applied_and_optional_missing_values_are_left_out() {
    let p = params(json!([
        {"name": "limit", "type": "integer", "default": 10},
        {"name": "q", "type": "string", "required": false}
    ]));
    assert_eq!(validate(&p, &args(json!({}))).unwrap(), args(json!({"limit": 10})));
    assert_eq!(validate(&p, &args(json!({"limit": null, "q": "x"}))).unwrap(), args(json!({"limit": 10, "q": "x"})));
}

#[test]
fn a_missing_required_argument_is_named() {
    let p = params(json!([{"name": "id", "type": "integer"}]));
    let err = validate(&p, &args(json!({}))).unwrap_err();
    assert_eq!(err.to_string(), "parameter \"id\": is required");
}

#[test]
fn wrong_types_are_refused_with_what_was_given() {
    let p = params(json!([{"name": "id", "type": "integer"}]));
    let err = validate(&p, &args(json!({"id": "1; DROP TABLE t"}))).unwrap_err();
    assert_eq!((err.param.as_str(), err.message.as_str()), ("id", "must be an integer, got a string"));
    let err = validate(&p, &args(json!({"id": 1.5}))).unwrap_err();
    assert_eq!(err.message, "must be an integer, got a number");
}

#[test]
fn unknown_arguments_are_refused() {
    let p = params(json!([{"name": "id", "type": "integer"}]));
    let err = validate(&p, &args(json!({"id": 1, "idd": 2}))).unwrap_err();
    assert_eq!(err.param, "idd");
}

#[test]
fn enum_min_max_and_pattern_are_enforced() {
    let p = params(json!([
        {"name": "status", "type": "string", "enum": ["open", "closed"], "required": false},
        {"name": "n", "type": "number", "min": 1, "max": 5, "required": false},
        {"name": "code", "type": "string", "pattern": "^[A-Z]{3}$", "max": 3, "required": false},
        {"name": "ids", "type": "array", "item_type": "integer", "max": 2, "required": false}
    ]));
    let bad = |v: Value| validate(&p, &args(v)).unwrap_err().to_string();
    assert_eq!(bad(json!({"status": "x"})), "parameter \"status\": must be one of \"open\", \"closed\"");
    assert_eq!(bad(json!({"n": 0.5})), "parameter \"n\": must be at least 1");
    assert_eq!(bad(json!({"n": 6})), "parameter \"n\": must be at most 5");
    assert_eq!(bad(json!({"code": "abc"})), "parameter \"code\": must match the pattern \"^[A-Z]{3}$\"");
    assert_eq!(bad(json!({"code": "ABCD"})), "parameter \"code\": must have at most 3 characters");
    assert_eq!(bad(json!({"ids": [1, "2"]})), "parameter \"ids\": item 1 must be an integer, got a string");
    assert_eq!(bad(json!({"ids": [1, 2, 3]})), "parameter \"ids\": must have at most 2 items");
    assert!(validate(&p, &args(json!({"status": "open", "n": 5, "code": "ABC", "ids": [1, 2]}))).is_ok());
}

#[test]
fn big_integers_keep_their_exact_value() {
    let p = params(json!([{"name": "id", "type": "integer"}]));
    let a: Map<String, Value> = serde_json::from_str(r#"{"id": 9007199254740993}"#).unwrap();
    assert_eq!(validate(&p, &a).unwrap()["id"].to_string(), "9007199254740993");
}

#[test]
fn claim_bound_parameters_come_only_from_the_token() {
    let params: Vec<ParamDef> = serde_json::from_value(json!([
        {"name": "owner", "type": "string", "from_claim": "email"},
        {"name": "groups", "type": "array", "from_claim": "groups"},
        {"name": "limit", "type": "integer", "default": 10}
    ]))
    .unwrap();
    let claims = json!({"sub": "u1", "email": "alice@example.com", "groups": ["a", "b"]});
    let claims = claims.as_object();
    let bound = bind_claims(&params, &Map::new(), claims).unwrap();
    let out = validate(&params, &bound).unwrap();
    assert_eq!(Value::Object(out), json!({"owner": "alice@example.com", "groups": ["a", "b"], "limit": 10}));

    // A value from the model is refused, even one equal to the claim.
    let given = json!({"owner": "alice@example.com"});
    let err = bind_claims(&params, given.as_object().unwrap(), claims).unwrap_err();
    assert_eq!(err.param, "owner");
    assert!(err.message.contains("cannot be supplied"), "{err}");
    // No token, or a token without the claim: refused, never NULL.
    let err = bind_claims(&params, &Map::new(), None).unwrap_err();
    assert!(err.message.contains("OAuth access token"), "{err}");
    let no_groups = json!({"email": "bob@example.com"});
    let err = bind_claims(&params, &Map::new(), no_groups.as_object()).unwrap_err();
    assert_eq!((err.param.as_str(), err.message.contains("\"groups\"")), ("groups", true), "{err}");
    // A claim of the wrong type fails validation like any argument.
    let wrong = json!({"email": 42, "groups": ["x"]});
    let bound = bind_claims(&params, &Map::new(), wrong.as_object()).unwrap();
    assert_eq!(validate(&params, &bound).unwrap_err().param, "owner");
    // Without claim-bound parameters nothing changes.
    let plain: Vec<ParamDef> = serde_json::from_value(json!([{"name": "q", "type": "string"}])).unwrap();
    let given = json!({"q": "x"});
    assert_eq!(bind_claims(&plain, given.as_object().unwrap(), None).unwrap(), *given.as_object().unwrap());
}
