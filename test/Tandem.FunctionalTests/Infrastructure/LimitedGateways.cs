using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Tandem.Limits;
using Tandem.Simulator;

namespace Tandem.FunctionalTests.Infrastructure;

/// <summary>
/// Gateways with limits for one key of their own (a unique name, so that counters in the shared test PostgreSQL or
/// Redis never meet another test's), each on its own fake clock frozen at <see cref="T0"/>.
/// </summary>
internal sealed class LimitedGateways : IAsyncDisposable
{
    /// <summary>10:00:15 UTC: 45 s left in the minute, 13 h 59 min 45 s in the day.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 12, 2, 10, 0, 15, TimeSpan.Zero);

    private LimitedGateways(SimulatorServer sim, TestGateway[] gateways, FakeTimeProvider[] clocks, string keyName, string secret, string config)
    {
        Config = config;
        Simulator = sim;
        Gateways = gateways;
        Clocks = clocks;
        KeyName = keyName;
        Clients = [.. gateways.Select(g => Client(g, secret))];
    }

    public SimulatorServer Simulator { get; }

    public TestGateway[] Gateways { get; }

    public FakeTimeProvider[] Clocks { get; }

    /// <summary>The gateways' configuration (before {sim0} is expanded).</summary>
    public string Config { get; }

    /// <summary>The limited key's name.</summary>
    public string KeyName { get; }

    /// <summary>One client per gateway, with the limited key.</summary>
    public HttpClient[] Clients { get; }

    /// <summary>
    /// Starts <paramref name="count"/> gateways. <paramref name="limits"/> is the YAML inside <c>limits:</c> (may use
    /// {key}); <paramref name="storage"/> the whole <c>storage:</c> line, or empty for each its own SQLite file.
    /// </summary>
    public static async Task<LimitedGateways> StartAsync(int count, string limits, string storage, int outputTokens = 8)
    {
        var keyName = "app-" + Guid.NewGuid().ToString("N")[..10];
        var secret = "sk-" + keyName + "-secret";
        var config = $$"""
            server: { shutdown_timeout: 2s }
            auth:
              keys:
                - { name: {{keyName}}, key: {{secret}}, team: research }
                - { name: test, key: {{TestGateway.Key}} }
            providers: [ { name: sim, base_url: "{sim0}" } ]
            deployments:
              # $1 per prompt token, $2 per completion token: money budgets in round numbers.
              - { name: llama, provider: sim, model: llama, pricing: { input_per_mtok: 1000000, output_per_mtok: 2000000 }, resilience: { retries: 0, breaker: { enabled: false } } }
            routes: [ { name: chat, deployment: llama } ]
            {{storage}}
            limits:
            {{limits.Replace("{key}", keyName, StringComparison.Ordinal)}}
            """;
        var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = outputTokens }, cancellationToken: TestRun.Ct);
        var clocks = Enumerable.Range(0, count).Select(_ => new FakeTimeProvider(T0)).ToArray();
        var gateways = new TestGateway[count];
        for (var i = 0; i < count; i++)
        {
            var clock = clocks[i];
            gateways[i] = await TestGateway.StartAsync(config, o => o with { Time = clock }, [sim.V1.ToString()]);
        }

        return new LimitedGateways(sim, gateways, clocks, keyName, secret, config);
    }

    /// <summary>Moves every gateway's clock.</summary>
    public void Advance(TimeSpan by)
    {
        foreach (var c in Clocks)
        {
            c.Advance(by);
        }
    }

    /// <summary>Waits until every settlement begun on every gateway has landed.</summary>
    public async Task SettledAsync()
    {
        foreach (var g in Gateways)
        {
            await g.App.Services.GetRequiredService<LimitEnforcer>().WhenSettledAsync();
        }
    }

    /// <summary>
    /// <paramref name="workers"/> concurrent clients, worker i on gateway i mod n, each sending until it is refused
    /// with 429. Returns every admitted request's total tokens and gateway, and every refusal's error code.
    /// </summary>
    public async Task<(List<(int Gateway, int Tokens)> Admitted, List<string> Refused)> DrainAsync(int workers, string body)
    {
        var admitted = new List<(int, int)>();
        var refused = new List<string>();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var g = w % Clients.Length;
            for (var i = 0; i < 1000; i++)
            {
                using var response = await Clients[g].PostAsync("v1/chat/completions", HttpBodies.Json(body), TestRun.Ct);
                var text = await response.Content.ReadAsStringAsync(TestRun.Ct);
                using var doc = JsonDocument.Parse(text);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    lock (admitted)
                    {
                        admitted.Add((g, doc.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32()));
                    }

                    continue;
                }

                if (response.StatusCode != HttpStatusCode.TooManyRequests)
                {
                    throw new InvalidOperationException($"unexpected {(int)response.StatusCode}: {text}");
                }

                lock (refused)
                {
                    refused.Add(doc.RootElement.GetProperty("error").GetProperty("code").GetString()!);
                }

                return;
            }
        }, TestRun.Ct)));
        return (admitted, refused);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in Clients)
        {
            c.Dispose();
        }

        foreach (var g in Gateways)
        {
            await g.DisposeAsync();
        }

        await Simulator.DisposeAsync();
    }

    private static HttpClient Client(TestGateway gateway, string secret)
    {
        var client = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }
}
