//! Pageable tools through MCP on a real PostgreSQL: a cut result carries a
//! signed `next_cursor`, the notice says how to continue, and a cursor from
//! another tool, argument set or release — or a forged one — is refused.

use serde_json::{Value, json};

use crate::real_db::{connection, release, spawn, text};
use crate::support::pg;

fn page(r: &Value) -> (Vec<i64>, Option<String>) {
    let sc = &r["result"]["structuredContent"];
    let ns = sc["rows"].as_array().unwrap_or_else(|| panic!("no rows: {r}")).iter().map(|o| o["n"].as_i64().unwrap());
    (ns.collect(), sc["next_cursor"].as_str().map(String::from))
}

#[tokio::test]
async fn a_pageable_tool_returns_every_row_page_by_page_and_refuses_foreign_cursors() {
    let Some(p) = pg().await else { return };
    let series = |name: &str| {
        json!({"name": name, "connection": "pg", "pageable": true, "limits": {"max_rows": 3},
               "sql": "SELECT g AS n FROM generate_series(1, :upto) g ORDER BY g",
               "parameters": [{"name": "upto", "type": "integer"}]})
    };
    let tools = json!([series("series"), series("other")]);
    let (app, _) = spawn(release(1, vec![connection("pg", &p.spec, None, json!({}))], tools.clone()), None).await;
    let mut s = app.session(None).await;
    let listed = s.request("tools/list", json!({})).await;
    let schema = &listed["result"]["tools"][0]["inputSchema"];
    assert_eq!(schema["properties"]["cursor"]["type"], json!("string"), "{listed}");

    let first = s.call("series", json!({"upto": 8})).await;
    let (rows, cursor) = page(&first);
    assert_eq!(rows, [1, 2, 3]);
    let cursor = cursor.expect("a cut page carries next_cursor");
    let notice = first["result"]["content"][1]["text"].as_str().unwrap_or_default();
    assert!(notice.contains("rows 1–3") && notice.contains(&cursor) && notice.contains("`series`"), "{notice}");

    let mut all = rows;
    let mut next = Some(cursor.clone());
    while let Some(c) = next {
        let r = s.call("series", json!({"upto": 8, "cursor": c})).await;
        assert_eq!(r["result"]["isError"], json!(false), "{r}");
        let (rows, c) = page(&r);
        all.extend(rows);
        next = c;
    }
    assert_eq!(all, (1..=8).collect::<Vec<_>>(), "every row once, in order; the last page has no cursor");

    for (tool, args, why) in [
        ("other", json!({"upto": 8, "cursor": cursor}), "belongs to the tool `series`"),
        ("series", json!({"upto": 9, "cursor": cursor}), "other arguments"),
        ("series", json!({"upto": 8, "cursor": format!("{cursor}x")}), "not one this server issued"),
        ("series", json!({"upto": 8, "cursor": 5}), "must be the string"),
    ] {
        let r = s.call(tool, args).await;
        assert_eq!(r["result"]["isError"], json!(true), "{r}");
        assert!(text(&r).contains(why), "{why}: {r}");
    }

    // A new release invalidates the old release's cursors.
    std::fs::write(&app.manifest_path, release(2, vec![connection("pg", &p.spec, None, json!({}))], tools).to_string())
        .unwrap();
    assert_eq!(mcp_runtime::reload::reload_file(&app.shared, &app.manifest_path), Ok(2));
    let r = app.session(None).await.call("series", json!({"upto": 8, "cursor": cursor})).await;
    assert!(text(&r).contains("release 1") && text(&r).contains("release 2"), "{r}");
}
