//! Second migration: releases, the server configuration, the deploy state
//! and runtime heartbeats (issue 5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct DeployTables;

#[derive(DeriveIden)]
enum Releases {
    Table,
    Number,
    ContentHash,
    SourceHash,
    Manifest,
    Source,
    Changes,
    RolledBackFrom,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServerConfig {
    Table,
    Id,
    Settings,
    Tokens,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DeployState {
    Table,
    Id,
    ActiveRelease,
    Stopped,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RuntimeHeartbeats {
    Table,
    InstanceId,
    RuntimeVersion,
    Release,
    Status,
    Message,
    LastSeen,
}

#[async_trait::async_trait]
impl MigrationTrait for DeployTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Releases::Table)
                .col(big_integer(Releases::Number).primary_key())
                .col(string_len(Releases::ContentHash, 80))
                .col(string_len(Releases::SourceHash, 80))
                .col(text(Releases::Manifest))
                .col(text(Releases::Source))
                .col(json(Releases::Changes))
                .col(big_integer_null(Releases::RolledBackFrom))
                .col(timestamp_with_time_zone(Releases::CreatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServerConfig::Table)
                .col(integer(ServerConfig::Id).primary_key())
                .col(json(ServerConfig::Settings))
                .col(json(ServerConfig::Tokens))
                .col(timestamp_with_time_zone(ServerConfig::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DeployState::Table)
                .col(integer(DeployState::Id).primary_key())
                .col(big_integer_null(DeployState::ActiveRelease))
                .col(boolean(DeployState::Stopped))
                .col(timestamp_with_time_zone(DeployState::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RuntimeHeartbeats::Table)
                .col(string_len(RuntimeHeartbeats::InstanceId, 64).primary_key())
                .col(string_len(RuntimeHeartbeats::RuntimeVersion, 64))
                .col(big_integer_null(RuntimeHeartbeats::Release))
                .col(string_len(RuntimeHeartbeats::Status, 16))
                .col(text(RuntimeHeartbeats::Message))
                .col(timestamp_with_time_zone(RuntimeHeartbeats::LastSeen))
                .take(),
        )
        .await?;
        Ok(())
    }
}
