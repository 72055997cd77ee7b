using System.Net;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>How the timeouts bound an exchange, and what the client gets when one fires before any byte.</summary>
public sealed class TimeoutTests
{
    private static string Config(string timeouts, string resilience) => $$"""
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: sim, base_url: "{sim0}", timeouts: {{timeouts}} }
        deployments:
          - { name: gpt, provider: sim, model: m, resilience: {{resilience}} }
        routes:
          - { name: chat, deployment: gpt }
        """;

    [Fact]
    public async Task Total_BoundsTheWaitForHeadersAcrossRetries_AndTheClientGetsA504()
    {
        // first_byte 300 ms, total 450 ms, up to 5 retries: try 1 waits 300 ms, try 2 only the 150 ms left of the
        // total, and no third try starts; without the total bound every try would wait 300 ms (6 tries, 1.8 s).
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("stall:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("{ connect: 1s, first_byte: 300ms, total: 450ms }", "{ retries: 5, retry_backoff: 1ms }"), sim);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add("x-request-id", "bounded-1");
        using var response = await gateway.Http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("upstream_timeout", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        // Two tries normally; one when the machine is so loaded that the first try's timer fires within 10 ms of the
        // total (a try is not started with less left). Never a third: the total is spent by then.
        var tries = (int)sim.Stats.Received;
        Assert.InRange(tries, 1, 2);
        var record = await gateway.RecordAsync("bounded-1", Ct);
        Assert.Equal(Enumerable.Repeat("timeout", tries), record.Attempts.Select(a => a.Error));
    }

    [Fact]
    public async Task OpenBreaker_AnswersWithRetryAfterItsBreak()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("{ connect: 1s, first_byte: 5s, total: 10s }",
            "{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 2, window: 30s, break_for: 45s } }"), sim);

        for (var i = 0; i < 2; i++)
        {
            using var failed = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        }

        using var refused = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        using var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct));
        Assert.Equal("breaker_open", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        // The breaker opened a moment ago for 45 s: Retry-After is what is left of it, rounded up.
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 40, 45);
        Assert.Equal(2, sim.Stats.Received);
    }
}
