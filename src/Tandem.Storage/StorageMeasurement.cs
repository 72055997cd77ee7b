using Tandem.Records;

namespace Tandem.Storage;

/// <summary>Result of a bytes-per-record measurement.</summary>
/// <param name="Records">Records inserted.</param>
/// <param name="Size">Sizes after inserting (minus the empty schema's).</param>
/// <param name="BytesPerRecord">(record tables' bytes after − before) ÷ records.</param>
public sealed record MeasurementResult(int Records, StorageSize Size, double BytesPerRecord);

/// <summary>
/// Inserts synthetic but realistic records (a few keys, routes and deployments, streamed chat with usage, one in
/// fifty with a fallback, no content) and reports the space they take, for the README's bytes-per-record figure.
/// </summary>
public static class StorageMeasurement
{
    /// <summary>Inserts <paramref name="count"/> records into <paramref name="store"/> (migrated, ideally empty) and measures.</summary>
    public static async Task<MeasurementResult> RunAsync(IRecordStore store, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var before = await store.MeasureAsync(cancellationToken).ConfigureAwait(false);
        var random = new Random(42);
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        string[] keys = ["team-search", "team-support", "batch-jobs", "mobile-app"];
        string[] routes = ["intent", "support-chat", "summarise"];
        string[] deployments = ["gpt-4o-mini", "llama-3.1-8b@vllm"];
        const int batchSize = 1000;
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

            await store.WriteAsync(batch, Guid.NewGuid(), cancellationToken).ConfigureAwait(false);
        }

        var after = await store.MeasureAsync(cancellationToken).ConfigureAwait(false);
        var bytes = after.RecordBytes - before.RecordBytes;
        return new MeasurementResult(count, after, count == 0 ? 0 : (double)bytes / count);
    }
}
