//! Compiles `:name` placeholders to the driver's positional form and lines up
//! the values to bind. Values are never written into the SQL text: the only
//! text this module adds is `$n`, `?` and, for an empty array, `NULL`.

use std::fmt::Write;

use serde_json::{Map, Value};
use shared_model::{Dialect, ParamDef, ParamType, SqlModes, SqlScan, scan_sql_with};

use super::EngineError;

/// One value to bind, with the type its parameter declares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bind {
    /// The declared type (for expanded arrays, the element type).
    pub ty: ParamType,
    /// The JSON value; `Null` binds SQL NULL.
    pub value: Value,
}

/// SQL with positional placeholders and the values in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Compiled {
    /// The SQL text to prepare.
    pub sql: String,
    /// One entry per `$n` (PostgreSQL) or per `?` (MySQL, SQLite).
    pub binds: Vec<Bind>,
}

/// Functions that reach outside the database which SQLite permits in
/// read-only work, so read-only queries may not call them. PostgreSQL and
/// MySQL/MariaDB have policies of their own instead of a list
/// (`db::policy::pg`, applied with the pool's catalog before the call, and
/// `db::mysql::policy`). Matched case-insensitively on the last name part,
/// wherever the lexer sees `name (`.
const READ_ONLY_REFUSED: &[(Dialect, &str, &str)] = &[(Dialect::Sqlite, "load_extension", "loads native code")];

/// Refuses a read-only query that calls a function of [`READ_ONLY_REFUSED`].
fn refuse_unsafe_calls(scan: &SqlScan, dialect: Dialect) -> Result<(), EngineError> {
    for call in &scan.calls {
        let hit = READ_ONLY_REFUSED.iter().find(|(d, name, _)| *d == dialect && call.name.eq_ignore_ascii_case(name));
        if let Some((_, name, why)) = hit {
            return Err(EngineError::ReadOnly(format!("{name}() {why} and is not allowed in a read-only query")));
        }
    }
    Ok(())
}

/// Compiles `sql` for `dialect` (lexed as a session with `modes` does).
/// `args` must already be validated.
/// With `read_only`, calls to the functions of [`READ_ONLY_REFUSED`] are refused.
///
/// PostgreSQL: each distinct name gets one `$n`, reused when the name repeats;
/// an array binds as one array value (write `= ANY(:ids)`).
/// MySQL/SQLite: each occurrence becomes `?`; an array expands to `?, ?, ?`,
/// one per element (write `IN (:ids)`), and an empty array to `NULL`.
pub(crate) fn compile(
    sql: &str,
    dialect: Dialect,
    modes: SqlModes,
    params: &[ParamDef],
    args: &Map<String, Value>,
    read_only: bool,
) -> Result<(Compiled, SqlScan), EngineError> {
    let scan = scan_sql_with(sql, dialect, modes).map_err(EngineError::InvalidSql)?;
    match scan.statements {
        0 => return Err(EngineError::InvalidSql("the query is empty".into())),
        1 => {}
        n => return Err(EngineError::InvalidSql(format!("only one statement is allowed (found {n})"))),
    }
    if read_only {
        refuse_unsafe_calls(&scan, dialect)?;
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut binds: Vec<Bind> = Vec::new();
    let mut pg_names: Vec<&str> = Vec::new();
    let mut last = 0;
    for ph in &scan.placeholders {
        let def = params
            .iter()
            .find(|p| p.name == ph.name)
            .ok_or_else(|| EngineError::InvalidSql(format!("placeholder :{} has no declared parameter", ph.name)))?;
        out.push_str(&sql[last..ph.start]);
        last = ph.end;
        let value = args.get(&ph.name).cloned().unwrap_or(Value::Null);
        if dialect == Dialect::Postgres {
            let n = match pg_names.iter().position(|n| *n == ph.name) {
                Some(i) => i + 1,
                None => {
                    pg_names.push(&ph.name);
                    binds.push(Bind { ty: def.param_type, value });
                    pg_names.len()
                }
            };
            let _ = write!(out, "${n}");
        } else if let (ParamType::Array, Value::Array(items)) = (def.param_type, &value) {
            if items.is_empty() {
                out.push_str("NULL");
            }
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "?" } else { ", ?" });
                binds.push(Bind { ty: def.element_type(), value: item.clone() });
            }
        } else {
            out.push('?');
            binds.push(Bind { ty: def.param_type, value });
        }
    }
    out.push_str(&sql[last..]);
    Ok((Compiled { sql: out, binds }, scan))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(sql: &str, d: Dialect, args: Value) -> Result<Compiled, EngineError> {
        let params: Vec<ParamDef> = serde_json::from_value(json!([
            {"name": "id", "type": "integer"},
            {"name": "ids", "type": "array", "item_type": "integer"},
            {"name": "name", "type": "string", "required": false}
        ]))
        .unwrap();
        compile(sql, d, SqlModes::default(), &params, args.as_object().unwrap(), true).map(|(c, _)| c)
    }

    #[test]
    fn postgres_reuses_the_index_of_a_repeated_name() {
        let c =
            run("SELECT :id, :name::text, ':id' WHERE x = ANY(:ids) OR y = :id", Dialect::Postgres, json!({"id": 1}))
                .unwrap();
        assert_eq!(c.sql, "SELECT $1, $2::text, ':id' WHERE x = ANY($3) OR y = $1");
        let values: Vec<Value> = c.binds.into_iter().map(|b| b.value).collect();
        assert_eq!(values, [json!(1), Value::Null, Value::Null]);
    }

    #[test]
    fn mysql_expands_arrays_and_repeats_values() {
        let c = run("SELECT :id WHERE x IN (:ids) AND y = :id", Dialect::MySql, json!({"id": 7, "ids": [1, 2, 3]}))
            .unwrap();
        assert_eq!(c.sql, "SELECT ? WHERE x IN (?, ?, ?) AND y = ?");
        let values: Vec<Value> = c.binds.iter().map(|b| b.value.clone()).collect();
        assert_eq!(values, [json!(7), json!(1), json!(2), json!(3), json!(7)]);
        assert!(c.binds.iter().all(|b| b.ty == ParamType::Integer));
    }

    #[test]
    fn an_empty_array_matches_nothing() {
        let c = run("SELECT 1 WHERE x IN (:ids)", Dialect::Sqlite, json!({"ids": []})).unwrap();
        assert_eq!((c.sql.as_str(), c.binds.len()), ("SELECT 1 WHERE x IN (NULL)", 0));
    }

    #[test]
    fn read_only_sqlite_queries_may_not_load_native_code() {
        let refused = run("SELECT Load_Extension('/tmp/evil.so')", Dialect::Sqlite, json!({})).unwrap_err();
        assert!(matches!(&refused, EngineError::ReadOnly(m) if m.contains("load_extension")), "{refused}");
        assert!(run("SELECT 'load_extension(' AS s", Dialect::Sqlite, json!({})).is_ok());
        let rw =
            compile("SELECT load_extension('/tmp/x')", Dialect::Sqlite, SqlModes::default(), &[], &Map::new(), false);
        assert!(rw.is_ok(), "read-write work is the admin's choice");
    }

    #[test]
    fn several_statements_and_undeclared_placeholders_are_refused() {
        let err = run("SELECT 1; DROP TABLE t", Dialect::Postgres, json!({})).unwrap_err();
        assert_eq!(err, EngineError::InvalidSql("only one statement is allowed (found 2)".into()));
        let err = run("SELECT :nope", Dialect::MySql, json!({})).unwrap_err();
        assert!(err.to_string().contains(":nope"));
        assert!(run("  -- nothing\n", Dialect::Postgres, json!({})).is_err());
    }
}
