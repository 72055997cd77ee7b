using Microsoft.Extensions.Logging;
using Tandem.Telemetry;

namespace Tandem.Storage;

internal static partial class StorageLog
{
    [LoggerMessage(EventIds.RecordsDropped, LogLevel.Error, "Record queue full ({Capacity} records held): dropped {Dropped} record(s) so far; requests are still served")]
    public static partial void RecordsDropped(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventIds.BatchFailed, LogLevel.Error, "Writing {Count} records to {Engine} failed (attempt {Attempt}); retrying in {DelayMs} ms: {Reason}")]
    public static partial void BatchFailed(ILogger logger, int count, string engine, int attempt, long delayMs, string reason);

    [LoggerMessage(EventIds.StorageRecovered, LogLevel.Information, "Writing records to {Engine} works again after {Attempts} failed attempt(s)")]
    public static partial void StorageRecovered(ILogger logger, string engine, int attempts);

    [LoggerMessage(EventIds.FlushIncomplete, LogLevel.Error, "Shutdown: {Count} record(s) could not be written within the shutdown timeout and are lost (counted as dropped)")]
    public static partial void FlushIncomplete(ILogger logger, long count);

    [LoggerMessage(EventIds.RecordDroppedAfterStop, LogLevel.Error, "Record of request {RequestId} arrived after the record writer stopped (the request outlived the shutdown timeout): dropped")]
    public static partial void DroppedAfterStop(ILogger logger, string requestId);

    [LoggerMessage(EventIds.WriterStopped, LogLevel.Information, "Record writer stopped: {Written} record(s) written, {Dropped} dropped since start")]
    public static partial void WriterStopped(ILogger logger, long written, long dropped);

    [LoggerMessage(EventIds.Maintenance, LogLevel.Information, "Storage maintenance: {Days} day(s) rolled up; past retention deleted: {Records} record(s), {Rollups} roll-up(s), {Samples} shadow sample(s), {Evaluations} gate evaluation run(s)")]
    public static partial void Maintenance(ILogger logger, int days, long records, long rollups, long samples, long evaluations);

    [LoggerMessage(EventIds.MaintenanceFailed, LogLevel.Warning, "Records maintenance failed; will retry: {Reason}")]
    public static partial void MaintenanceFailed(ILogger logger, string reason);

    [LoggerMessage(EventIds.StorageOpened, LogLevel.Information, "Records and migration state are kept in {Engine} ({Where})")]
    public static partial void StorageOpened(ILogger logger, string engine, string where);

    [LoggerMessage(EventIds.StorageUnusable, LogLevel.Error, "Storage ({Engine}) is not usable at start-up; serving anyway (records queue up to storage.queue_capacity, migrations wait) and retrying: {Reason}")]
    public static partial void StorageUnusable(ILogger logger, string engine, string reason);

    [LoggerMessage(EventIds.StorageSettingsChanged, LogLevel.Warning, "The storage settings changed; they take effect when the gateway restarts (records still go where they went)")]
    public static partial void StorageSettingsChanged(ILogger logger);
}
