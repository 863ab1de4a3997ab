//! PostgreSQL schema browsing and the connection test. Names are bound as
//! values; a table reference is quoted into a `regclass` literal that the
//! server parses, so odd names never become SQL.

use tokio_postgres::NoTls;

use super::{PgPool, config, connect_error};
use crate::db::error::one_line;
use crate::db::ident::{TableRef, quote_double};
use crate::db::{ColumnInfo, ConnectionSpec, EngineError, SCHEMA_TIMEOUT, TableInfo, TableKind};

fn schema_error(e: tokio_postgres::Error) -> EngineError {
    match e.as_db_error() {
        Some(db) => EngineError::Database(format!("{} (SQLSTATE {})", one_line(db.message()), db.code().code())),
        None => EngineError::Database(one_line(&e.to_string())),
    }
}

/// Tables, partitioned and foreign tables, views and materialized views
/// outside the system schemas.
pub(crate) async fn tables(pool: &PgPool) -> Result<Vec<TableInfo>, EngineError> {
    let client = pool.get(SCHEMA_TIMEOUT).await?;
    let sql = "SELECT n.nspname, c.relname, c.relkind IN ('v', 'm') FROM pg_class c \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' \
               ORDER BY 1, 2";
    let rows = client.query(sql, &[]).await.map_err(schema_error)?;
    Ok(rows
        .iter()
        .map(|r| TableInfo {
            schema: r.get(0),
            name: r.get(1),
            kind: if r.get(2) { TableKind::View } else { TableKind::Table },
        })
        .collect())
}

/// The columns of `table` (resolved through the search path when unqualified).
pub(crate) async fn columns(pool: &PgPool, table: &TableRef) -> Result<Vec<ColumnInfo>, EngineError> {
    let client = pool.get(SCHEMA_TIMEOUT).await?;
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
    let rows = client.query(sql, &[&qualified]).await.map_err(schema_error)?;
    if rows.is_empty() {
        return Err(EngineError::NotFound(format!("table {qualified} does not exist or has no columns")));
    }
    Ok(rows
        .iter()
        .map(|r| ColumnInfo {
            name: r.get(0),
            data_type: r.get(1),
            nullable: r.get(2),
            default: r.get(3),
            primary_key: r.get(4),
        })
        .collect())
}

/// Connects afresh (not through the pool) and runs `SELECT 1`.
pub(crate) async fn probe(spec: &ConnectionSpec) -> Result<(), String> {
    let (cfg, tls) = config(spec).map_err(|e| e.to_string())?;
    let client = match tls {
        Some(t) => {
            let (client, conn) = cfg.connect(t).await.map_err(|e| connect_error(&e))?;
            tokio::spawn(conn);
            client
        }
        None => {
            let (client, conn) = cfg.connect(NoTls).await.map_err(|e| connect_error(&e))?;
            tokio::spawn(conn);
            client
        }
    };
    client.simple_query("SELECT 1").await.map_err(|e| connect_error(&e))?;
    Ok(())
}
