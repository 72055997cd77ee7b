using Tandem.Costs;
using Tandem.Records;

namespace Tandem.Storage;

/// <summary>
/// Where request records, their daily roll-ups and the dictionary of repeated strings are kept. One implementation
/// per database (SQLite, PostgreSQL) behind the same schema and behaviour.
/// </summary>
public interface IRecordStore : IAsyncDisposable
{
    /// <summary>The database engine: <c>sqlite</c> or <c>postgres</c>.</summary>
    string Engine { get; }

    /// <summary>Applies pending schema migrations of the whole database (idempotent; safe when several instances start at once).</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a batch in one transaction. <paramref name="batchId"/> makes a retry after an ambiguous failure (the
    /// commit may have happened) write nothing twice.
    /// </summary>
    Task WriteAsync(IReadOnlyList<RequestRecord> records, Guid batchId, CancellationToken cancellationToken = default);

    /// <summary>Whether the database answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Reads one record back by request id (the latest, if a client reused the id).</summary>
    Task<RequestRecord?> GetAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Number of raw records with <c>from ≤ time &lt; to</c> (all when null).</summary>
    Task<long> CountAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Usage per (day, route, deployment, key) for <c>from ≤ time &lt; to</c>: raw records where they are still kept,
    /// daily roll-ups (whole days) before that.
    /// </summary>
    Task<UsageQueryResult> QueryUsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Daily roll-ups for <c>from ≤ day ≤ to</c>.</summary>
    Task<IReadOnlyList<RollupRow>> ReadRollupsAsync(DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rolls up complete days not yet rolled up, then deletes raw records, roll-ups, shadow samples and gate
    /// evaluations past their retention.
    /// </summary>
    Task<MaintenanceResult> MaintainAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Bytes used by the record tables and their indexes (for bytes-per-record measurements).</summary>
    Task<StorageSize> MeasureAsync(CancellationToken cancellationToken = default);
}

/// <summary>Usage rows of a window and the time of the first record in it.</summary>
/// <param name="Rows">Per (day, route, deployment, key).</param>
/// <param name="FirstSeen">Time of the earliest record (or roll-up day) in the window, null when empty.</param>
public sealed record UsageQueryResult(IReadOnlyList<UsageRow> Rows, DateTimeOffset? FirstSeen);

/// <summary>One daily roll-up row.</summary>
public sealed record RollupRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; init; }

    /// <summary>The route, null for requests naming a deployment directly.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment.</summary>
    public string? Deployment { get; init; }

    /// <summary>The key name.</summary>
    public string Key { get; init; } = "";

    /// <summary>Requests, errors, tokens and cost.</summary>
    public UsageRow Usage { get; init; } = new();

    /// <summary>Median total latency, milliseconds.</summary>
    public double P50Ms { get; init; }

    /// <summary>95th percentile total latency, milliseconds.</summary>
    public double P95Ms { get; init; }

    /// <summary>99th percentile total latency, milliseconds.</summary>
    public double P99Ms { get; init; }
}

/// <summary>What a maintenance pass did.</summary>
/// <param name="DaysRolledUp">Days whose roll-ups were (re)computed.</param>
/// <param name="RecordsDeleted">Raw records removed by retention.</param>
/// <param name="RollupsDeleted">Roll-up rows removed by their retention.</param>
/// <param name="SamplesDeleted">Shadow samples removed by the records' retention.</param>
/// <param name="EvaluationsDeleted">Gate evaluation runs removed by the records' retention.</param>
/// <param name="FeedbackDeleted">Feedback removed by the records' retention.</param>
public sealed record MaintenanceResult(int DaysRolledUp, long RecordsDeleted, long RollupsDeleted, long SamplesDeleted = 0, long EvaluationsDeleted = 0, long FeedbackDeleted = 0);

/// <summary>Space used by Tandem's tables.</summary>
/// <param name="RecordBytes">The records table with its indexes, plus the dictionary.</param>
/// <param name="TotalBytes">Every Tandem table and index.</param>
/// <param name="Method">How it was measured (<c>dbstat</c>, <c>page_count</c>, <c>pg_total_relation_size</c>).</param>
public sealed record StorageSize(long RecordBytes, long TotalBytes, string Method);
