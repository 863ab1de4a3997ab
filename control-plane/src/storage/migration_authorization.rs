//! Thirteenth migration: Quarry as the authorization server of MCP clients.
//!
//! - `authorization_server_config`: one row, the settings (JSON) and the
//!   upstream provider's client secret sealed with the store key;
//! - `oauth_registered_clients`: clients registered through RFC 7591 (public
//!   clients: a name and exact redirect URIs);
//! - `oauth_authorization_requests`: a pending authorization (minutes), then
//!   its code (the keyed hash; single use) and the grant the code issued;
//! - `oauth_grants`: what a user allowed a client (subject, identity claims,
//!   scopes, resource), revocable;
//! - `oauth_refresh_tokens`: keyed hashes of refresh tokens, one family per
//!   grant, each used once (rotation).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct AuthorizationServer;

#[derive(DeriveIden)]
enum AuthorizationServerConfig {
    Table,
    Id,
    Settings,
    UpstreamClientSecret,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OauthRegisteredClients {
    Table,
    ClientId,
    ClientName,
    RedirectUris,
    CreatedAt,
    CreatedFrom,
}

#[derive(DeriveIden)]
enum OauthAuthorizationRequests {
    Table,
    Id,
    ClientId,
    ClientName,
    RedirectUri,
    Scopes,
    State,
    CodeChallenge,
    Resource,
    BrowserHash,
    Identity,
    UpstreamState,
    UpstreamNonce,
    UpstreamVerifier,
    CodeHash,
    GrantId,
    CodeUsed,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OauthGrants {
    Table,
    Id,
    Subject,
    Email,
    Identity,
    ClientId,
    ClientName,
    Scopes,
    Resource,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OauthRefreshTokens {
    Table,
    TokenHash,
    GrantId,
    Used,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for AuthorizationServer {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuthorizationServerConfig::Table)
                .col(integer(AuthorizationServerConfig::Id).primary_key())
                .col(json(AuthorizationServerConfig::Settings))
                .col(text_null(AuthorizationServerConfig::UpstreamClientSecret))
                .col(timestamp_with_time_zone(AuthorizationServerConfig::UpdatedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthRegisteredClients::Table)
                .col(string_len(OauthRegisteredClients::ClientId, 64).primary_key())
                .col(string_len(OauthRegisteredClients::ClientName, 200))
                .col(json(OauthRegisteredClients::RedirectUris))
                .col(timestamp_with_time_zone(OauthRegisteredClients::CreatedAt))
                .col(string_len_null(OauthRegisteredClients::CreatedFrom, 64))
                .take(),
        )
        .await?;
        use OauthAuthorizationRequests as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(string_len(R::Id, 64).primary_key())
                .col(text(R::ClientId))
                .col(string_len(R::ClientName, 200))
                .col(text(R::RedirectUri))
                .col(json(R::Scopes))
                .col(text_null(R::State))
                .col(string_len(R::CodeChallenge, 128))
                .col(text(R::Resource))
                .col(string_len(R::BrowserHash, 64))
                .col(json_null(R::Identity))
                .col(string_len_null(R::UpstreamState, 64))
                .col(string_len_null(R::UpstreamNonce, 64))
                .col(string_len_null(R::UpstreamVerifier, 128))
                .col(string_len_null(R::CodeHash, 64).unique_key())
                .col(string_len_null(R::GrantId, 36))
                .col(boolean(R::CodeUsed).default(false))
                .col(timestamp_with_time_zone(R::CreatedAt))
                .col(timestamp_with_time_zone(R::ExpiresAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_oauth_requests_upstream_state").table(R::Table).col(R::UpstreamState).take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthGrants::Table)
                .col(string_len(OauthGrants::Id, 36).primary_key())
                .col(string_len(OauthGrants::Subject, 255))
                .col(string_len_null(OauthGrants::Email, 320))
                .col(json(OauthGrants::Identity))
                .col(text(OauthGrants::ClientId))
                .col(string_len(OauthGrants::ClientName, 200))
                .col(json(OauthGrants::Scopes))
                .col(text(OauthGrants::Resource))
                .col(timestamp_with_time_zone(OauthGrants::CreatedAt))
                .col(timestamp_with_time_zone_null(OauthGrants::LastUsedAt))
                .col(timestamp_with_time_zone_null(OauthGrants::RevokedAt))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthRefreshTokens::Table)
                .col(string_len(OauthRefreshTokens::TokenHash, 64).primary_key())
                .col(string_len(OauthRefreshTokens::GrantId, 36))
                .col(boolean(OauthRefreshTokens::Used).default(false))
                .col(timestamp_with_time_zone(OauthRefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(OauthRefreshTokens::ExpiresAt))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_oauth_refresh_tokens_grant")
                .table(OauthRefreshTokens::Table)
                .col(OauthRefreshTokens::GrantId)
                .take(),
        )
        .await?;
        Ok(())
    }
}
