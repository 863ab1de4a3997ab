//! Migration for several control planes and runtime replicas: `leases` — who
//! runs a background job that must run once per installation (compaction,
//! retention) and until when — and `runtime_heartbeats.connections_down`, the
//! connections an instance could not reach at its latest health probe.

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

#[derive(DeriveIden)]
enum RuntimeHeartbeats {
    Table,
    ConnectionsDown,
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
        .await?;
        m.alter_table(
            Table::alter()
                .table(RuntimeHeartbeats::Table)
                .add_column(text_null(RuntimeHeartbeats::ConnectionsDown))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(RuntimeHeartbeats::Table).drop_column(RuntimeHeartbeats::ConnectionsDown).take(),
        )
        .await?;
        m.drop_table(Table::drop().table(LeasesTable::Table).take()).await
    }
}
