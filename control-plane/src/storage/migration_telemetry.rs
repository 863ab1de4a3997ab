//! Fourth migration: what runtimes deliver. `metric_minutes` holds one row per
//! runtime instance × minute × subject (tool, resource, prompt) × connection,
//! kept 48 h; `metric_hours` the same summed over instances per hour, kept
//! 90 days; latencies are sketches in text (`index:count,…`, see
//! `shared_model::sketch`). `telemetry_instances` remembers each instance's
//! last applied delivery number (what makes a resend idempotent) and what it
//! dropped; `queue_snapshots` the latest queue state per instance and
//! connection; `request_log` one row per MCP call.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct TelemetryTables;

#[derive(DeriveIden)]
enum MetricMinutes {
    Table,
    InstanceId,
    Minute,
}

#[derive(DeriveIden)]
enum MetricHours {
    Table,
    Hour,
}

#[derive(DeriveIden)]
enum Common {
    Subject,
    Name,
    ConnectionId,
    Calls,
    ErrorCount,
    Errors,
    CacheHits,
    Rows,
    Bytes,
    Latency,
    LastCalled,
}

#[derive(DeriveIden)]
enum TelemetryInstances {
    Table,
    InstanceId,
    LastSequence,
    Release,
    DroppedRecords,
    DroppedDeltas,
    LastSeen,
}

#[derive(DeriveIden)]
enum QueueSnapshots {
    Table,
    InstanceId,
    ConnectionId,
    Body,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum RequestLog {
    Table,
    Id,
    At,
    InstanceId,
    Release,
    Subject,
    Name,
    Client,
    DurationUs,
    QueueWaitUs,
    DbUs,
    Rows,
    Bytes,
    ErrorClass,
    Arguments,
}

/// The counter columns minute and hour rows share.
fn counters(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(string_len(Common::Subject, 16))
        .col(string_len(Common::Name, 255))
        .col(string_len(Common::ConnectionId, 64))
        .col(big_integer(Common::Calls))
        .col(big_integer(Common::ErrorCount))
        .col(text(Common::Errors))
        .col(big_integer(Common::CacheHits))
        .col(big_integer(Common::Rows))
        .col(big_integer(Common::Bytes))
        .col(text(Common::Latency))
        .col(big_integer(Common::LastCalled))
}

#[async_trait::async_trait]
impl MigrationTrait for TelemetryTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table(MetricMinutes::Table)
            .col(string_len(MetricMinutes::InstanceId, 100))
            .col(big_integer(MetricMinutes::Minute));
        counters(&mut t).primary_key(
            Index::create()
                .col(MetricMinutes::InstanceId)
                .col(MetricMinutes::Minute)
                .col(Common::Subject)
                .col(Common::Name)
                .col(Common::ConnectionId),
        );
        m.create_table(t.take()).await?;
        m.create_index(
            Index::create().name("metric_minutes_minute").table(MetricMinutes::Table).col(MetricMinutes::Minute).take(),
        )
        .await?;
        let mut t = Table::create();
        t.table(MetricHours::Table).col(big_integer(MetricHours::Hour));
        counters(&mut t).primary_key(
            Index::create().col(MetricHours::Hour).col(Common::Subject).col(Common::Name).col(Common::ConnectionId),
        );
        m.create_table(t.take()).await?;
        m.create_table(
            Table::create()
                .table(TelemetryInstances::Table)
                .col(string_len(TelemetryInstances::InstanceId, 100).primary_key())
                .col(big_integer(TelemetryInstances::LastSequence))
                .col(big_integer(TelemetryInstances::Release))
                .col(big_integer(TelemetryInstances::DroppedRecords))
                .col(big_integer(TelemetryInstances::DroppedDeltas))
                .col(timestamp_with_time_zone(TelemetryInstances::LastSeen))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(QueueSnapshots::Table)
                .col(string_len(QueueSnapshots::InstanceId, 100))
                .col(string_len(QueueSnapshots::ConnectionId, 64))
                .col(text(QueueSnapshots::Body))
                .col(timestamp_with_time_zone(QueueSnapshots::ReceivedAt))
                .primary_key(Index::create().col(QueueSnapshots::InstanceId).col(QueueSnapshots::ConnectionId))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RequestLog::Table)
                .col(big_pk_auto(RequestLog::Id))
                .col(timestamp_with_time_zone(RequestLog::At))
                .col(string_len(RequestLog::InstanceId, 100))
                .col(big_integer(RequestLog::Release))
                .col(string_len(RequestLog::Subject, 16))
                .col(string_len(RequestLog::Name, 255))
                .col(string_len(RequestLog::Client, 120))
                .col(big_integer(RequestLog::DurationUs))
                .col(big_integer(RequestLog::QueueWaitUs))
                .col(big_integer(RequestLog::DbUs))
                .col(big_integer(RequestLog::Rows))
                .col(big_integer(RequestLog::Bytes))
                .col(string_len_null(RequestLog::ErrorClass, 64))
                .col(text(RequestLog::Arguments))
                .take(),
        )
        .await?;
        m.create_index(Index::create().name("request_log_at").table(RequestLog::Table).col(RequestLog::At).take())
            .await?;
        Ok(())
    }
}
