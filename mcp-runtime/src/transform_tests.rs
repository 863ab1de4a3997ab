use super::*;
use serde_json::json;

fn rows() -> Vec<Map<String, Value>> {
    vec![
        json!({"region": "eu", "amount": 10}).as_object().unwrap().clone(),
        json!({"region": "us", "amount": 32}).as_object().unwrap().clone(),
    ]
}

fn columns() -> Vec<Column> {
    ["region", "amount"].iter().map(|n| Column { name: n.to_string(), db_type: "text".into() }).collect()
}

#[test]
fn json_output_is_parsed_and_sees_rows_columns_and_params() {
    let params = json!({"currency": "EUR"}).as_object().unwrap().clone();
    let t = r#"{"total": {{ rows | map(attribute="amount") | sum }}, "cols": {{ columns | tojson }}, "cur": {{ params.currency | tojson }}}"#;
    let out = render(t, &rows(), &columns(), &params);
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out, json!({"total": 42, "cols": ["region", "amount"], "cur": "EUR"}));
}

#[test]
fn other_output_is_a_string_and_blank_output_an_empty_list() {
    let out = render("{% for r in rows %}{{ r.region }} {% endfor %}", &rows(), &columns(), &Map::new()).unwrap();
    assert_eq!(out, json!("eu us"));
    assert_eq!(render("  ", &rows(), &columns(), &Map::new()).unwrap(), json!([]));
}

#[test]
fn template_errors_are_returned_not_raised() {
    let err = render("{{ rows[0].nope.deeper }}", &rows(), &columns(), &Map::new()).unwrap_err();
    assert!(err.contains("undefined"), "{err}");
    assert!(render("{% for %}", &rows(), &columns(), &Map::new()).is_err());
}

#[test]
fn runaway_templates_run_out_of_fuel() {
    let err = render(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        &[],
        &[],
        &Map::new(),
    )
    .unwrap_err();
    assert!(err.contains("fuel"), "{err}");
}

#[test]
fn deep_recursion_is_stopped() {
    let t = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}";
    let err = render(t, &[], &[], &Map::new()).unwrap_err();
    assert!(err.contains("recursion"), "{err}");
}

#[test]
fn output_is_capped() {
    let err = render(r#"{% for i in range(20) %}{{ "x" * 1000000 }}{% endfor %}"#, &[], &[], &Map::new()).unwrap_err();
    assert!(err.contains("exceeds"), "{err}");
}

#[test]
fn there_is_no_way_to_load_files() {
    let err = render(r#"{% include "/etc/passwd" %}"#, &[], &[], &Map::new()).unwrap_err();
    assert!(err.contains("not found") || err.contains("template"), "{err}");
}
