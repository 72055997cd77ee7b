using Tandem.Configuration;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>The storage suite. It runs unchanged against SQLite and PostgreSQL through the two subclasses below.</summary>
public abstract class RecordStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected StorageDatabase Database { get; private set; } = null!;

    protected IRecordStore Store => Database.Records;

    protected virtual StorageConfig Options => new() { RetentionDays = 90, RollupRetentionDays = 365 };

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync()
    {
        (Database, _cleanup) = await CreateAsync(Options);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    internal static RequestRecord Sample(string id, DateTimeOffset time, string deployment = "gpt", string? route = "chat", string key = "team-a",
        int prompt = 100, int completion = 20, decimal cost = 0.000027m, double totalMs = 120)
    {
        var r = new RequestRecord
        {
            Id = id,
            Time = time,
            Operation = "chat",
            Key = key,
            Route = route,
            Deployment = deployment,
            Decision = route is null ? "deployment named directly" : "route " + route + " → " + deployment,
            Stream = true,
            Status = 200,
            OverheadMs = 0.412,
            UpstreamMs = totalMs - 1,
            TtftMs = 35.5,
            TotalMs = totalMs,
            PromptTokens = prompt,
            CachedTokens = 10,
            CompletionTokens = completion,
            ReasoningTokens = 5,
            Cost = cost,
            FinishReason = "stop",
            UpstreamModel = "gpt-4o-mini-2024-07-18",
            SystemFingerprint = "fp_abc123",
            EndUser = "user-42",
        };
        r.Attempts.Add(new AttemptRecord(deployment, 200, null, 30.25));
        return r;
    }

    [Fact]
    public async Task Migrate_RunTwice_IsIdempotentAndStoreAnswers()
    {
        await Store.MigrateAsync(Ct);
        Assert.True(await Store.PingAsync(Ct));
        var migrations = await Database.CountRowsAsync("schema_migrations", Ct);
        Assert.Equal(Database.MigrationScripts().Count, migrations);
    }

    [Fact]
    public async Task Write_ThenGet_RoundTripsEveryField()
    {
        var r = Sample("req-full", Noon);
        r.Attempts.Clear();
        r.Attempts.Add(new AttemptRecord("llama", 503, "http_503", 12.5));
        r.Attempts.Add(new AttemptRecord("gpt", 200, null, 30.25));
        r.Tags = new Dictionary<string, string> { ["team"] = "search", ["ticket"] = "T-1" };
        r.TokensEstimated = true;
        r.PromptContent = "[{\"role\":\"user\",\"content\":\"hi\"}]";
        r.ResponseContent = "Hello!";
        r.Error = null;
        await Store.WriteAsync([r], Guid.NewGuid(), Ct);

        var back = await Store.GetAsync("req-full", Ct);
        Assert.NotNull(back);
        Assert.Equal(r.Time, back!.Time);
        Assert.Equal("chat", back.Operation);
        Assert.Equal("team-a", back.Key);
        Assert.Equal("chat", back.Route);
        Assert.Equal("gpt", back.Deployment);
        Assert.Equal(r.Decision, back.Decision);
        Assert.True(back.Stream);
        Assert.True(back.TokensEstimated);
        Assert.Equal(200, back.Status);
        Assert.Null(back.Error);
        Assert.Equal(0.412, back.OverheadMs, 3);
        Assert.Equal(119, back.UpstreamMs, 3);
        Assert.Equal(35.5, back.TtftMs!.Value, 3);
        Assert.Equal(120, back.TotalMs, 3);
        Assert.Equal((100, 10, 20, 5), (back.PromptTokens, back.CachedTokens, back.CompletionTokens, back.ReasoningTokens));
        Assert.Equal(0.000027m, back.Cost);
        Assert.Equal("stop", back.FinishReason);
        Assert.Equal("gpt-4o-mini-2024-07-18", back.UpstreamModel);
        Assert.Equal("fp_abc123", back.SystemFingerprint);
        Assert.Equal("user-42", back.EndUser);
        Assert.Equal(r.Tags, back.Tags);
        Assert.Equal(r.PromptContent, back.PromptContent);
        Assert.Equal("Hello!", back.ResponseContent);
        Assert.Equal(2, back.Attempts.Count);
        Assert.Equal(new AttemptRecord("llama", 503, "http_503", 12.5), back.Attempts[0]);
        Assert.Equal(new AttemptRecord("gpt", 200, null, 30.25), back.Attempts[1]);
    }

    [Fact]
    public async Task Write_SingleAttemptAndFailure_StoredInlineWithoutChildRows()
    {
        var r = Sample("req-fail", Noon, route: null);
        r.Attempts.Clear();
        r.Attempts.Add(new AttemptRecord("gpt", 500, "http_500", 8));
        r.Status = 502;
        r.Error = "upstream_error";
        r.TtftMs = null;
        r.Stream = false;
        r.Tags = null;
        await Store.WriteAsync([r], Guid.NewGuid(), Ct);

        var back = await Store.GetAsync("req-fail", Ct);
        Assert.NotNull(back);
        Assert.Null(back!.Route);
        Assert.False(back.Stream);
        Assert.Null(back.TtftMs);
        Assert.Null(back.Tags);
        Assert.Equal(502, back.Status);
        Assert.Equal("upstream_error", back.Error);
        Assert.Equal([new AttemptRecord("gpt", 500, "http_500", 8)], back.Attempts);
        Assert.Equal(0, await Database.CountRowsAsync("attempts", Ct));
        Assert.Equal(0, await Database.CountRowsAsync("contents", Ct));
        Assert.Null(await Store.GetAsync("no-such-request", Ct));
    }

    [Fact]
    public async Task Write_SameBatchIdTwice_WritesItOnce()
    {
        var batch = Enumerable.Range(0, 10).Select(i => Sample("req-" + i, Noon.AddSeconds(i))).ToList();
        var id = Guid.NewGuid();
        await Store.WriteAsync(batch, id, Ct);
        await Store.WriteAsync(batch, id, Ct);
        Assert.Equal(10, await Store.CountAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Write_RepeatedStrings_KeptOnceInDictionary()
    {
        // Two batches so that the second is served from the cache and from existing rows.
        var first = Enumerable.Range(0, 300).Select(i => Sample("a" + i, Noon.AddMilliseconds(i), key: i % 2 == 0 ? "k1" : "k2")).ToList();
        var second = Enumerable.Range(0, 300).Select(i => Sample("b" + i, Noon.AddSeconds(1).AddMilliseconds(i), key: i % 3 == 0 ? "k1" : "k3")).ToList();
        await Store.WriteAsync(first, Guid.NewGuid(), Ct);
        await Store.WriteAsync(second, Guid.NewGuid(), Ct);

        // keys k1 k2 k3, route chat, deployment gpt, one decision, finish stop, model, fingerprint, end user.
        Assert.Equal(10, await Database.CountRowsAsync("dictionary", Ct));
        Assert.Equal(600, await Store.CountAsync(cancellationToken: Ct));
        Assert.Equal(300, await Store.CountAsync(Noon, Noon.AddSeconds(1), Ct));
    }

    [Fact]
    public async Task QueryUsage_SumsTokensCostAndErrorsPerDayRouteDeploymentKey()
    {
        var records = new List<RequestRecord>
        {
            Sample("1", Noon, prompt: 100, completion: 10, cost: 0.001m),
            Sample("2", Noon.AddMinutes(1), prompt: 200, completion: 20, cost: 0.002m),
            Sample("3", Noon.AddMinutes(2), deployment: "llama", prompt: 50, completion: 5, cost: 0m),
            Sample("4", Noon.AddDays(1), key: "team-b", prompt: 7, completion: 3, cost: 0.0005m),
        };
        records[1].Error = "stream_interrupted";
        records[2].TokensEstimated = true;
        await Store.WriteAsync(records, Guid.NewGuid(), Ct);

        var result = await Store.QueryUsageAsync(Noon.AddHours(-1), Noon.AddDays(2), Ct);
        Assert.Equal(Noon, result.FirstSeen);
        var rows = result.Rows.OrderBy(r => r.Day).ThenBy(r => r.Deployment).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal((new DateOnly(2026, 11, 20), "chat", "gpt", "team-a"), (rows[0].Day, rows[0].Route, rows[0].Deployment, rows[0].Key));
        Assert.Equal((2L, 1L, 300L, 20L, 30L, 10L, 0.003m), (rows[0].Requests, rows[0].Errors, rows[0].PromptTokens, rows[0].CachedTokens, rows[0].CompletionTokens, rows[0].ReasoningTokens, rows[0].Cost));
        Assert.Equal(("llama", 1L, 1L), (rows[1].Deployment, rows[1].Requests, rows[1].EstimatedRequests));
        Assert.Equal((new DateOnly(2026, 11, 21), "team-b", 0.0005m), (rows[2].Day, rows[2].Key, rows[2].Cost));

        var window = await Store.QueryUsageAsync(Noon.AddMinutes(1), Noon.AddMinutes(2), Ct);
        Assert.Equal(200, window.Rows.Single().PromptTokens);
    }

    [Fact]
    public async Task Maintain_RollsUpCompleteDaysWithPercentiles_ThenDeletesRawRecordsPastRetention()
    {
        var now = Noon;
        var old = now.AddDays(-100);
        var recent = now.AddDays(-1);
        var records = new List<RequestRecord>();
        for (var i = 1; i <= 100; i++)
        {
            records.Add(Sample("old" + i, old.AddSeconds(i), prompt: 10, completion: 1, cost: 0.00001m, totalMs: i));
        }

        records.Add(Sample("recent", recent, deployment: "llama", prompt: 5, completion: 5, cost: 0m, totalMs: 50));
        records.Add(Sample("today", now, prompt: 1, completion: 1, cost: 0m, totalMs: 10));
        records[0].Error = "upstream_error";
        await Store.WriteAsync(records, Guid.NewGuid(), Ct);

        var result = await Store.MaintainAsync(now, Ct);
        Assert.Equal(2, result.DaysRolledUp);
        Assert.Equal(100, result.RecordsDeleted);
        Assert.Equal(2, await Store.CountAsync(cancellationToken: Ct));

        var rollups = await Store.ReadRollupsAsync(DateOnly.FromDateTime(old.UtcDateTime), DateOnly.FromDateTime(now.UtcDateTime), Ct);
        Assert.Equal(2, rollups.Count); // today is not complete and is not rolled up
        var oldDay = rollups[0];
        Assert.Equal(DateOnly.FromDateTime(old.UtcDateTime), oldDay.Day);
        Assert.Equal(("chat", "gpt", "team-a"), (oldDay.Route, oldDay.Deployment, oldDay.Key));
        Assert.Equal((100L, 1L, 1000L, 100L, 0.001m), (oldDay.Usage.Requests, oldDay.Usage.Errors, oldDay.Usage.PromptTokens, oldDay.Usage.CompletionTokens, oldDay.Usage.Cost));
        Assert.Equal((50.0, 95.0, 99.0), (oldDay.P50Ms, oldDay.P95Ms, oldDay.P99Ms));
        Assert.Equal("llama", rollups[1].Deployment);

        // A report across the whole period reads the roll-up for the deleted day and raw records after it.
        var usage = await Store.QueryUsageAsync(now.AddDays(-120), now.AddHours(1), Ct);
        Assert.Equal(102, usage.Rows.Sum(r => r.Requests));
        Assert.Equal(1000 + 5 + 1, usage.Rows.Sum(r => r.PromptTokens));
        Assert.Equal(0.001m, usage.Rows.Sum(r => r.Cost));

        // Running again changes nothing; past their own retention the roll-ups go too.
        var again = await Store.MaintainAsync(now, Ct);
        Assert.Equal(0, again.RecordsDeleted);
        var later = await Store.MaintainAsync(now.AddDays(300), Ct);
        Assert.Equal(1, later.RollupsDeleted);
        Assert.Equal(0, await Store.CountAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Measure_ManyRecords_ReportsCompactRows()
    {
        var result = await StorageMeasurement.RunAsync(Database, 5000, batchSize: 1000, Ct);
        Assert.Equal(5000, await Store.CountAsync(cancellationToken: Ct));
        // Rows carry dictionary ids, not strings: spelled out, key, route, deployment, decision, model and end user
        // would add over 100 bytes a record and break these bounds (measured: ~184 on SQLite, ~270 on PostgreSQL
        // before schema 007; its request-log indexes add ~20 bytes on SQLite and ~75 on PostgreSQL, which needs a
        // B-tree on time_ms beside the BRIN one: measured ~205 and ~346).
        Assert.InRange(result.FirstWeekBytesPerRecord, 20, Store.Engine == "sqlite" ? 230 : 370);
        Assert.InRange(result.SteadyBytesPerRecord, 20, result.FirstWeekBytesPerRecord);
    }

    [Fact]
    public async Task Measure_OneRecordPerBatch_CountsTheBatchRowsRealTrafficLeaves()
    {
        // Real traffic writes about one record per batch, and each batch leaves a row (a 32-hex id, a time and a
        // size, plus its key's index entry) for 7 days: at least 32 + 8 bytes a record on either engine. Measured
        // by hand on a real SQLite file: 44.6 bytes/record (acceptance report of 2026-12-02).
        var result = await StorageMeasurement.RunAsync(Database, 2000, batchSize: 1, Ct);
        Assert.Equal(2000, await Store.CountAsync(cancellationToken: Ct));
        Assert.Equal(0, await Database.CountRowsAsync("batches", Ct));
        // PostgreSQL sizes relations in 8 KB pages shared with free space left by earlier tests of the same database, so
        // there the 40 bytes only show as "not less"; SQLite's file is this test's alone and shows them whole.
        var least = Store.Engine == "sqlite" ? 40 : 0;
        Assert.True(result.FirstWeekBytesPerRecord - result.SteadyBytesPerRecord >= least,
            $"first week {result.FirstWeekBytesPerRecord:0.0} B/record, steady {result.SteadyBytesPerRecord:0.0}: the batch rows are not counted");
    }

    [Fact]
    public async Task Writer_StoreDown_HoldsUpToCapacityDropsTheRestAndWritesAfterRecovery()
    {
        var flaky = new FlakyStore(Store) { Down = true };
        using var writer = new RecordWriter(flaky, new RecordWriterOptions { Capacity = 50, BatchSize = 20, MinRetryDelay = TimeSpan.FromMilliseconds(5), MaxRetryDelay = TimeSpan.FromMilliseconds(20) },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RecordWriter>.Instance);
        await writer.StartAsync(Ct);

        var accepted = 0;
        for (var i = 0; i < 80; i++)
        {
            accepted += writer.TryWrite(Sample("w" + i, Noon.AddMilliseconds(i))) ? 1 : 0;
        }

        Assert.Equal(50, accepted);
        Assert.Equal(30, writer.Dropped);
        await flaky.FailedAtLeastAsync(2).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(writer.Failing);

        flaky.Down = false;
        await writer.WaitUntilIdleAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(50, writer.Written);
        Assert.Equal(50, await Store.CountAsync(cancellationToken: Ct));
        Assert.False(writer.Failing);
        await writer.StopAsync(Ct);
    }

    [Fact]
    public async Task Writer_Stop_FlushesEverythingQueued()
    {
        using var writer = new RecordWriter(Store, new RecordWriterOptions { Capacity = 10_000, BatchSize = 100 },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<RecordWriter>.Instance);
        await writer.StartAsync(Ct);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(writer.TryWrite(Sample("f" + i, Noon.AddMilliseconds(i))));
        }

        await writer.StopAsync(Ct);
        Assert.Equal(1000, writer.Written + writer.Dropped);
        Assert.Equal(0, writer.Dropped);
        Assert.Equal(1000, await Store.CountAsync(cancellationToken: Ct));
    }
}

public sealed class SqliteRecordStoreTests : RecordStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);

    [Fact]
    public async Task Migrate_SqliteFile_UsesWalJournal()
    {
        var path = ((Sqlite.SqliteDatabase)Database).FilePath;
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + path);
        await connection.OpenAsync(Ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync(Ct));
    }
}

public sealed class PostgresRecordStoreTests : RecordStoreTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
