//! Migration: the change history and the audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct HistoryTables;

#[derive(DeriveIden)]
enum ChangeHistory {
    Table,
    Id,
    EntityType,
    EntityId,
    EntityName,
    Action,
    Version,
    Actor,
    ActorAddress,
    ActorUserAgent,
    Snapshot,
    Changes,
    RolledBackTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Event,
    Actor,
    Address,
    UserAgent,
    Detail,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for HistoryTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ChangeHistory::Table)
                .col(big_pk_auto(ChangeHistory::Id))
                .col(string_len(ChangeHistory::EntityType, 32))
                .col(string_len(ChangeHistory::EntityId, 64))
                .col(string(ChangeHistory::EntityName))
                .col(string_len(ChangeHistory::Action, 16))
                .col(integer_null(ChangeHistory::Version))
                .col(string(ChangeHistory::Actor))
                .col(string_len_null(ChangeHistory::ActorAddress, 64))
                .col(string_len_null(ChangeHistory::ActorUserAgent, 1024))
                .col(json_null(ChangeHistory::Snapshot))
                .col(json(ChangeHistory::Changes))
                .col(big_integer_null(ChangeHistory::RolledBackTo))
                .col(timestamp_with_time_zone(ChangeHistory::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("change_history_entity")
                .table(ChangeHistory::Table)
                .col(ChangeHistory::EntityType)
                .col(ChangeHistory::EntityId)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("change_history_created")
                .table(ChangeHistory::Table)
                .col(ChangeHistory::CreatedAt)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(string_len(AuditEvents::Event, 32))
                .col(string(AuditEvents::Actor))
                .col(string_len_null(AuditEvents::Address, 64))
                .col(string_len_null(AuditEvents::UserAgent, 1024))
                .col(json(AuditEvents::Detail))
                .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("audit_events_created").table(AuditEvents::Table).col(AuditEvents::CreatedAt).take(),
        )
        .await?;
        Ok(())
    }
}
