using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Storage.Limits;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>What a limited caller sees: OpenAI's headers on every answer, OpenAI-shaped refusals, streams settled at their end.</summary>
public sealed class LimitsResponseTests
{
    private const string Body = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":8}""";

    [Fact]
    public async Task LimitedKey_EveryAnswerCarriesXRateLimitHeaders_RefusalIs429WithRetryAfter()
    {
        await using var set = await LimitedGateways.StartAsync(1, "  keys: { {key}: { requests_per_minute: 2, daily_tokens: 1000 } }", "");
        var client = set.Clients[0];

        using var first = await client.PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // 45 s left in the minute at 10:00:15; the day ends in 13 h 59 min 45 s; 1000 − (32 + 8) reserved.
        Assert.Equal(
            [("x-ratelimit-limit-requests", "2"), ("x-ratelimit-remaining-requests", "1"), ("x-ratelimit-reset-requests", "45s"),
             ("x-ratelimit-limit-tokens", "1000"), ("x-ratelimit-remaining-tokens", "960"), ("x-ratelimit-reset-tokens", "13h59m45s")],
            RateLimitHeaders(first));

        using var second = await client.PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var third = await client.PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("45", third.Headers.GetValues("retry-after").Single());
        Assert.Equal(
            [("x-ratelimit-limit-requests", "2"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "45s")],
            RateLimitHeaders(third));
        using var error = JsonDocument.Parse(await third.Content.ReadAsStringAsync(Ct));
        Assert.Equal(
            ($"Rate limit reached for key '{set.KeyName}' requests per minute: limit 2 requests per minute. Please try again in 45s.", "requests", "rate_limit_exceeded"),
            (error.RootElement.GetProperty("error").GetProperty("message").GetString(), error.RootElement.GetProperty("error").GetProperty("type").GetString(),
             error.RootElement.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(2, set.Simulator.Stats.Received);

        // A key without limits: no headers, no store round trip.
        using var free = await set.Gateways[0].Http.PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal(HttpStatusCode.OK, free.StatusCode);
        Assert.Empty(RateLimitHeaders(free));
    }

    [Fact]
    public async Task TeamBudget_SharedByTheTeamsKeys_ExhaustedIs429InsufficientQuota_ForTheOpenAiSdk()
    {
        await using var set = await LimitedGateways.StartAsync(1, "  teams: { research: { daily_requests: 1 } }", "");
        using var ok = await set.Clients[0].PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // The official SDK, retries off: it sees OpenAI's quota error.
        var options = new OpenAIClientOptions { Endpoint = set.Gateways[0].V1, RetryPolicy = new ClientRetryPolicy(0) };
        var chat = new ChatClient("chat", new ApiKeyCredential("sk-" + set.KeyName + "-secret"), options);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(429, e.Status);
        Assert.Contains("insufficient_quota", e.Message, StringComparison.Ordinal);
        Assert.Contains("You exceeded your current quota: the team 'research' daily requests budget of 1 requests is used up until 2026-12-03T00:00:00Z.", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, set.Simulator.Stats.Received);
    }

    [Fact]
    public async Task Streaming_TokenBudget_SettledWithTheRealUsageAtTheEndOfTheStream()
    {
        await using var set = await LimitedGateways.StartAsync(1, "  keys: { {key}: { daily_tokens: 100000 } }", "", outputTokens: 6);
        const string Stream = """{"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":500,"stream":true,"stream_options":{"include_usage":true}}""";
        using var response = await set.Clients[0].PostAsync("v1/chat/completions", Json(Stream), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Reserved at admission: prompt JSON 32 bytes + max_tokens 500.
        Assert.Equal("99468", response.Headers.GetValues("x-ratelimit-remaining-tokens").Single());
        var text = await response.Content.ReadAsStringAsync(Ct);
        var usage = text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal) && l.Contains("\"usage\":{", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32()).Single();
        Assert.Equal(5 + 6, usage);

        await set.SettledAsync();
        var store = set.Gateways[0].App.Services.GetRequiredService<SqlLimitCounterStore>();
        var dayStart = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(11, await store.ReadAsync($"td:{dayStart}:k:{set.KeyName}", Ct));
    }

    [Fact]
    public async Task MoneyBudget_ReservesAtThePlannedPrices_SettlesWithTheRealCost()
    {
        // Reserved: (32 prompt bytes × $1) + (8 max_tokens × $2) = $48; real: 5 × $1 + 8 × $2 = $21.
        // $100 a day: 0 + 48 ≤ 100 → 21; 21 + 48 → 42; 42 + 48 → 63; 63 + 48 > 100: refused.
        await using var set = await LimitedGateways.StartAsync(1, "  keys: { {key}: { daily_usd: 100 } }", "");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await set.Clients[0].PostAsync("v1/chat/completions", Json(Body), Ct);
            statuses.Add(response.StatusCode);
            await set.SettledAsync();
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        var store = set.Gateways[0].App.Services.GetRequiredService<SqlLimitCounterStore>();
        var dayStart = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.Equal(63_000_000, await store.ReadAsync($"ud:{dayStart}:k:{set.KeyName}", Ct));
    }

    [Fact]
    public async Task Reload_NewCap_AppliesToTheSameWindowsCounter()
    {
        await using var set = await LimitedGateways.StartAsync(1, "  keys: { {key}: { requests_per_minute: 1 } }", "");
        var before = new[] { await StatusAsync(set), await StatusAsync(set) };
        // The reload is debounced by 200 ms on the gateway's (fake) clock. The file is written whole first, then the
        // clock moves on in 250 ms steps until the reload is done (the minute has 45 s left, far more than needed).
        var gateway = set.Gateways[0];
        var reload = gateway.App.State.NextReloadAsync();
        await File.WriteAllTextAsync(gateway.ConfigPath,
            TestGateway.Expand(set.Config.Replace("requests_per_minute: 1", "requests_per_minute: 3", StringComparison.Ordinal), [set.Simulator]), Ct);
        while (!reload.IsCompleted)
        {
            set.Advance(TimeSpan.FromMilliseconds(250));
            await Task.WhenAny(reload, Task.Delay(50, Ct));
        }

        Assert.True((await reload).Succeeded);
        var after = new[] { await StatusAsync(set), await StatusAsync(set), await StatusAsync(set) };

        // One used of the minute's 3: two more, then refused.
        Assert.Equal([200, 429], before);
        Assert.Equal([200, 200, 429], after);
    }

    [Fact]
    public async Task RouteLimit_CountsEveryCallerOfTheRoute()
    {
        await using var set = await LimitedGateways.StartAsync(1, "  routes: { chat: { requests_per_minute: 2 } }", "");
        using var a = await set.Clients[0].PostAsync("v1/chat/completions", Json(Body), Ct);
        using var b = await set.Gateways[0].Http.PostAsync("v1/chat/completions", Json(Body), Ct);
        using var c = await set.Gateways[0].Http.PostAsync("v1/chat/completions", Json(Body), Ct);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (a.StatusCode, b.StatusCode, c.StatusCode));
        using var error = JsonDocument.Parse(await c.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Rate limit reached for route 'chat' requests per minute: limit 2 requests per minute. Please try again in 45s.",
            error.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    private static async Task<int> StatusAsync(LimitedGateways set)
    {
        using var response = await set.Clients[0].PostAsync("v1/chat/completions", Json(Body), Ct);
        return (int)response.StatusCode;
    }

    private static List<(string, string)> RateLimitHeaders(HttpResponseMessage response) =>
        [.. response.Headers.Where(h => h.Key.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)).Select(h => (h.Key, h.Value.Single()))];
}
