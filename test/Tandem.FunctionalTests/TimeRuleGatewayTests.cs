using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>A rule with a time window routes by the gateway's clock: the night goes to the API, the day to the GPUs.</summary>
public sealed class TimeRuleGatewayTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: onprem, base_url: "{sim0}" }
          - { name: cloud, base_url: "{sim1}" }
        deployments:
          - { name: gpu, provider: onprem, model: llama-3.1-8b }
          - { name: api, provider: cloud, model: gpt-4o-mini }
        routes:
          - name: chat
            deployment: gpu
            rules:
              - { name: gpus-off, when: { time: "22:00-07:00", tz: Europe/Berlin }, deployment: api }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TimeWindowRule_RoutesByTheGatewayClock_InBerlinSummerTime()
    {
        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        // 15 July 2026, 19:59:59 UTC = 21:59:59 in Berlin (UTC+2 in summer): one second before the window.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 7, 15, 19, 59, 59, TimeSpan.Zero));
        await using var gateway = await TestGateway.StartAsync(Config, o => o with { Time = clock }, [onprem.V1.ToString(), cloud.V1.ToString()]);

        var day = await PostAsync(gateway);
        clock.Advance(TimeSpan.FromSeconds(1)); // 22:00:00 Berlin
        var night = await PostAsync(gateway);
        clock.Advance(TimeSpan.FromHours(9)); // 07:00:00 Berlin, the next morning
        var morning = await PostAsync(gateway);

        Assert.Equal(("gpu", "route chat -> gpu"), day);
        Assert.Equal(("api", "rule gpus-off -> api"), night);
        Assert.Equal(("gpu", "route chat -> gpu"), morning);
        Assert.Equal((2, 1), (onprem.Stats.Completed, cloud.Stats.Completed));
    }

    private static async Task<(string Deployment, string Decision)> PostAsync(TestGateway gateway)
    {
        using var body = new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
        using var response = await gateway.Http.PostAsync("v1/chat/completions", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Headers.GetValues("x-tandem-deployment").Single(), response.Headers.GetValues("x-tandem-decision").Single());
    }
}
