using System.Net;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// <c>limits.on_store_failure</c> when the shared store is down: <c>closed</c> refuses with 503, <c>open</c> counts per
/// instance in memory. PostgreSQL is pointed at a closed port; Redis is a private server that is killed mid-test.
/// </summary>
public sealed class LimitsStoreFailureTests
{
    private const string Body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":8}""";

    [Theory]
    [InlineData("closed", new[] { 503, 503, 503, 503 })]
    [InlineData("open", new[] { 200, 200, 200, 429 })]
    public async Task PostgresUnreachable_OnStoreFailure_DecidesTheAnswer(string policy, int[] expected)
    {
        var variable = "TANDEM_LIMITS_DOWN_PG_" + Guid.NewGuid().ToString("N")[..8];
        // Port 9 on loopback: nothing listens, connections are refused at once.
        Environment.SetEnvironmentVariable(variable, "Host=127.0.0.1;Port=9;Username=postgres;Database=postgres;Timeout=2");
        await using var set = await LimitedGateways.StartAsync(1, $"  on_store_failure: {policy}\n  keys: {{ {{key}}: {{ requests_per_minute: 3 }} }}",
            $"storage: {{ engine: postgres, connection_string_env: {variable} }}");

        var statuses = await SendAsync(set.Clients[0], 4);

        Assert.Equal(expected, statuses.Select(s => s.Status));
        if (policy == "closed")
        {
            Assert.All(statuses, s => Assert.Equal("limits_unavailable", s.Code));
            Assert.Equal(0, set.Simulator.Stats.Received);
        }
        else
        {
            Assert.Equal(3, set.Simulator.Stats.Received);
        }

        Assert.Contains(set.Gateways[0].Logs.Lines, m => m.Contains("Limit store unreachable", StringComparison.Ordinal));
        Environment.SetEnvironmentVariable(variable, null);
    }

    [Theory]
    [InlineData("closed", new[] { 200, 200, 503, 503, 503, 503 })]
    [InlineData("open", new[] { 200, 200, 200, 200, 200, 429 })]
    public async Task RedisKilled_OnStoreFailure_DecidesTheAnswer(string policy, int[] expected)
    {
        await using var redis = await PrivateRedis.StartAsync(Ct);
        var variable = "TANDEM_LIMITS_REDIS_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, redis.Address);
        await using var set = await LimitedGateways.StartAsync(1,
            $"  store: redis\n  redis_connection_env: {variable}\n  on_store_failure: {policy}\n  keys: {{ {{key}}: {{ requests_per_minute: 3 }} }}", "");

        // Two counted in Redis; then Redis dies. Open: this instance counts afresh in memory (3 more), closed: 503.
        var before = await SendAsync(set.Clients[0], 2);
        await redis.KillAsync();
        var after = await SendAsync(set.Clients[0], 4);

        Assert.Equal(expected, before.Concat(after).Select(s => s.Status));
        Environment.SetEnvironmentVariable(variable, null);
    }

    private static async Task<List<(int Status, string? Code)>> SendAsync(HttpClient client, int count)
    {
        var list = new List<(int, string?)>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.PostAsync("v1/chat/completions", Json(Body), Ct);
            string? code = null;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                code = doc.RootElement.GetProperty("error").GetProperty("code").GetString();
            }

            list.Add(((int)response.StatusCode, code));
        }

        return list;
    }
}
