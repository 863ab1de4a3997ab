//! Schema migrations, run at every start. Written with sea-query's builder so
//! the same migration creates the SQLite and the PostgreSQL schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(Initial),
            Box::new(super::migration_deploy::DeployTables),
            Box::new(super::migration_history::HistoryTables),
            Box::new(super::migration_two_factor::TwoFactorTables),
            Box::new(super::migration_cleartext::CleartextOptIn),
            Box::new(super::migration_tool_paging::ToolPaging),
            Box::new(super::migration_read_only::ReadOnlySettings),
            Box::new(super::migration_telemetry::TelemetryTables),
            Box::new(super::migration_tool_columns::ToolColumns),
            Box::new(super::migration_agent::AgentTables),
            Box::new(super::migration_oauth::OAuthClients),
            Box::new(super::migration_leases::Leases),
            Box::new(super::migration_mcp_oauth::McpOAuth),
            Box::new(super::migration_authorization::AuthorizationServer),
        ]
    }
}

#[derive(DeriveMigrationName)]
struct Initial;

#[derive(DeriveIden)]
enum Admins {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    AdminId,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Connections {
    Table,
    Id,
    Name,
    NameKey,
    DbType,
    Host,
    Port,
    Database,
    Username,
    Password,
    SslMode,
    ExtraParams,
    PoolMinSize,
    PoolMaxSize,
    MaxConcurrentQueries,
    QueueTimeoutSeconds,
    QueueEnabled,
    IsActive,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Tools {
    Table,
    Id,
    ConnectionId,
    Name,
    NameKey,
    Description,
    SqlQuery,
    Parameters,
    Tags,
    ReturnType,
    TransformTemplate,
    Annotations,
    CacheTtl,
    IsEnabled,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Resources {
    Table,
    Id,
    ConnectionId,
    Name,
    NameKey,
    Description,
    UriTemplate,
    SqlQuery,
    StaticContent,
    Parameters,
    MimeType,
    Tags,
    IsEnabled,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Prompts {
    Table,
    Id,
    Name,
    NameKey,
    Title,
    Description,
    Template,
    Arguments,
    Tags,
    IsEnabled,
    Version,
    CreatedAt,
    UpdatedAt,
}

fn id<T: IntoIden>(col: T) -> ColumnDef {
    string_len(col, 36).primary_key().take()
}

fn stamps<T: IntoIden + 'static>(t: &mut TableCreateStatement, created: T, updated: T) {
    t.col(timestamp_with_time_zone(created)).col(timestamp_with_time_zone(updated));
}

fn cascade_to<T: IntoIden + 'static, C: IntoIden + 'static>(
    from: (T, C),
    to: (Connections, Connections),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(Admins::Table).col(id(Admins::Id)).col(string_uniq(Admins::Username)).col(text(Admins::PasswordHash));
        stamps(&mut t, Admins::CreatedAt, Admins::UpdatedAt);
        m.create_table(t).await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(id(Sessions::Id))
                .col(string_len(Sessions::AdminId, 36))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::AdminId)
                        .to(Admins::Table, Admins::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;

        let mut t = Table::create();
        t.table(Connections::Table)
            .col(id(Connections::Id))
            .col(string(Connections::Name))
            .col(string_uniq(Connections::NameKey))
            .col(string_len(Connections::DbType, 32))
            .col(string(Connections::Host))
            .col(integer(Connections::Port))
            .col(text(Connections::Database))
            .col(string(Connections::Username))
            .col(text_null(Connections::Password))
            .col(string_len(Connections::SslMode, 16))
            .col(json(Connections::ExtraParams))
            .col(integer(Connections::PoolMinSize))
            .col(integer(Connections::PoolMaxSize))
            .col(integer(Connections::MaxConcurrentQueries))
            .col(integer(Connections::QueueTimeoutSeconds))
            .col(boolean(Connections::QueueEnabled))
            .col(boolean(Connections::IsActive))
            .col(integer(Connections::Version));
        stamps(&mut t, Connections::CreatedAt, Connections::UpdatedAt);
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table(Tools::Table)
            .col(id(Tools::Id))
            .col(string_len(Tools::ConnectionId, 36))
            .col(string(Tools::Name))
            .col(string_uniq(Tools::NameKey))
            .col(text(Tools::Description))
            .col(text(Tools::SqlQuery))
            .col(json(Tools::Parameters))
            .col(json(Tools::Tags))
            .col(string_len(Tools::ReturnType, 16))
            .col(text_null(Tools::TransformTemplate))
            .col(json(Tools::Annotations))
            .col(integer(Tools::CacheTtl))
            .col(boolean(Tools::IsEnabled))
            .col(integer(Tools::Version))
            .foreign_key(&mut cascade_to((Tools::Table, Tools::ConnectionId), (Connections::Table, Connections::Id)));
        stamps(&mut t, Tools::CreatedAt, Tools::UpdatedAt);
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table(Resources::Table)
            .col(id(Resources::Id))
            .col(string_len_null(Resources::ConnectionId, 36))
            .col(string(Resources::Name))
            .col(string_uniq(Resources::NameKey))
            .col(text(Resources::Description))
            .col(text(Resources::UriTemplate))
            .col(text_null(Resources::SqlQuery))
            .col(text_null(Resources::StaticContent))
            .col(json(Resources::Parameters))
            .col(string(Resources::MimeType))
            .col(json(Resources::Tags))
            .col(boolean(Resources::IsEnabled))
            .col(integer(Resources::Version))
            .foreign_key(&mut cascade_to(
                (Resources::Table, Resources::ConnectionId),
                (Connections::Table, Connections::Id),
            ));
        stamps(&mut t, Resources::CreatedAt, Resources::UpdatedAt);
        m.create_table(t).await?;

        let mut t = Table::create();
        t.table(Prompts::Table)
            .col(id(Prompts::Id))
            .col(string(Prompts::Name))
            .col(string_uniq(Prompts::NameKey))
            .col(string_null(Prompts::Title))
            .col(text(Prompts::Description))
            .col(text(Prompts::Template))
            .col(json(Prompts::Arguments))
            .col(json(Prompts::Tags))
            .col(boolean(Prompts::IsEnabled))
            .col(integer(Prompts::Version));
        stamps(&mut t, Prompts::CreatedAt, Prompts::UpdatedAt);
        m.create_table(t).await?;
        Ok(())
    }
}
