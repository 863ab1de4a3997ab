//! MySQL/MariaDB schema browsing (information_schema, names bound as values)
//! and the connection test.

use mysql_async::prelude::Queryable;

use super::errors::{connect_error, get_conn};
use super::{MyPool, opts};
use crate::db::error::one_line;
use crate::db::ident::TableRef;
use crate::db::{ColumnInfo, ConnectionSpec, EngineError, SCHEMA_TIMEOUT, TableInfo, TableKind};

fn schema_error(e: mysql_async::Error) -> EngineError {
    EngineError::Database(one_line(&e.to_string()))
}

/// Tables and views of the connection's database.
pub(crate) async fn tables(pool: &MyPool) -> Result<Vec<TableInfo>, EngineError> {
    let mut conn = get_conn(&pool.pool, SCHEMA_TIMEOUT, pool.max).await?;
    let sql = "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE LIKE '%VIEW' FROM information_schema.TABLES \
               WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_SCHEMA, TABLE_NAME";
    let rows: Vec<(String, String, bool)> = conn.query(sql).await.map_err(schema_error)?;
    Ok(rows
        .into_iter()
        .map(|(schema, name, view)| TableInfo {
            schema,
            name,
            kind: if view { TableKind::View } else { TableKind::Table },
        })
        .collect())
}

/// The columns of `table` in its database (the connection's by default).
pub(crate) async fn columns(pool: &MyPool, table: &TableRef) -> Result<Vec<ColumnInfo>, EngineError> {
    let mut conn = get_conn(&pool.pool, SCHEMA_TIMEOUT, pool.max).await?;
    let sql = "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', COLUMN_DEFAULT, COLUMN_KEY = 'PRI' \
               FROM information_schema.COLUMNS \
               WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION";
    type Row = (String, String, bool, Option<String>, bool);
    let rows: Vec<Row> = conn.exec(sql, (table.schema.clone(), table.table.clone())).await.map_err(schema_error)?;
    if rows.is_empty() {
        return Err(EngineError::NotFound(format!("table {:?} does not exist or has no columns", table.table)));
    }
    Ok(rows
        .into_iter()
        .map(|(name, data_type, nullable, default, primary_key)| ColumnInfo {
            name,
            data_type,
            nullable,
            default,
            primary_key,
        })
        .collect())
}

/// Connects afresh (not through the pool) and runs `SELECT 1`.
/// and reads `SHOW GRANTS` for privileges beyond what read-only tools need.
pub(crate) async fn probe(spec: &ConnectionSpec) -> Result<Vec<String>, String> {
    let mut conn =
        mysql_async::Conn::new(opts(spec, false).map_err(|e| e.to_string())?).await.map_err(|e| connect_error(&e))?;
    conn.query_drop("SELECT 1").await.map_err(|e| connect_error(&e))?;
    let grants: Vec<String> = conn.query("SHOW GRANTS").await.map_err(|e| connect_error(&e))?;
    let _ = conn.disconnect().await;
    Ok(crate::db::policy::privileges::mysql_warnings(&grants))
}
