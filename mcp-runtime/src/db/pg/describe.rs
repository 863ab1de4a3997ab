//! [`describe`]: a statement's result columns without running it. On the
//! wire: the statement is forgotten from the connection's cache and prepared
//! again (Parse + Describe, one round trip), so a table changed since an
//! earlier prepare shows its new columns; then, when RowDescription names
//! table columns, one catalog query reads their `attnotnull`.

use std::collections::HashSet;

use shared_model::{SqlScan, TokenKind};

use super::{CancelOnDrop, PgPool, db_error};
use crate::db::compile::Compiled;
use crate::db::{ColumnDesc, EngineError, Limits};

/// Words after which a column read from a `NOT NULL` table column can still
/// be NULL (outer joins, grouping sets, set operations). A statement holding
/// any of them — even as a function name such as `left()` — reports every
/// column's nullability as unknown: a missing `false` costs a client a null
/// check, a wrong one breaks its validation.
const NULL_MAKERS: &[&str] =
    &["left", "right", "full", "outer", "rollup", "cube", "grouping", "union", "except", "intersect"];

/// The result columns of the compiled statement `c`; `scan` is the scan of
/// its source text `sql`.
pub(crate) async fn describe(
    pool: &PgPool,
    sql: &str,
    c: &Compiled,
    scan: &SqlScan,
    limits: &Limits,
) -> Result<Vec<ColumnDesc>, EngineError> {
    let mut guard = CancelOnDrop { conn: Some(pool.get(limits.timeout).await?), target: pool.target.clone() };
    let Some(conn) = guard.conn.as_deref_mut() else { return Err(EngineError::Database("connection lost".into())) };
    conn.forget(&c.sql);
    let stmt = conn.prepare(&c.sql).await.map_err(|e| db_error(e, limits))?;
    let columns = crate::db::unique_columns(stmt.columns.iter().map(|(name, ty)| (name.as_str(), ty.name())));
    let origins: Vec<(u32, i16)> = stmt.origins.iter().flatten().copied().collect();
    let not_null = if origins.is_empty() || makes_nulls(sql, scan) {
        None
    } else {
        Some(not_null(conn, &origins).await.map_err(|e| db_error(e, limits))?)
    };
    Ok(columns
        .into_iter()
        .zip(&stmt.origins)
        .map(|(col, origin)| ColumnDesc {
            name: col.name,
            sql_type: col.db_type,
            nullable: not_null.as_ref().zip(*origin).map(|(set, o)| !set.contains(&o)),
        })
        .collect())
}

fn makes_nulls(sql: &str, scan: &SqlScan) -> bool {
    scan.tokens.iter().filter(|t| t.kind == TokenKind::Word).any(|t| {
        let word = sql.get(t.start..t.end).unwrap_or_default();
        NULL_MAKERS.iter().any(|m| word.eq_ignore_ascii_case(m))
    })
}

/// Which of the table columns `origins` are declared `NOT NULL`.
async fn not_null(
    conn: &mut super::wire::Conn,
    origins: &[(u32, i16)],
) -> Result<HashSet<(u32, i16)>, super::wire::PgError> {
    let list = |f: &dyn Fn(&(u32, i16)) -> String| {
        Some(format!("{{{}}}", origins.iter().map(f).collect::<Vec<_>>().join(",")))
    };
    let params = [list(&|o| o.0.to_string()), list(&|o| o.1.to_string())];
    let sql = "SELECT a.attrelid, a.attnum FROM pg_attribute a \
               JOIN unnest($1::oid[], $2::int2[]) AS o(rel, num) ON a.attrelid = o.rel AND a.attnum = o.num \
               WHERE a.attnotnull";
    let rows = conn.query_text(sql, &params).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| match r.as_slice() {
            [Some(rel), Some(num)] => Some((rel.parse().ok()?, num.parse().ok()?)),
            _ => None,
        })
        .collect())
}
