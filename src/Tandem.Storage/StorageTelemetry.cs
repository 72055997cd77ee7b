using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Tandem.Storage;

/// <summary>Instruments of the record writer, on the gateway's meter name <c>Tandem</c>.</summary>
internal static class StorageMetrics
{
    public static readonly Meter Meter = new("Tandem", "1.0");

    public static readonly Counter<long> Written = Meter.CreateCounter<long>(
        "tandem.records.written", "{record}", "Records written to storage.");

    public static readonly Counter<long> Dropped = Meter.CreateCounter<long>(
        "tandem.records.dropped", "{record}", "Records dropped because the write queue was full or shutdown could not flush them.");

    public static readonly Counter<long> BatchFailures = Meter.CreateCounter<long>(
        "tandem.records.batch_failures", "{batch}", "Record batches that failed to write and were retried.");
}

/// <summary>Event ids of storage (30–49, beside the server's table).</summary>
internal static class StorageEventIds
{
    public const int RecordsDropped = 30;
    public const int BatchFailed = 31;
    public const int StorageRecovered = 32;
    public const int FlushIncomplete = 33;
    public const int Maintenance = 34;
    public const int MaintenanceFailed = 35;
    public const int StorageOpened = 36;
    public const int StorageUnusable = 37;
    public const int StorageSettingsChanged = 38;
    public const int WriterStopped = 39;
    public const int DroppedAfterStop = 44; // 40–43 are the migration coordinator's
}

internal static partial class StorageLog
{
    [LoggerMessage(StorageEventIds.RecordsDropped, LogLevel.Error, "Record queue full ({Capacity} records held): dropped {Dropped} record(s) so far; requests are still served")]
    public static partial void RecordsDropped(ILogger logger, int capacity, long dropped);

    [LoggerMessage(StorageEventIds.BatchFailed, LogLevel.Error, "Writing {Count} records to {Engine} failed (attempt {Attempt}); retrying in {DelayMs} ms: {Reason}")]
    public static partial void BatchFailed(ILogger logger, int count, string engine, int attempt, long delayMs, string reason);

    [LoggerMessage(StorageEventIds.StorageRecovered, LogLevel.Information, "Writing records to {Engine} works again after {Attempts} failed attempt(s)")]
    public static partial void StorageRecovered(ILogger logger, string engine, int attempts);

    [LoggerMessage(StorageEventIds.FlushIncomplete, LogLevel.Error, "Shutdown: {Count} record(s) could not be written within the shutdown timeout and are lost (counted as dropped)")]
    public static partial void FlushIncomplete(ILogger logger, long count);

    [LoggerMessage(StorageEventIds.DroppedAfterStop, LogLevel.Error, "Record of request {RequestId} arrived after the record writer stopped (the request outlived the shutdown timeout): dropped")]
    public static partial void DroppedAfterStop(ILogger logger, string requestId);

    [LoggerMessage(StorageEventIds.WriterStopped, LogLevel.Information, "Record writer stopped: {Written} record(s) written, {Dropped} dropped since start")]
    public static partial void WriterStopped(ILogger logger, long written, long dropped);

    [LoggerMessage(StorageEventIds.Maintenance, LogLevel.Information, "Storage maintenance: {Days} day(s) rolled up; past retention deleted: {Records} record(s), {Rollups} roll-up(s), {Samples} shadow sample(s), {Evaluations} gate evaluation run(s)")]
    public static partial void Maintenance(ILogger logger, int days, long records, long rollups, long samples, long evaluations);

    [LoggerMessage(StorageEventIds.MaintenanceFailed, LogLevel.Warning, "Records maintenance failed; will retry: {Reason}")]
    public static partial void MaintenanceFailed(ILogger logger, string reason);

    [LoggerMessage(StorageEventIds.StorageOpened, LogLevel.Information, "Records and migration state are kept in {Engine} ({Where})")]
    public static partial void StorageOpened(ILogger logger, string engine, string where);

    [LoggerMessage(StorageEventIds.StorageUnusable, LogLevel.Error, "Storage ({Engine}) is not usable at start-up; serving anyway (records queue up to storage.queue_capacity, migrations wait) and retrying: {Reason}")]
    public static partial void StorageUnusable(ILogger logger, string engine, string reason);

    [LoggerMessage(StorageEventIds.StorageSettingsChanged, LogLevel.Warning, "The storage settings changed; they take effect when the gateway restarts (records still go where they went)")]
    public static partial void StorageSettingsChanged(ILogger logger);
}
