using Tandem.Configuration;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>
/// What a day's roll-up keeps of its records, beyond the counts <see cref="RecordStoreTests"/> checks: cached and
/// reasoning tokens, estimated requests, latency percentiles of records stored out of order, and that a usage query
/// reading the roll-up sees them and dates the day's first record at the day's start.
/// </summary>
public abstract class RecordRollupTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync() => (Database, _cleanup) = await CreateAsync(new StorageConfig { RetentionDays = 90, RollupRetentionDays = 365 });

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Rollup_KeepsCachedReasoningEstimatedAndPercentiles_AndAUsageQueryReadsThem()
    {
        // Four records 100 days ago (past the 90-day retention), written with totals 40, 10, 30, 20 ms; each has
        // 10 cached and 5 reasoning tokens (RecordStoreTests.Sample); the second and fourth were estimated.
        var day = Now.AddDays(-100);
        double[] totals = [40, 10, 30, 20];
        var records = totals.Select((ms, i) => RecordStoreTests.Sample("r" + i, day.AddSeconds(i), prompt: 10, completion: 1, cost: 0m, totalMs: ms)).ToList();
        records[1].TokensEstimated = true;
        records[3].TokensEstimated = true;
        await Database.Records.WriteAsync(records, Guid.NewGuid(), Ct);

        var maintained = await Database.Records.MaintainAsync(Now, Ct);

        Assert.Equal((1, 4), (maintained.DaysRolledUp, maintained.RecordsDeleted));
        var rollup = Assert.Single(await Database.Records.ReadRollupsAsync(DateOnly.FromDateTime(day.UtcDateTime), DateOnly.FromDateTime(Now.UtcDateTime), Ct));
        Assert.Equal((40L, 40L, 4L, 20L, 2L), (rollup.Usage.PromptTokens, rollup.Usage.CachedTokens, rollup.Usage.CompletionTokens, rollup.Usage.ReasoningTokens, rollup.Usage.EstimatedRequests));
        // Nearest rank over 10, 20, 30, 40: p50 is the 2nd (⌈0.5 × 4⌉), p95 and p99 the 4th.
        Assert.Equal((20.0, 40.0, 40.0), (rollup.P50Ms, rollup.P95Ms, rollup.P99Ms));

        var usage = await Database.Records.QueryUsageAsync(Now.AddDays(-120), Now, Ct);
        var row = Assert.Single(usage.Rows);
        Assert.Equal((4L, 40L, 20L, 2L), (row.Requests, row.CachedTokens, row.ReasoningTokens, row.EstimatedRequests));
        // Only the day survives the roll-up: its first record is dated at the day's start (00:00 UTC).
        Assert.Equal(new DateTimeOffset(2026, 8, 12, 0, 0, 0, TimeSpan.Zero), usage.FirstSeen);
    }

    [Fact]
    public async Task Usage_ReadsCompleteRolledDaysFromRollups_AndTheRestFromRawRecords()
    {
        // Day D-2: 3 records from 10:00; D-1: 2 records; today (D, Now is 12:00): 1 record at 08:00. Maintenance at
        // Now rolls up D-2 and D-1. A record for D-1 written afterwards (a late arrival) is in the raw records only:
        // a query whose window holds the whole of D-1 reads D-1's roll-up (2), one starting inside D-1 reads raw (3).
        var d2 = new DateTimeOffset(2026, 11, 18, 10, 0, 0, TimeSpan.Zero);
        var d1 = new DateTimeOffset(2026, 11, 19, 10, 0, 0, TimeSpan.Zero);
        var records = new List<RequestRecord>
        {
            RecordStoreTests.Sample("a0", d2, prompt: 10, completion: 1, cost: 0m, totalMs: 10),
            RecordStoreTests.Sample("a1", d2.AddHours(1), prompt: 10, completion: 1, cost: 0m, totalMs: 10),
            RecordStoreTests.Sample("a2", d2.AddHours(2), prompt: 10, completion: 1, cost: 0m, totalMs: 10),
            RecordStoreTests.Sample("b0", d1, prompt: 10, completion: 1, cost: 0m, totalMs: 10),
            RecordStoreTests.Sample("b1", d1.AddHours(1), prompt: 10, completion: 1, cost: 0m, totalMs: 10),
            RecordStoreTests.Sample("c0", new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero), prompt: 10, completion: 1, cost: 0m, totalMs: 10),
        };
        await Database.Records.WriteAsync(records, Guid.NewGuid(), Ct);
        Assert.Equal(2, (await Database.Records.MaintainAsync(Now, Ct)).DaysRolledUp);
        await Database.Records.WriteAsync([RecordStoreTests.Sample("late", d1.AddHours(2), prompt: 10, completion: 1, cost: 0m, totalMs: 10)], Guid.NewGuid(), Ct);

        var whole = await Database.Records.QueryUsageAsync(new DateTimeOffset(2026, 11, 18, 6, 0, 0, TimeSpan.Zero), Now, Ct);
        var byDay = whole.Rows.GroupBy(r => r.Day).OrderBy(g => g.Key).Select(g => (g.Key, g.Sum(r => r.Requests))).ToList();
        Assert.Equal([(new DateOnly(2026, 11, 18), 3L), (new DateOnly(2026, 11, 19), 2L), (new DateOnly(2026, 11, 20), 1L)], byDay);
        // D-2 starts inside the window's first (partial) day: raw records, and the first record's own time.
        Assert.Equal(d2, whole.FirstSeen);

        var fromMidnight = await Database.Records.QueryUsageAsync(new DateTimeOffset(2026, 11, 18, 0, 0, 0, TimeSpan.Zero), Now, Ct);
        Assert.Equal(6L, fromMidnight.Rows.Sum(r => r.Requests));
        // D-2 is read from its roll-up; the first record's time still comes from the raw records that are kept.
        Assert.Equal(d2, fromMidnight.FirstSeen);

        var insideD1 = await Database.Records.QueryUsageAsync(d1.AddMinutes(-1), Now, Ct);
        Assert.Equal([(new DateOnly(2026, 11, 19), 3L), (new DateOnly(2026, 11, 20), 1L)],
            insideD1.Rows.GroupBy(r => r.Day).OrderBy(g => g.Key).Select(g => (g.Key, g.Sum(r => r.Requests))).ToList());
    }
}

public sealed class SqliteRecordRollupTests : RecordRollupTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresRecordRollupTests : RecordRollupTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
