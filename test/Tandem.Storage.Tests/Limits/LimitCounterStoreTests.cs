using Tandem.Configuration;
using Tandem.Limits;
using Tandem.Storage.Limits;
using Tandem.Storage.Redis;
using Xunit;

namespace Tandem.Storage.Tests.Limits;

/// <summary>
/// The shared counter stores against real engines (a SQLite file, the test PostgreSQL, the test Redis): a take is
/// atomic under concurrency and all or nothing across counters; settlements adjust; expired rows go.
/// </summary>
public sealed class LimitCounterStoreTests
{
    public const string RedisVariable = "TANDEM_TEST_REDIS";

    private static readonly long Expires = new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Engines => ["sqlite", "postgres", "redis"];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TakeAsync_64Concurrent_CapOf20_AdmitsExactly20(string engine)
    {
        await using var store = await OpenAsync(engine);
        var counter = Counter("exact");
        var takes = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
            (await store.Store.TakeAsync([new LimitCharge(counter, 1, 20, Expires)], Ct)).Admitted, Ct)));
        Assert.Equal(20, takes.Count(t => t));
        Assert.Equal(20, await store.ReadAsync(counter));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task TakeAsync_SecondCounterFull_FirstIsNotCharged(string engine)
    {
        await using var store = await OpenAsync(engine);
        var (a, b) = (Counter("a"), Counter("b"));
        var first = await store.Store.TakeAsync([new LimitCharge(a, 3, 10, Expires), new LimitCharge(b, 5, 5, Expires)], Ct);
        Assert.Equal(-1, first.Refused);
        Assert.Equal([3L, 5L], first.Used);

        var second = await store.Store.TakeAsync([new LimitCharge(a, 3, 10, Expires), new LimitCharge(b, 1, 5, Expires)], Ct);
        Assert.Equal(1, second.Refused);
        Assert.Equal((3L, 5L), (await store.ReadAsync(a), await store.ReadAsync(b)));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task AdjustAsync_AddsDeltas_MissingCounterStaysMissing(string engine)
    {
        await using var store = await OpenAsync(engine);
        var (a, gone) = (Counter("settle"), Counter("gone"));
        await store.Store.TakeAsync([new LimitCharge(a, 300, 1000, Expires)], Ct);
        var used = await store.Store.AdjustAsync([new LimitCharge(a, -180, 0, 0), new LimitCharge(gone, 50, 0, 0)], Ct);
        Assert.Equal([120L, 0L], used);
        Assert.Equal((120L, 0L), (await store.ReadAsync(a), await store.ReadAsync(gone)));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task DeleteExpiredAsync_RemovesOnlyCountersPastTheirExpiry(string engine)
    {
        await using var store = await OpenAsync(engine);
        var sql = (SqlLimitCounterStore)store.Store;
        await sql.TakeAsync([new LimitCharge("old", 1, 5, 1000), new LimitCharge("live", 1, 5, Expires)], Ct);
        Assert.Equal(1, await sql.DeleteExpiredAsync(DateTimeOffset.FromUnixTimeMilliseconds(2000), Ct));
        Assert.Equal((0L, 1L), (await sql.ReadAsync("old", Ct), await sql.ReadAsync("live", Ct)));
    }

    private static string Counter(string name) => "rd:1764633600000:k:" + name + "-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<OpenStore> OpenAsync(string engine)
    {
        switch (engine)
        {
            case "sqlite":
            {
                var (db, cleanup) = await StoreFixtures.SqliteAsync(new StorageConfig());
                var store = new SqlLimitCounterStore(db);
                return new OpenStore(store, c => store.ReadAsync(c, Ct), cleanup);
            }

            case "postgres":
            {
                var (db, cleanup) = await StoreFixtures.PostgresAsync(new StorageConfig());
                var store = new SqlLimitCounterStore(db);
                return new OpenStore(store, c => store.ReadAsync(c, Ct), cleanup);
            }

            default:
            {
                var address = Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } a
                    ? a
                    : throw new InvalidOperationException($"{RedisVariable} is not set: the Redis limit tests need a real server. Run them through test.sh, which starts one.");
                var store = RedisLimitCounterStore.Connect(address);
                return new OpenStore(store, store.ReadAsync, () => store.DisposeAsync().AsTask());
            }
        }
    }

    private sealed class OpenStore(ILimitCounterStore store, Func<string, Task<long>> read, Func<Task> cleanup) : IAsyncDisposable
    {
        public ILimitCounterStore Store => store;

        public Task<long> ReadAsync(string counter) => read(counter);

        public async ValueTask DisposeAsync() => await cleanup();
    }
}
