//! Third migration: two-factor login for the admin — the TOTP secret (sealed
//! with the store keyring), its hashed recovery codes, and the pending-login
//! challenges between the password step and the code step.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct TwoFactorTables;

#[derive(DeriveIden)]
enum Admins {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AdminTotp {
    Table,
    AdminId,
    SecretEncrypted,
    Enabled,
    LastStep,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    CodeHash,
    AdminId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    TokenHash,
    AdminId,
    ExpiresAt,
    CreatedAt,
}

fn owned_by_admin<T: IntoIden + 'static, C: IntoIden + 'static>(table: T, col: C) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Admins::Table, Admins::Id).on_delete(ForeignKeyAction::Cascade).take()
}

#[async_trait::async_trait]
impl MigrationTrait for TwoFactorTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AdminTotp::Table)
                .col(string_len(AdminTotp::AdminId, 36).primary_key())
                .col(text(AdminTotp::SecretEncrypted))
                .col(boolean(AdminTotp::Enabled))
                .col(big_integer_null(AdminTotp::LastStep))
                .col(timestamp_with_time_zone(AdminTotp::CreatedAt))
                .col(timestamp_with_time_zone(AdminTotp::UpdatedAt))
                .foreign_key(&mut owned_by_admin(AdminTotp::Table, AdminTotp::AdminId))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RecoveryCodes::Table)
                .col(string_len(RecoveryCodes::CodeHash, 64).primary_key())
                .col(string_len(RecoveryCodes::AdminId, 36))
                .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                .foreign_key(&mut owned_by_admin(RecoveryCodes::Table, RecoveryCodes::AdminId))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginChallenges::Table)
                .col(string_len(LoginChallenges::TokenHash, 64).primary_key())
                .col(string_len(LoginChallenges::AdminId, 36))
                .col(timestamp_with_time_zone(LoginChallenges::ExpiresAt))
                .col(timestamp_with_time_zone(LoginChallenges::CreatedAt))
                .foreign_key(&mut owned_by_admin(LoginChallenges::Table, LoginChallenges::AdminId))
                .take(),
        )
        .await?;
        Ok(())
    }
}
