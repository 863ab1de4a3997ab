use super::*;
use serde_json::json;

fn rows() -> Vec<Map<String, Value>> {
    vec![
        json!({"region": "eu", "amount": 10}).as_object().unwrap().clone(),
        json!({"region": "us", "amount": 32}).as_object().unwrap().clone(),
    ]
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Renders `t` over `rows` with no arguments or variables.
fn over(t: &str, rows: &[Map<String, Value>]) -> Result<String, String> {
    let empty = Map::new();
    render(
        t,
        &TransformInput { rows, columns: vec!["region", "amount"], truncated: false, params: &empty, vars: &empty },
    )
}

fn value(t: &str) -> Value {
    output_value(&over(t, &rows()).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn a_template_sees_rows_columns_row_count_truncated_params_and_vars() {
    let (params, vars) = (object(json!({"currency": "EUR"})), object(json!({"vat": 0.2, "shop": "Acme"})));
    let rows = rows();
    let input = TransformInput {
        rows: &rows,
        columns: vec!["region", "amount"],
        truncated: true,
        params: &params,
        vars: &vars,
    };
    let t = r#"{"total": {{ rows | map(attribute="amount") | sum }}, "cols": {{ columns | tojson }},
        "n": {{ row_count }}, "cut": {{ truncated | tojson }}, "cur": {{ params.currency | tojson }},
        "vat": {{ vars.vat }}, "shop": {{ vars.shop | tojson }}}"#;
    let out = output_value(&render(t, &input).unwrap_or_else(|e| panic!("{e}")));
    assert_eq!(
        out,
        json!({"total": 42, "cols": ["region", "amount"], "n": 2, "cut": true, "cur": "EUR", "vat": 0.2, "shop": "Acme"})
    );
}

#[test]
fn rows_held_as_json_values_render_exactly_as_rows_held_as_objects() {
    // The preview holds the engine's objects, a deployed tool JSON values:
    // both go through the same context.
    let objects = rows();
    let values: Vec<Value> = objects.iter().cloned().map(Value::Object).collect();
    let (params, vars) = (object(json!({"min": 5})), object(json!({"unit": "€"})));
    let t = "{% for r in rows %}{{ r.region }}={{ r.amount }}{{ vars.unit }} {% endfor %}>{{ params.min }} ({{ row_count }})";
    let a = render(
        t,
        &TransformInput { rows: &objects, columns: vec!["region"], truncated: false, params: &params, vars: &vars },
    );
    let b = render(
        t,
        &TransformInput { rows: &values, columns: vec!["region"], truncated: false, params: &params, vars: &vars },
    );
    assert_eq!(a, b);
    assert_eq!(a.unwrap(), "eu=10€ us=32€ >5 (2)");
}

#[test]
fn json_output_is_parsed_other_output_is_a_string_and_blank_output_an_empty_list() {
    assert_eq!(value(r#"{"a": [1, 2]}"#), json!({"a": [1, 2]}));
    assert_eq!(value("{% for r in rows %}{{ r.region }} {% endfor %}"), json!("eu us"));
    assert_eq!(value("  "), json!([]));
    assert_eq!(over("  x \n", &rows()).unwrap(), "x", "the text is trimmed");
}

#[test]
fn sum_attr_adds_one_attribute_and_skips_missing_and_null_values() {
    assert_eq!(value(r#"{{ rows | sum_attr("amount") }}"#), json!(42));
    let mixed =
        vec![object(json!({"x": 1})), object(json!({"x": null})), object(json!({"y": 5})), object(json!({"x": 2.5}))];
    assert_eq!(output_value(&over(r#"{{ rows | sum_attr("x") }}"#, &mixed).unwrap()), json!(3.5));
    let err = over(r#"{{ rows | sum_attr("region") }}"#, &rows()).unwrap_err();
    assert!(err.contains("sum_attr") && err.contains("not a number"), "{err}");
}

#[test]
fn map_attr_lists_one_attribute_with_none_where_it_is_missing() {
    assert_eq!(value(r#"{{ rows | map_attr("region") | tojson }}"#), json!(["eu", "us"]));
    let rows = vec![object(json!({"x": 1})), object(json!({"y": 2}))];
    assert_eq!(output_value(&over(r#"{{ rows | map_attr("x") | tojson }}"#, &rows).unwrap()), json!([1, null]));
}

#[test]
fn unique_keeps_the_first_of_each_value_in_order_and_compares_exactly() {
    let rows: Vec<_> = ["b", "a", "b", "A", "c", "a"].iter().map(|r| object(json!({"region": r}))).collect();
    let t = r#"{{ rows | map_attr("region") | unique | tojson }}"#;
    assert_eq!(output_value(&over(t, &rows).unwrap()), json!(["b", "a", "A", "c"]));
    let t = r#"{{ rows | map_attr("region") | unique(case_sensitive=false) | tojson }}"#;
    assert_eq!(output_value(&over(t, &rows).unwrap()), json!(["b", "a", "c"]));
    let t = r#"{{ rows | unique(attribute="region") | length }}"#;
    assert_eq!(output_value(&over(t, &rows).unwrap()), json!(4));
}

#[test]
fn tojson_writes_json_the_output_parser_reads_back() {
    let rows = vec![object(json!({"note": "a < b & \"c\" é"}))];
    let out = over(r#"{"rows": {{ rows | tojson }}}"#, &rows).unwrap();
    assert_eq!(output_value(&out), json!({"rows": [{"note": "a < b & \"c\" é"}]}));
}

#[test]
fn template_errors_are_returned_not_raised() {
    let err = over("{{ rows[0].nope.deeper }}", &rows()).unwrap_err();
    assert!(err.contains("undefined"), "{err}");
    assert!(over("{% for %}", &rows()).is_err());
    let err = over("{{ vars.missing }}", &rows()).unwrap_err();
    assert!(err.contains("undefined"), "{err}");
}

#[test]
fn runaway_templates_run_out_of_fuel() {
    let err =
        over("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", &[]).unwrap_err();
    assert!(err.contains("fuel"), "{err}");
}

#[test]
fn our_filters_pay_fuel_for_every_item_they_visit() {
    let many: Vec<_> = (0..2000).map(|i| object(json!({"x": i}))).collect();
    let t = r#"{% for i in range(5000) %}{{ rows | sum_attr("x") }}{% endfor %}"#;
    let err = over(t, &many).unwrap_err();
    assert!(err.contains("fuel"), "{err}");
}

#[test]
fn deep_recursion_is_stopped() {
    let t = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
    let err = over(t, &[]).unwrap_err();
    assert!(err.contains("recursion"), "{err}");
}

#[test]
fn output_is_capped() {
    let err = over(r#"{% for i in range(20) %}{{ "x" * 1000000 }}{% endfor %}"#, &[]).unwrap_err();
    assert!(err.contains("exceeds"), "{err}");
}

#[test]
fn there_is_no_way_to_load_files() {
    let err = over(r#"{% include "/etc/passwd" %}"#, &[]).unwrap_err();
    assert!(err.contains("not found") || err.contains("template"), "{err}");
}
