//! Ninth migration: agent access. `agent_tokens` holds each agent token's
//! keyed hash (unique: the lookup on every agent request), its scopes (JSON
//! list), expiry and latest use; `agent_activity` one row per agent tool call
//! (credential, tool, redacted arguments, outcome, duration), kept as long as
//! the request log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct AgentTables;

#[derive(DeriveIden)]
enum AgentTokens {
    Table,
    Id,
    Name,
    Prefix,
    TokenHash,
    Scopes,
    ExpiresAt,
    CreatedAt,
    LastUsedAt,
    LastUsedFrom,
}

#[derive(DeriveIden)]
enum AgentActivity {
    Table,
    Id,
    At,
    CredentialId,
    CredentialName,
    Tool,
    Arguments,
    Outcome,
    Detail,
    DurationUs,
}

#[async_trait::async_trait]
impl MigrationTrait for AgentTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AgentTokens::Table)
                .col(string_len(AgentTokens::Id, 36).primary_key())
                .col(string_len(AgentTokens::Name, 100))
                .col(string_len(AgentTokens::Prefix, 16))
                .col(string_len(AgentTokens::TokenHash, 64).unique_key())
                .col(json(AgentTokens::Scopes))
                .col(timestamp_with_time_zone(AgentTokens::ExpiresAt))
                .col(timestamp_with_time_zone(AgentTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(AgentTokens::LastUsedAt))
                .col(string_len_null(AgentTokens::LastUsedFrom, 64))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AgentActivity::Table)
                .col(big_pk_auto(AgentActivity::Id))
                .col(timestamp_with_time_zone(AgentActivity::At))
                .col(string_len(AgentActivity::CredentialId, 64))
                .col(string_len(AgentActivity::CredentialName, 100))
                .col(string_len(AgentActivity::Tool, 64))
                .col(text(AgentActivity::Arguments))
                .col(string_len(AgentActivity::Outcome, 16))
                .col(text_null(AgentActivity::Detail))
                .col(big_integer(AgentActivity::DurationUs))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("agent_activity_at").table(AgentActivity::Table).col(AgentActivity::At).take(),
        )
        .await?;
        Ok(())
    }
}
