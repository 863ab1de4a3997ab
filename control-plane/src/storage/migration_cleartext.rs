//! Fifth migration: `connections.allow_cleartext_password` (issue 16). Off for
//! every existing connection: a PostgreSQL server asking for a cleartext or
//! MD5 password without TLS gets nothing unless the admin opts in.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct CleartextOptIn;

#[derive(DeriveIden)]
enum Connections {
    Table,
    AllowCleartextPassword,
}

#[async_trait::async_trait]
impl MigrationTrait for CleartextOptIn {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let column = ColumnDef::new(Connections::AllowCleartextPassword).boolean().not_null().default(false).to_owned();
        m.alter_table(Table::alter().table(Connections::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let drop = Table::alter().table(Connections::Table).drop_column(Connections::AllowCleartextPassword).to_owned();
        m.alter_table(drop).await
    }
}
