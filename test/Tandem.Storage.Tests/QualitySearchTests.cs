using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Storage.Tests;

/// <summary>Shadow samples per day, as the dashboard's quality page reads them (figures worked out by hand).</summary>
public abstract class QualitySearchTests : IAsyncLifetime
{
    private Func<Task>? _cleanup;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private StorageDatabase Database { get; set; } = null!;

    protected abstract Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options);

    public async ValueTask InitializeAsync() => (Database, _cleanup) = await CreateAsync(new StorageConfig());

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup();
        }

        GC.SuppressFinalize(this);
    }

    private static ShadowSample Sample(string route, DateTimeOffset time, bool? agree, double? judge) =>
        new() { Route = route, RequestId = "r" + time.Ticks, Time = time, Stage = "shadow", Agree = agree, JudgeScore = judge };

    [Fact]
    public async Task ShadowDays_CountsComparedAgreedAndJudged_PerUtcDay_OfOneRoute()
    {
        var d1 = new DateTimeOffset(2026, 11, 18, 23, 59, 59, TimeSpan.Zero);
        var d2 = new DateTimeOffset(2026, 11, 19, 0, 0, 0, TimeSpan.Zero);
        await Database.Migrations.AddSamplesAsync(
        [
            // 18 Nov: 3 samples, 2 compared (1 agrees), judged 2 and 4 → mean 3.
            Sample("chat", d1.AddHours(-1), true, 2), Sample("chat", d1, false, 4), Sample("chat", d1.AddMinutes(-5), null, null),
            // 19 Nov (from midnight): 2 samples, both agree, none judged.
            Sample("chat", d2, true, null), Sample("chat", d2.AddHours(5), true, null),
            // Another route, and a sample after the window: neither counted.
            Sample("other", d2, false, 1), Sample("chat", d2.AddDays(1), false, 1),
        ], Ct);

        var days = await Database.Quality.ShadowDaysAsync("chat", d1.AddDays(-1), d2.AddDays(1), Ct);

        Assert.Equal(
            [new ShadowDay(new DateOnly(2026, 11, 18), 3, 2, 1, 2, 3.0), new ShadowDay(new DateOnly(2026, 11, 19), 2, 2, 2, 0, null)],
            days);
        Assert.Equal((0.5, 1.0), (days[0].Agreement, days[1].Agreement));
    }
}

public sealed class SqliteQualitySearchTests : QualitySearchTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.SqliteAsync(options);
}

public sealed class PostgresQualitySearchTests : QualitySearchTests
{
    protected override Task<(StorageDatabase Database, Func<Task> Cleanup)> CreateAsync(StorageConfig options) => StoreFixtures.PostgresAsync(options);
}
