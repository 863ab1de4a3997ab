//! Eighth migration: `tools.result_columns` — the statement's result columns
//! as the database described them when the tool was saved (or deployed), from
//! which each release derives the tool's output schema. Existing tools have
//! none (NULL) until they are saved or deployed again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct ToolColumns;

#[derive(DeriveIden)]
enum Tools {
    Table,
    ResultColumns,
}

#[async_trait::async_trait]
impl MigrationTrait for ToolColumns {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tools::Table).add_column(json_null(Tools::ResultColumns)).take()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tools::Table).drop_column(Tools::ResultColumns).take()).await
    }
}
