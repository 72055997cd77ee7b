using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Answers from a route's local stage are the caller's requests like any other: a key's requests-per-minute limit
/// counts them, and the refusal is OpenAI's 429 before any answer, local or upstream.
/// </summary>
public sealed class LocalStageLimitsTests
{
    private const string Template = LocalStageGatewayTests.Template;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LocalAnswers_CountAgainstTheKeysRequestsPerMinute_TheThirdIsRefused429()
    {
        using var dir = new TempDir("tandem-local-limits-");
        var model = await LocalStageGatewayTests.TrainAsync(dir);

        const string Secret = "sk-local-limited-123456";
        var config = $$"""
            auth:
              keys: [ { name: app, key: {{Secret}} } ]
            providers: [ { name: api, base_url: "{sim0}" } ]
            deployments: [ { name: llm, provider: api, model: gpt-4o-mini } ]
            routes:
              - name: support
                deployment: llm
                local: { classifier: "{{model}}", name: intents, threshold: 0.6 }
            limits:
              keys: { app: { requests_per_minute: 2 } }
            """;
        await using var llm = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        // 10:00:15 on a frozen clock: the three requests fall in one minute whatever the machine's speed.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 10, 0, 15, TimeSpan.Zero));
        await using var gateway = await TestGateway.StartAsync(config, o => o with { Time = clock }, [llm.V1.ToString()]);
        using var http = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secret);

        async Task<HttpResponseMessage> AskAsync(string text) =>
            await http.PostAsync("v1/chat/completions", new StringContent(
                JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = "support", ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = Template + text } } }),
                Encoding.UTF8, "application/json"), Ct);

        using var first = await AskAsync("I lost my card");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("local:intents", first.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Equal("2", first.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("1", first.Headers.GetValues("x-ratelimit-remaining-requests").Single());

        using var second = await AskAsync("what is my balance");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("0", second.Headers.GetValues("x-ratelimit-remaining-requests").Single());

        using var third = await AskAsync("transfer 50 euros to John");
        Assert.Equal((HttpStatusCode)429, third.StatusCode);
        using var error = JsonDocument.Parse(await third.Content.ReadAsStringAsync(Ct));
        Assert.Equal("rate_limit_exceeded", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("45", third.Headers.GetValues("retry-after").Single());
        Assert.Equal(0, llm.Stats.Received);

        await gateway.WaitForRecordsAsync(3, Ct);
        var refused = await gateway.RecordAsync(third.Headers.GetValues("x-request-id").Single(), Ct);
        Assert.Equal(429, refused.Status);
    }
}
