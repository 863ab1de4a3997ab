//! SQLite schema browsing (`sqlite_schema`, `pragma_table_info` with bound
//! names) and the connection test.

use std::time::Duration;

use sqlx::{Connection, Row};

use super::{SqlitePools, acquire, options};
use crate::db::error::one_line;
use crate::db::ident::TableRef;
use crate::db::{ColumnInfo, ConnectionSpec, EngineError, SCHEMA_TIMEOUT, TableInfo, TableKind};

fn schema_error(e: sqlx::Error) -> EngineError {
    EngineError::Database(one_line(&e.to_string()))
}

/// What went wrong opening the file, phrased as what to check.
pub(crate) fn open_error(e: &sqlx::Error) -> String {
    let text = one_line(&e.to_string());
    if text.contains("unable to open") {
        "the database file does not exist or cannot be opened: check the path and its permissions".into()
    } else if text.contains("not a database") {
        "the file is not a SQLite database".into()
    } else {
        format!("could not open the database: {text}")
    }
}

/// Tables and views of the main database (SQLite's own tables excluded).
pub(crate) async fn tables(p: &SqlitePools) -> Result<Vec<TableInfo>, EngineError> {
    let (mut conn, _stop) = acquire(&p.ro, p.max, SCHEMA_TIMEOUT).await?;
    let sql = "SELECT name, type = 'view' FROM sqlite_schema \
               WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await.map_err(schema_error)?;
    Ok(rows
        .iter()
        .map(|r| TableInfo {
            schema: "main".into(),
            name: r.get(0),
            kind: if r.get::<bool, _>(1) { TableKind::View } else { TableKind::Table },
        })
        .collect())
}

/// The columns of `table` (`schema` names an attached database, default `main`).
pub(crate) async fn columns(p: &SqlitePools, table: &TableRef) -> Result<Vec<ColumnInfo>, EngineError> {
    let (mut conn, _stop) = acquire(&p.ro, p.max, SCHEMA_TIMEOUT).await?;
    let sql =
        "SELECT name, type, \"notnull\" = 0 AND pk = 0, dflt_value, pk > 0 FROM pragma_table_info(?, ?) ORDER BY cid";
    let rows = sqlx::query(sql)
        .bind(&table.table)
        .bind(table.schema.as_deref().unwrap_or("main"))
        .fetch_all(&mut *conn)
        .await
        .map_err(schema_error)?;
    if rows.is_empty() {
        return Err(EngineError::NotFound(format!("table {:?} does not exist or has no columns", table.table)));
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

/// Opens the file read-only (never creating it) and runs `SELECT 1`.
pub(crate) async fn probe(spec: &ConnectionSpec) -> Result<Vec<String>, String> {
    let mut conn = sqlx::SqliteConnection::connect_with(&options(spec, true).busy_timeout(Duration::from_secs(2)))
        .await
        .map_err(|e| open_error(&e))?;
    // Reading the schema makes SQLite check the file header.
    sqlx::query("SELECT count(*) FROM sqlite_schema").fetch_one(&mut conn).await.map_err(|e| open_error(&e))?;
    let _ = conn.close().await;
    Ok(Vec::new())
}
