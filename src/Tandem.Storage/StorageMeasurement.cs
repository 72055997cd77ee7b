using Tandem.Configuration;
using Tandem.Records;
using Tandem.Storage.PostgreSql;
using Tandem.Storage.Sqlite;

namespace Tandem.Storage;

/// <summary>Result of a bytes-per-record measurement.</summary>
/// <param name="Records">Records inserted.</param>
/// <param name="BatchSize">Records per write batch, as the writer would have formed them.</param>
/// <param name="Method">How sizes were read (<c>dbstat</c>, <c>page_count</c>, <c>pg_total_relation_size</c>).</param>
/// <param name="FirstWeekBytesPerRecord">
/// Every table's growth ÷ records while the <c>batches</c> rows (one per write, kept 7 days so that a retried batch
/// is never written twice) are still there: what the first week of real traffic costs.
/// </param>
/// <param name="SteadyBytesPerRecord">The same once maintenance has deleted the <c>batches</c> rows (and the space is reused).</param>
public sealed record MeasurementResult(int Records, int BatchSize, string Method, double FirstWeekBytesPerRecord, double SteadyBytesPerRecord);

/// <summary>
/// Writes synthetic but realistic records (a few keys, routes and deployments, streamed chat with usage, one in
/// fifty with a fallback, no content, <c>req_</c> + 32-hex request ids as the gateway makes them) the way the writer
/// does, in batches of a given size with one <c>batches</c> row each, and reports the space they take: the README's
/// bytes-per-record figures.
/// </summary>
public static class StorageMeasurement
{
    /// <summary>
    /// Measures on a throw-away database: a SQLite file in a new temporary directory, or a new PostgreSQL schema
    /// <c>tandem_measure_*</c> on <paramref name="postgresConnectionString"/>; either is deleted afterwards.
    /// </summary>
    public static async Task<MeasurementResult> RunOnThrowAwayAsync(string engine, string? postgresConnectionString, int count, int batchSize, CancellationToken cancellationToken = default)
    {
        if (engine == StorageEngines.Postgres)
        {
            ArgumentException.ThrowIfNullOrEmpty(postgresConnectionString);
            var options = new StorageConfig { Engine = engine, Schema = "tandem_measure_" + Guid.NewGuid().ToString("N")[..8] };
            var database = new PostgresDatabase(postgresConnectionString, options);
            await using (database.ConfigureAwait(false))
            {
                try
                {
                    await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                    return await RunAsync(database, count, batchSize, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await database.DropSchemaAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        var dir = Directory.CreateTempSubdirectory("tandem-measure-").FullName;
        try
        {
            var database = new SqliteDatabase(Path.Combine(dir, "measure.db"), new StorageConfig { Engine = StorageEngines.Sqlite });
            await using (database.ConfigureAwait(false))
            {
                await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return await RunAsync(database, count, batchSize, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> records into <paramref name="database"/> (migrated, ideally empty) in batches
    /// of <paramref name="batchSize"/> and measures every table before and after; then deletes the <c>batches</c>
    /// rows as maintenance does after 7 days, compacts, and measures again.
    /// </summary>
    /// <remarks>
    /// Real traffic makes small batches: the writer takes whatever is queued, and at 250 requests/s the gateway
    /// formed about 1.2 records per batch. A measurement with 1,000 per batch leaves out about 45 bytes/record of
    /// <c>batches</c> rows, which is why the batch size is a parameter (default 1 in <c>tandem storage measure</c>).
    /// </remarks>
    public static async Task<MeasurementResult> RunAsync(StorageDatabase database, int count, int batchSize = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var store = database.Records;
        var before = await database.MeasureAsync(cancellationToken).ConfigureAwait(false);
        var random = new Random(42);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        string[] keys = ["team-search", "team-support", "batch-jobs", "mobile-app"];
        string[] routes = ["intent", "support-chat", "summarise"];
        string[] deployments = ["gpt-4o-mini", "llama-3.1-8b@vllm"];
        for (var offset = 0; offset < count; offset += batchSize)
        {
            var batch = new List<RequestRecord>(batchSize);
            for (var i = offset; i < Math.Min(count, offset + batchSize); i++)
            {
                var route = routes[random.Next(routes.Length)];
                var deployment = deployments[random.Next(deployments.Length)];
                var prompt = random.Next(50, 4000);
                var completion = random.Next(1, 800);
                var r = new RequestRecord
                {
                    Id = "req_" + Guid.CreateVersion7(start.AddMilliseconds(i * 250.0)).ToString("N"),
                    Time = start.AddMilliseconds(i * 250.0),
                    Operation = "chat",
                    Key = keys[random.Next(keys.Length)],
                    Route = route,
                    Deployment = deployment,
                    Decision = "route " + route + " → " + deployment,
                    Stream = random.Next(2) == 0,
                    Status = 200,
                    OverheadMs = random.NextDouble(),
                    UpstreamMs = 200 + (random.NextDouble() * 3000),
                    TtftMs = 80 + (random.NextDouble() * 400),
                    TotalMs = 250 + (random.NextDouble() * 3000),
                    PromptTokens = prompt,
                    CachedTokens = random.Next(4) == 0 ? prompt / 2 : 0,
                    CompletionTokens = completion,
                    Cost = deployment.StartsWith("gpt", StringComparison.Ordinal) ? ((prompt * 0.15m) + (completion * 0.6m)) / 1_000_000m : 0,
                    FinishReason = "stop",
                    UpstreamModel = deployment.StartsWith("gpt", StringComparison.Ordinal) ? "gpt-4o-mini-2024-07-18" : "meta-llama/Llama-3.1-8B-Instruct",
                    SystemFingerprint = deployment.StartsWith("gpt", StringComparison.Ordinal) ? "fp_" + random.Next(3).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                    EndUser = "u" + random.Next(500).ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                if (random.Next(50) == 0)
                {
                    r.Attempts.Add(new AttemptRecord(deployments[1], 503, "http_503", random.NextDouble() * 50));
                }

                r.Attempts.Add(new AttemptRecord(deployment, 200, null, 80 + (random.NextDouble() * 400)));
                batch.Add(r);
            }

            await store.WriteAsync(batch, Guid.CreateVersion7(), cancellationToken).ConfigureAwait(false);
        }

        var firstWeek = await database.MeasureAsync(cancellationToken).ConfigureAwait(false);
        await database.ExpireBatchesAsync(cancellationToken).ConfigureAwait(false);
        await database.CompactAsync("batches", cancellationToken).ConfigureAwait(false);
        var steady = await database.MeasureAsync(cancellationToken).ConfigureAwait(false);
        double PerRecord(StorageSize after) => count == 0 ? 0 : (double)(after.TotalBytes - before.TotalBytes) / count;
        return new MeasurementResult(count, batchSize, firstWeek.Method, PerRecord(firstWeek), PerRecord(steady));
    }
}
