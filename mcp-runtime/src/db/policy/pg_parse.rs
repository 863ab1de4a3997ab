//! Finds what a PostgreSQL statement calls, with the server's own grammar
//! (libpg_query through the `pg_query` crate), and whether its shape is one a
//! read-only query may have. The parse tree is walked as data (JSON), so every
//! node kind is visited, not only those a hand-written visitor knows.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::db::EngineError;

/// A possibly schema-qualified name, as the parser folded it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Name {
    pub(super) schema: Option<String>,
    pub(super) name: String,
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(s) => write!(f, "{s}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What a statement calls, from its parse tree.
#[derive(Debug, Default)]
pub(super) struct Calls {
    /// Function calls, including special syntax (`EXTRACT`, `SUBSTRING` …).
    pub(super) functions: BTreeSet<Name>,
    /// Last parts of `a.b` references, which may be `b(a)`.
    pub(super) attributes: BTreeSet<String>,
    /// Operators, from expressions and `op ANY/ALL (subquery)`.
    pub(super) operators: BTreeSet<Name>,
    /// Type names (casts, column definition lists).
    pub(super) types: BTreeSet<Name>,
}

/// Parses `sql` (one statement) and collects its calls, or says why its
/// shape is refused.
pub(super) fn analyse(sql: &str) -> Result<Calls, EngineError> {
    let parsed = pg_query::parse(sql, pg_query::ParserOptions::DEFAULT)
        .map_err(|e| EngineError::InvalidSql(format!("PostgreSQL's parser: {e}")))?;
    let kinds = parsed.statement_types();
    if kinds.len() != 1 {
        return Err(EngineError::InvalidSql(format!(
            "only one statement is allowed (PostgreSQL's parser found {})",
            kinds.len()
        )));
    }
    if kinds != ["SelectStmt"] {
        let found = kinds.first().map_or("nothing", |k| k.strip_suffix("Stmt").unwrap_or(k));
        return Err(EngineError::ReadOnly(format!(
            "a read-only query must be one SELECT, VALUES or WITH … SELECT (found {found})"
        )));
    }
    let tree = serde_json::to_value(&parsed.protobuf)
        .map_err(|e| EngineError::InvalidSql(format!("cannot read the parse tree: {e}")))?;
    let mut calls = Calls::default();
    walk(&tree, &mut calls)?;
    Ok(calls)
}

/// Visits every node of the tree (as JSON, so no node kind is missed).
fn walk(v: &Value, calls: &mut Calls) -> Result<(), EngineError> {
    let refuse = |why: &str| Err(EngineError::ReadOnly(format!("{why} is not allowed in a read-only query")));
    match v {
        Value::Array(items) => items.iter().try_for_each(|x| walk(x, calls)),
        Value::Object(m) => {
            for (key, x) in m {
                match key.as_str() {
                    "FuncCall" => calls.functions.extend(name_of(x.get("funcname"))),
                    "AExpr" => calls.operators.extend(name_of(x.get("name"))),
                    "SubLink" => calls.operators.extend(name_of(x.get("oper_name"))),
                    "TypeName" | "type_name" => calls.types.extend(name_of(x.get("names"))),
                    "ColumnRef" => {
                        let fields = strings(x.get("fields"));
                        if fields.len() >= 2 {
                            calls.attributes.extend(fields.last().cloned());
                        }
                    }
                    "AIndirection" => calls.attributes.extend(strings(x.get("indirection"))),
                    "InsertStmt" | "UpdateStmt" | "DeleteStmt" | "MergeStmt" => {
                        return refuse("a data-modifying statement inside WITH");
                    }
                    "locking_clause" if x.as_array().is_some_and(|a| !a.is_empty()) => {
                        return refuse("a locking clause (FOR UPDATE / FOR SHARE)");
                    }
                    "into_clause" if !x.is_null() => return refuse("SELECT … INTO"),
                    _ => {}
                }
                walk(x, calls)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The `String` values of a list of nodes (`[{"node": {"String": {"sval": …}}}]`).
fn strings(list: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(items)) = list else { return Vec::new() };
    items.iter().filter_map(|n| n.pointer("/node/String/sval").and_then(Value::as_str).map(str::to_string)).collect()
}

/// `[schema.]name` from a name list (a leading catalog part is ignored).
fn name_of(list: Option<&Value>) -> Option<Name> {
    let mut parts = strings(list);
    let name = parts.pop()?;
    Some(Name { schema: parts.pop(), name })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(set: &BTreeSet<Name>) -> Vec<String> {
        set.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_call_is_found_wherever_it_hides() {
        let c = analyse(
            "WITH x AS (SELECT lower(a) FROM t) SELECT pg_catalog.upper(b)::public.mytype, c.nextval, (d).setval, \
             e OPERATOR(public.###) f, g + 1 FROM x, generate_series(1, 2) \
             WHERE h IN (SELECT coalesce(i, abs(j)) FROM u) ORDER BY md5(k)",
        )
        .unwrap();
        assert_eq!(
            names(&c.functions),
            ["abs", "generate_series", "lower", "md5", "pg_catalog.upper"].map(String::from)
        );
        assert_eq!(c.attributes.iter().cloned().collect::<Vec<_>>(), ["nextval", "setval"].map(String::from));
        assert_eq!(names(&c.operators), ["+", "public.###"].map(String::from));
        assert!(names(&c.types).contains(&"public.mytype".to_string()), "{:?}", c.types);
    }

    #[test]
    fn only_a_plain_select_has_the_right_shape() {
        for sql in [
            "DELETE FROM t",
            "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
            "SELECT * FROM t FOR SHARE",
            "(SELECT * FROM t FOR KEY SHARE) UNION SELECT * FROM t",
            "SELECT * INTO t2 FROM t",
            "COPY t TO STDOUT",
            "DO $$ BEGIN END $$",
            "CALL p()",
            "EXPLAIN ANALYZE DELETE FROM t",
        ] {
            assert!(matches!(analyse(sql), Err(EngineError::ReadOnly(_))), "{sql}");
        }
        for sql in ["VALUES (1)", "SELECT 1 UNION SELECT 2", "WITH a AS (SELECT 1) SELECT * FROM a"] {
            assert!(analyse(sql).is_ok(), "{sql}");
        }
        assert!(matches!(analyse("SELECT 'unterminated"), Err(EngineError::InvalidSql(_))));
    }
}
