using Tandem.Configuration;
using Tandem.Records;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>The request log's keyset listing, run unchanged against SQLite and PostgreSQL through the two subclasses below.</summary>
public abstract class RecordSearchTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    private Func<Task>? _cleanup;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync()
    {
        (Database, _cleanup) = await CreateAsync(new StorageConfig());
        // Seven records: r0…r6 one second apart, except r3 and r4 in the same millisecond (the id breaks the tie).
        // Routes: even on "chat", odd on "search"; r5 failed with a 502 on deployment "llama".
        var records = new List<RequestRecord>();
        for (var i = 0; i < 7; i++)
        {
            var time = T0.AddSeconds(i == 4 ? 3 : i);
            var r = RecordStoreTests.Sample("r" + i, time, deployment: i == 5 ? "llama" : "gpt", route: i % 2 == 0 ? "chat" : "search",
                key: i < 2 ? "team-b" : "team-a", prompt: 10 * (i + 1), completion: i, cost: 0.001m * i, totalMs: 100 + i);
            if (i == 5)
            {
                r.Status = 502;
                r.Error = "upstream_error";
            }

            records.Add(r);
        }

        await Database.Records.WriteAsync(records, Guid.NewGuid(), Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task List_PagesOfThree_WalkEveryRecordNewestFirstWithTiesBrokenById()
    {
        var ids = new List<string>();
        var pages = 0;
        RecordCursor? after = null;
        do
        {
            var page = await Database.Search.ListAsync(new RecordQuery { Limit = 3, After = after }, Ct);
            ids.AddRange(page.Records.Select(r => r.Id));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        // r4 and r3 share a time; "r4" > "r3", so r4 comes first in descending order.
        Assert.Equal(["r6", "r5", "r4", "r3", "r2", "r1", "r0"], ids);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task List_FirstPage_CarriesNamesAndFiguresOfEachRecord()
    {
        var page = await Database.Search.ListAsync(new RecordQuery { Limit = 2 }, Ct);
        Assert.Equal(new RecordCursor(T0.AddSeconds(5).ToUnixTimeMilliseconds(), "r5"), page.Next);
        var r5 = page.Records[1];
        Assert.Equal(("r5", "search", "llama", "team-a", 502, "upstream_error"), (r5.Id, r5.Route, r5.Deployment, r5.Key, r5.Status, r5.Error));
        Assert.Equal((60, 5, 0.005m, 105.0, 1, "chat"), (r5.PromptTokens, r5.CompletionTokens, r5.Cost, r5.TotalMs, r5.Attempts, r5.Operation));
        Assert.Equal("route search → llama", r5.Decision);
        Assert.Equal(T0.AddSeconds(5), r5.Time);
    }

    [Theory]
    [InlineData("route=chat", "r6,r4,r2,r0")]
    [InlineData("route=search", "r5,r3,r1")]
    [InlineData("deployment=llama", "r5")]
    [InlineData("key=team-b", "r1,r0")]
    [InlineData("status=502", "r5")]
    [InlineData("failed=true", "r5")]
    [InlineData("failed=false", "r6,r4,r3,r2,r1,r0")]
    [InlineData("id=r3", "r3")]
    [InlineData("from=2,to=4", "r4,r3,r2")]
    [InlineData("route=chat,key=team-b", "r0")]
    [InlineData("route=nowhere", "")]
    [InlineData("key=never-seen", "")]
    public async Task List_Filter_MatchesExactlyTheseRecords(string filter, string expected)
    {
        var query = new RecordQuery { Limit = 100 };
        foreach (var part in filter.Split(','))
        {
            var (name, value) = (part.Split('=')[0], part.Split('=')[1]);
            query = name switch
            {
                "route" => query with { Route = value },
                "deployment" => query with { Deployment = value },
                "key" => query with { Key = value },
                "status" => query with { Status = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "failed" => query with { Failed = bool.Parse(value) },
                "id" => query with { RequestId = value },
                "from" => query with { From = T0.AddSeconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
                _ => query with { To = T0.AddSeconds(int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)) },
            };
        }

        var page = await Database.Search.ListAsync(query, Ct);
        Assert.Equal(expected, string.Join(',', page.Records.Select(r => r.Id)));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task List_RouteFilterAcrossPages_ContinuesBelowTheCursor()
    {
        var first = await Database.Search.ListAsync(new RecordQuery { Route = "chat", Limit = 2 }, Ct);
        var second = await Database.Search.ListAsync(new RecordQuery { Route = "chat", Limit = 2, After = first.Next }, Ct);
        Assert.Equal(["r6", "r4"], first.Records.Select(r => r.Id));
        Assert.Equal(["r2", "r0"], second.Records.Select(r => r.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task Latency_SevenRecords_NearestRankPercentiles()
    {
        // Totals 100…106 ms. Nearest rank of 7: p50 → rank ⌈3.5⌉ = 4 (103 ms), p95 → ⌈6.65⌉ = 7 (106), p99 → 7 (106).
        var all = await Database.Search.LatencyAsync(T0, T0.AddMinutes(1), cancellationToken: Ct);
        Assert.Equal(new LatencyPercentiles(7, 103, 106, 106), all);

        // Deployment gpt: 100, 101, 102, 103, 104, 106 (r5 is on llama). p50 → rank 3 (102), p95 → ⌈5.7⌉ = 6 (106).
        var gpt = await Database.Search.LatencyAsync(T0, T0.AddMinutes(1), "gpt", Ct);
        Assert.Equal(new LatencyPercentiles(6, 102, 106, 106), gpt);

        // r0 to r2 only: 100, 101, 102.
        Assert.Equal(new LatencyPercentiles(3, 101, 102, 102), await Database.Search.LatencyAsync(T0, T0.AddSeconds(3), cancellationToken: Ct));
        Assert.Null(await Database.Search.LatencyAsync(T0.AddDays(1), T0.AddDays(2), cancellationToken: Ct));
        Assert.Null(await Database.Search.LatencyAsync(T0, T0.AddMinutes(1), "nowhere", Ct));
    }

    [Fact]
    public async Task Peaks_SevenRecordsInOneMinute_SumTheirTokensAndTakeTheP95Context()
    {
        // Record i has 10(i+1) prompt and i completion tokens: contexts 10, 21, 32, 43, 54, 65, 76 — all in 12:00.
        // Busiest minute: 10+21+32+43+54+65+76 = 301. p95: rank ⌈6.65⌉ = 7 ⇒ 76.
        var peaks = await Database.Search.PeaksAsync(T0, T0.AddMinutes(1), Ct);
        Assert.Equal(new TrafficPeaks(301, T0, 76), peaks);

        // r0 to r2: 10 + 21 + 32 = 63; p95 rank ⌈2.85⌉ = 3 ⇒ 32.
        Assert.Equal(new TrafficPeaks(63, T0, 32), await Database.Search.PeaksAsync(T0, T0.AddSeconds(3), Ct));
        Assert.Equal(new TrafficPeaks(0, null, 0), await Database.Search.PeaksAsync(T0.AddDays(1), T0.AddDays(2), Ct));
    }

    [Theory]
    [InlineData("1764000000000.req-1", 1764000000000L, "req-1")]
    [InlineData("5.a.b", 5L, "a.b")]
    public void Cursor_Text_RoundTrips(string text, long time, string id)
    {
        Assert.True(RecordCursor.TryParse(text, out var cursor));
        Assert.Equal(new RecordCursor(time, id), cursor);
        Assert.Equal(text, cursor!.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData(".x")]
    [InlineData("12.")]
    [InlineData("-1.x")]
    [InlineData("1x.y")]
    public void Cursor_Malformed_IsRefused(string? text) => Assert.False(RecordCursor.TryParse(text, out _));
}

public sealed class SqliteRecordSearchTests : RecordSearchTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresRecordSearchTests : RecordSearchTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
