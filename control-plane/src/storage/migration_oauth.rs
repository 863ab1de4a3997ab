//! Tenth migration: OAuth clients. `oauth_clients` holds each client's public
//! `client_id` (unique: the lookup on every token request and every use of an
//! access token), the keyed hash of its secret, its allowed scopes (JSON list)
//! and latest use.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct OAuthClients;

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    Name,
    ClientId,
    SecretHash,
    Scopes,
    CreatedAt,
    LastUsedAt,
    LastUsedFrom,
}

#[async_trait::async_trait]
impl MigrationTrait for OAuthClients {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthClients::Table)
                .col(string_len(OauthClients::Id, 36).primary_key())
                .col(string_len(OauthClients::Name, 100))
                .col(string_len(OauthClients::ClientId, 64).unique_key())
                .col(string_len(OauthClients::SecretHash, 64))
                .col(json(OauthClients::Scopes))
                .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                .col(timestamp_with_time_zone_null(OauthClients::LastUsedAt))
                .col(string_len_null(OauthClients::LastUsedFrom, 64))
                .take(),
        )
        .await?;
        Ok(())
    }
}
