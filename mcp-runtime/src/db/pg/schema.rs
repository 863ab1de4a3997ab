//! PostgreSQL schema browsing and the connection test. Names are bound as
//! values; a table reference is quoted into a `regclass` literal that the
//! server parses, so odd names never become SQL.

use super::wire::{self, PgError};
use super::{PgPool, connect_error, target};
use crate::db::error::one_line;
use crate::db::ident::{TableRef, quote_double};
use crate::db::policy::privileges::{PG_DANGEROUS_ROLES, PG_ROLE_QUERY, pg_warnings};
use crate::db::{ColumnInfo, ConnectionSpec, EngineError, SCHEMA_TIMEOUT, TableInfo, TableKind};

fn schema_error(e: PgError) -> EngineError {
    EngineError::Database(one_line(&e.to_string()))
}

/// Runs a catalog query on a pooled connection (text results).
async fn catalog(pool: &PgPool, sql: &str, params: &[Option<String>]) -> Result<Vec<Vec<Option<String>>>, EngineError> {
    let mut conn = pool.get(SCHEMA_TIMEOUT).await?;
    conn.query_text(sql, params).await.map_err(schema_error)
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

fn flag(row: &[Option<String>], i: usize) -> bool {
    row.get(i).is_some_and(|v| v.as_deref() == Some("t"))
}

/// Tables, partitioned and foreign tables, views and materialized views
/// outside the system schemas.
pub(crate) async fn tables(pool: &PgPool) -> Result<Vec<TableInfo>, EngineError> {
    let sql = "SELECT n.nspname, c.relname, c.relkind IN ('v', 'm') FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
               ORDER BY 1, 2";
    let rows = catalog(pool, sql, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| TableInfo {
            schema: text(r, 0),
            name: text(r, 1),
            kind: if flag(r, 2) { TableKind::View } else { TableKind::Table },
        })
        .collect())
}

/// The columns of `table` (resolved through the search path when unqualified).
pub(crate) async fn columns(pool: &PgPool, table: &TableRef) -> Result<Vec<ColumnInfo>, EngineError> {
    let qualified = match &table.schema {
        Some(s) => format!("{}.{}", quote_double(s), quote_double(&table.table)),
        None => quote_double(&table.table),
    };
    let sql = "SELECT a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, \
               pg_get_expr(d.adbin, d.adrelid), \
               COALESCE(a.attnum = ANY(i.indkey), false) \
               FROM pg_attribute a \
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
               LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
               WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped \
               ORDER BY a.attnum";
    let rows = catalog(pool, sql, &[Some(qualified.clone())]).await?;
    if rows.is_empty() {
        return Err(EngineError::NotFound(format!("table {qualified} does not exist or has no columns")));
    }
    Ok(rows
        .iter()
        .map(|r| ColumnInfo {
            name: text(r, 0),
            data_type: text(r, 1),
            nullable: flag(r, 2),
            default: r.get(3).cloned().flatten(),
            primary_key: flag(r, 4),
        })
        .collect())
}

/// Connects afresh (not through the pool), runs `SELECT 1`, and reads the
/// login's (and the read-only role's) attributes and dangerous role
/// memberships for the warnings.
pub(crate) async fn probe(spec: &ConnectionSpec) -> Result<Vec<String>, String> {
    let target = target(spec).map_err(|e| e.to_string())?;
    let mut conn = wire::connect(&target).await.map_err(|e| connect_error(&e))?;
    conn.query_text("SELECT 1", &[]).await.map_err(|e| connect_error(&e))?;
    let role = spec.read_only_role.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let dangerous = format!("{{{}}}", PG_DANGEROUS_ROLES.join(","));
    let rows = conn
        .query_text(PG_ROLE_QUERY, &[Some(role.unwrap_or_default().to_string()), Some(dangerous)])
        .await
        .map_err(|e| connect_error(&e))?;
    Ok(pg_warnings(&rows, role))
}
