using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Shadow calls go through the candidate's upstream seam, like every other call.</summary>
public sealed class ShadowSeamTests
{
    private const string Config = """
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: openai-sim, base_url: "{sim0}" }
          - name: vllm-sim
            base_url: "{sim1}"
            max_concurrency: 1
            max_queue: 100
        deployments:
          - { name: gpt-4o-mini, provider: openai-sim, model: gpt-4o-mini-2024-07-18 }
          - { name: llama-8b, provider: vllm-sim, model: llama-3.1-8b-instruct }
        routes:
          - name: intent
            deployment: gpt-4o-mini
            migration:
              to: llama-8b
              stage: shadow
              auto: false
              compare: { kind: text }
              evaluate_every: 1h
        """;

    [Fact]
    public async Task ShadowCalls_WaitForTheCandidateProvidersConcurrencyLimit()
    {
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromMilliseconds(150)) }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, incumbent, candidate);

        // Eight client requests at once: their eight shadow calls are queued for four shadow workers, but the candidate's
        // provider allows one request in flight, and shadow calls take its slots like any other call.
        var requests = Enumerable.Range(0, 8).Select(i =>
            gateway.Http.PostAsync("v1/chat/completions", Json($$"""{"model":"intent","messages":[{"role":"user","content":"question {{i}}"}]}"""), Ct)).ToList();
        foreach (var response in await Task.WhenAll(requests))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        await candidate.Stats.WaitForAsync(s => s.Completed >= 8, TimeSpan.FromSeconds(30));
        Assert.Equal(8, candidate.Stats.Received);
        Assert.Equal(1, candidate.Stats.MaxInFlight);
        await gateway.App.Services.GetRequiredService<MigrationCoordinator>().WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(8, gateway.App.Services.GetRequiredService<MigrationCoordinator>().CompletedShadows);
    }

    [Fact]
    public async Task RandomSeed_MakesShadowSamplingReproducible()
    {
        const ulong seed = 7;
        var config = Config.Replace("      stage: shadow\n", "      stage: shadow\n      shadow_rate: 0.5\n", StringComparison.Ordinal)
            .Replace("auth:", $"server: {{ random_seed: {seed} }}\nauth:", StringComparison.Ordinal);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 100 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(config, incumbent, candidate);

        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json($$"""{"model":"intent","messages":[{"role":"user","content":"question {{i}}"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await gateway.App.Services.GetRequiredService<MigrationCoordinator>().WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        var shadowed = candidate.Stats.Recent
            .Select(r => int.Parse(System.Text.Json.Nodes.JsonNode.Parse(r.Body)!["messages"]![0]!["content"]!.ToString()["question ".Length..], System.Globalization.CultureInfo.InvariantCulture))
            .Order().ToList();

        // One draw per request, in order: the n-th draw of the documented generator (SplitMix64 over a counter),
        // computed here independently of Tandem's code.
        var expected = Enumerable.Range(0, 20).Where(i => SplitMix(seed, (ulong)i + 1) < 0.5).ToList();
        Assert.Equal(expected, shadowed);
        Assert.InRange(expected.Count, 1, 19);
    }

    private static double SplitMix(ulong seed, ulong n)
    {
        var z = unchecked(seed + (n * 0x9E3779B97F4A7C15UL));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
