//! PostgreSQL values come back as faithful JSON, with their type names.

use mcp_runtime::db::Engine;
use serde_json::{Value, json};

use crate::support::{first_row, pg};

/// Types the engine knows a JSON form for (a domain and an enum among them);
/// run [`TYPES_QUERY`] after it. The output-schema tests run the same suite.
pub const TYPES_SETUP: &str =
    "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);";

/// One row holding a value of every type of the suite.
pub const TYPES_QUERY: &str = r#"SELECT 9007199254740993::int8 AS big, (-32768)::int2 AS small, 2147483647 AS int4,
        12345678901234567890.123456789::numeric AS num, 'NaN'::numeric AS nan, 1.50::numeric(5,2) AS money_like,
        1.5::float8 AS f8, 0.1::float4 AS f4, 'Infinity'::float8 AS inf,
        true AS yes, 'txt'::text AS t, 'v'::varchar(5) AS vc, 'c'::char(3) AS ch, 'nm'::name AS nm,
        DATE '2024-02-29' AS d, 'infinity'::date AS dinf, TIME '13:14:15.5' AS tm, TIMETZ '13:14:15+02' AS tmz,
        TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, TIMESTAMPTZ '2024-01-02 03:04:05+02' AS tstz,
        INTERVAL '1 year 2 months 3 days 04:05:06.5' AS iv,
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id,
        '{"a": [1, {"b": null}], "big": 12345678901234567890}'::jsonb AS jb, '{"x": 1}'::json AS js,
        '\xdeadbeef'::bytea AS bin, ARRAY[1, 2, NULL]::int[] AS ints, ARRAY[['a', 'b'], ['c', 'd']] AS grid,
        ARRAY[1.10, 2.25]::numeric[] AS nums, '{}'::int[] AS empty, 'happy'::mood AS mood, 5::posint AS dom,
        NULL::int AS nothing, '192.168.0.1'::inet AS ip, '10.0.0.0/8'::cidr AS net, B'101'::bit(3) AS bits,
        'x'::"char" AS onechar"#;

/// A table with a `NOT NULL` key, nullable columns, a row of values and a row of NULLs.
pub const TABLE_SETUP: &str = "CREATE TABLE t (id bigserial PRIMARY KEY, amount numeric(12,3), at timestamptz, tags text[], doc jsonb);
     INSERT INTO t (amount, at, tags, doc) VALUES (1234.500, '2024-05-06 07:08:09.5+00', '{a,\"b c\"}', '[1,\"x\"]'), (NULL, NULL, NULL, NULL);";

#[tokio::test]
async fn postgres_values_of_every_common_type_come_back_as_faithful_json() {
    let Some(db) = pg().await else { return };
    db.setup(TYPES_SETUP).await;
    let engine = Engine::new();
    let sql = TYPES_QUERY;
    let out = Engine::execute(
        &engine,
        &db.id,
        &db.spec,
        &mcp_runtime::db::Query::new(sql, &[], &Default::default(), true, mcp_runtime::db::Limits::preview(None)),
    )
    .await
    .expect("query runs");
    let row = &out.rows[0];
    let expect = json!({
        "small": -32768, "int4": 2147483647, "nan": "NaN", "f8": 1.5, "f4": 0.1, "inf": "Infinity",
        "yes": true, "t": "txt", "vc": "v", "ch": "c  ", "nm": "nm", "d": "2024-02-29", "dinf": "infinity",
        "tm": "13:14:15.500", "tmz": "13:14:15+02:00", "ts": "2024-01-02T03:04:05.123456",
        "tstz": "2024-01-02T01:04:05Z", "iv": "P1Y2M3DT4H5M6.5S", "id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "js": {"x": 1}, "bin": "3q2+7w==", "ints": [1, 2, null], "grid": [["a", "b"], ["c", "d"]],
        "empty": [], "mood": "happy", "dom": 5, "nothing": null, "ip": "192.168.0.1",
        "net": "10.0.0.0/8", "bits": "101", "onechar": "x"
    });
    for (k, v) in expect.as_object().unwrap() {
        assert_eq!(&row[k], v, "column {k}");
    }
    // Exact digits, checked on the serialized text (what a client receives);
    // what a double cannot hold is a string.
    let text = |k: &str| serde_json::to_string(&row[k]).unwrap();
    assert_eq!(text("big"), r#""9007199254740993""#);
    assert_eq!(text("num"), r#""12345678901234567890.123456789""#);
    assert_eq!(text("money_like"), "1.50");
    assert_eq!(text("nums"), "[1.10,2.25]");
    assert_eq!(text("jb"), r#"{"a":[1,{"b":null}],"big":12345678901234567890}"#);
    let types: Vec<(&str, &str)> = out.columns.iter().map(|c| (c.name.as_str(), c.db_type.as_str())).collect();
    for expected in [
        ("big", "int8"),
        ("num", "numeric"),
        ("jb", "jsonb"),
        ("ints", "_int4"),
        ("mood", "mood"),
        ("tstz", "timestamptz"),
    ] {
        assert!(types.contains(&expected), "{expected:?} in {types:?}");
    }
}

#[tokio::test]
async fn postgres_table_columns_decode_like_literals_and_nulls_stay_null() {
    let Some(db) = pg().await else { return };
    db.setup(TABLE_SETUP).await;
    let engine = Engine::new();
    let out =
        crate::support::run(&engine, &db, "SELECT * FROM t ORDER BY id", &[], &Default::default(), true).await.unwrap();
    let mut rows: Vec<Value> = out.rows.iter().cloned().map(Value::Object).collect();
    let amount = rows[0].as_object_mut().unwrap().remove("amount").unwrap();
    assert_eq!(serde_json::to_string(&amount).unwrap(), "1234.500");
    assert_eq!(
        Value::Array(rows),
        json!([
            {"id": 1, "at": "2024-05-06T07:08:09.500Z", "tags": ["a", "b c"], "doc": [1, "x"]},
            {"id": 2, "amount": null, "at": null, "tags": null, "doc": null}
        ])
    );
    let _ = first_row(&engine, &db, "SELECT 1 AS one").await;
}
