using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Storage.Limits;
using Tandem.Storage.Redis;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Issue 16's "done when" for limits: two gateway instances (real Kestrel on loopback) sharing one real PostgreSQL, or
/// one real Redis, under 32 concurrent clients split across both. Clocks are fake and frozen, so a minute window
/// cannot end in the middle of a test.
/// </summary>
public sealed class LimitsReplicaTests
{
    /// <summary>{"model":"chat",...,"max_tokens":8}: the simulator answers 8 completion tokens.</summary>
    private const string Body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":8}""";

    private static string Storage(string store)
    {
        if (store == "postgres")
        {
            var variable = "TANDEM_LIMITS_PG_" + Guid.NewGuid().ToString("N")[..8];
            Environment.SetEnvironmentVariable(variable, Environment.GetEnvironmentVariable("TANDEM_TEST_POSTGRES")
                ?? throw new InvalidOperationException("TANDEM_TEST_POSTGRES is not set: run the tests through test.sh, which starts PostgreSQL."));
            return $"storage: {{ engine: postgres, connection_string_env: {variable}, schema: l_{Guid.NewGuid():N} }}";
        }

        // Redis: each gateway keeps its own SQLite records; only Redis is shared.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("TANDEM_TEST_REDIS")))
        {
            throw new InvalidOperationException("TANDEM_TEST_REDIS is not set: run the tests through test.sh, which starts Redis.");
        }

        return "";
    }

    private static string Store(string store) => store == "redis" ? "  store: redis\n  redis_connection_env: TANDEM_TEST_REDIS\n" : "";

    [Theory]
    [InlineData("postgres")]
    [InlineData("redis")]
    public async Task TwoInstances_RequestBudgetOf50_AdmitsExactly50_AcrossBoth(string store)
    {
        await using var set = await LimitedGateways.StartAsync(2, Store(store) + "  keys: { {key}: { daily_requests: 50 } }", Storage(store));

        var (admitted, refused) = await set.DrainAsync(32, Body);

        Assert.Equal(50, admitted.Count);
        Assert.Equal(32, refused.Count);
        Assert.All(refused, code => Assert.Equal("insufficient_quota", code));
        // The clients are split across both instances by construction; which instance wins the last units of the
        // budget is the scheduler's choice (one may take them all), so only the total is asserted.
        Assert.Equal(50, set.Simulator.Stats.Completed);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("redis")]
    public async Task TwoInstances_RateLimitOf40PerMinute_AdmitsExactly40PerWindow_AcrossBoth(string store)
    {
        await using var set = await LimitedGateways.StartAsync(2, Store(store) + "  keys: { {key}: { requests_per_minute: 40 } }", Storage(store));

        var first = await set.DrainAsync(32, Body);
        Assert.Equal((40, 32), (first.Admitted.Count, first.Refused.Count));
        Assert.All(first.Refused, code => Assert.Equal("rate_limit_exceeded", code));

        // The next minute starts on both instances: 40 more, not one more.
        set.Advance(TimeSpan.FromSeconds(45));
        var second = await set.DrainAsync(32, Body);
        Assert.Equal((40, 32), (second.Admitted.Count, second.Refused.Count));
        Assert.Equal(80, set.Simulator.Stats.Completed);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("redis")]
    public async Task TwoInstances_TokenBudget_OvershootsByAtMostOneRequest_AndCountsTheRealUsage(string store)
    {
        // Each request reserves its prompt JSON (32 bytes) + max_tokens 8 = 40 and uses 5 + 8 = 13 (the simulator's
        // count: (2 chars + 16 per message + 3) / 4 = 5 prompt tokens, 8 completion tokens).
        const int Budget = 400;
        await using var set = await LimitedGateways.StartAsync(2, Store(store) + $"  keys: {{ {{key}}: {{ daily_tokens: {Budget} }} }}", Storage(store));

        var (admitted, _) = await set.DrainAsync(32, Body);
        await set.SettledAsync();
        // Refusals under concurrency count reservations that settle later: what is left is then used sequentially.
        var rest = await set.DrainAsync(1, Body);
        await set.SettledAsync();
        var all = admitted.Concat(rest.Admitted).ToList();
        var used = all.Sum(a => a.Tokens);

        Assert.All(all, a => Assert.Equal(13, a.Tokens));
        Assert.InRange(used, Budget - 40 + 1, Budget + 13);
        var dayStart = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var counter = $"td:{dayStart}:k:{set.KeyName}";
        Assert.Equal(used, await ReadCounterAsync(set, store, counter));
    }

    private static async Task<long> ReadCounterAsync(LimitedGateways set, string store, string counter)
    {
        if (store == "postgres")
        {
            return await set.Gateways[0].App.Services.GetRequiredService<SqlLimitCounterStore>().ReadAsync(counter, Ct);
        }

        await using var redis = RedisLimitCounterStore.Connect(Environment.GetEnvironmentVariable("TANDEM_TEST_REDIS")!);
        return await redis.ReadAsync(counter);
    }
}
