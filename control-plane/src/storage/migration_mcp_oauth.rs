//! Thirteenth migration: auth mode `oauth` for MCP clients. `scopes` on tools,
//! resources and prompts (JSON list; NULL on existing rows reads as the empty
//! list, i.e. the server's default scope), and `server_config.secrets`: the
//! settings' secrets encrypted with the store key (the introspection client
//! secret), kept apart from the settings JSON so that history snapshots,
//! exports and API answers, which show the settings, never carry them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct McpOAuth;

#[derive(DeriveIden)]
enum Tools {
    Table,
    Scopes,
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Scopes,
}

#[derive(DeriveIden)]
enum Prompts {
    Table,
    Scopes,
}

#[derive(DeriveIden)]
enum ServerConfig {
    Table,
    Secrets,
}

#[async_trait::async_trait]
impl MigrationTrait for McpOAuth {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        m.alter_table(Table::alter().table(Tools::Table).add_column(json_null(Tools::Scopes)).take()).await?;
        m.alter_table(Table::alter().table(Resources::Table).add_column(json_null(Resources::Scopes)).take()).await?;
        m.alter_table(Table::alter().table(Prompts::Table).add_column(json_null(Prompts::Scopes)).take()).await?;
        m.alter_table(Table::alter().table(ServerConfig::Table).add_column(json_null(ServerConfig::Secrets)).take())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tools::Table).drop_column(Tools::Scopes).take()).await?;
        m.alter_table(Table::alter().table(Resources::Table).drop_column(Resources::Scopes).take()).await?;
        m.alter_table(Table::alter().table(Prompts::Table).drop_column(Prompts::Scopes).take()).await?;
        m.alter_table(Table::alter().table(ServerConfig::Table).drop_column(ServerConfig::Secrets).take()).await
    }
}
