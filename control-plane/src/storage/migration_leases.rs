//! Migration: `leases` — who runs a background job that must run once
//! per installation (compaction, retention) when several control planes share
//! the store, and until when.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Leases;

#[derive(DeriveIden)]
enum LeasesTable {
    #[sea_orm(iden = "leases")]
    Table,
    Name,
    Holder,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Leases {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LeasesTable::Table)
                .col(string_len(LeasesTable::Name, 64).primary_key())
                .col(string_len(LeasesTable::Holder, 100))
                .col(big_integer(LeasesTable::ExpiresAt))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LeasesTable::Table).take()).await
    }
}
