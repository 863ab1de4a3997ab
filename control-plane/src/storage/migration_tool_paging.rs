//! Fifth migration: `tools.pageable` — whether a tool's cut results carry a
//! page cursor. Existing tools are not pageable (false), so their manifests
//! and content hashes stay as they were.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct ToolPaging;

#[derive(DeriveIden)]
enum Tools {
    Table,
    Pageable,
}

#[async_trait::async_trait]
impl MigrationTrait for ToolPaging {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tools::Table).add_column(boolean(Tools::Pageable).default(false)).take())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tools::Table).drop_column(Tools::Pageable).take()).await
    }
}
