//! Fifth migration: the read-only policy's per-connection settings — the
//! volatile functions the admin allows (`allowed_functions`, a JSON array of
//! `name` / `schema.name`, default `[]`) and the PostgreSQL role read-only
//! calls switch to (`read_only_role`, default none). Existing connections
//! keep today's behaviour.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct ReadOnlySettings;

#[derive(DeriveIden)]
enum Connections {
    Table,
    AllowedFunctions,
    ReadOnlyRole,
}

#[async_trait::async_trait]
impl MigrationTrait for ReadOnlySettings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Connections::Table)
                .add_column(json(Connections::AllowedFunctions).default(Expr::val("[]")))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Connections::Table).add_column(string_len_null(Connections::ReadOnlyRole, 63)).take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Connections::AllowedFunctions, Connections::ReadOnlyRole] {
            m.alter_table(Table::alter().table(Connections::Table).drop_column(col).take()).await?;
        }
        Ok(())
    }
}
