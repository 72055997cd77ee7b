using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// The route's rules in process, decided on the request as the gateway decides it: personal data confined to the
/// on-prem deployment (fallbacks and shadow calls included), header rules through <see cref="TandemChatClientOptions.Headers"/>,
/// and complexity tiers.
/// </summary>
public sealed class RulesTests
{
    private static TandemChatClientOptions Options(SimulatorServer cloud, SimulatorServer onprem, MemorySink sink, Func<string, string?>? headers = null) =>
        new TandemChatClientOptions { UseStorage = false, Records = sink, Route = "chat", Headers = headers }
            .AddDeployment(new DeploymentConfig { Name = "cloud", Model = "model-cloud", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(cloud, "model-cloud"))
            .AddDeployment(new DeploymentConfig { Name = "onprem", Model = "model-onprem", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(onprem, "model-onprem"))
            .AddRoute(new RouteConfig
            {
                Name = "chat",
                Deployment = "cloud",
                Fallbacks = ["onprem"],
                Rules =
                [
                    new RuleConfig { Name = "pii", When = new MatchConfig { Pii = ["any"] }, Only = ["onprem"] },
                    new RuleConfig { Name = "tenant", When = new MatchConfig { Headers = new Dictionary<string, string> { ["x-tenant"] = "acme" } }, Deployment = "onprem" },
                ],
            })
            .AddRoute(new RouteConfig
            {
                Name = "tiers",
                Tiers = new TiersConfig { Levels = [new TierConfig { Min = 0.5, Deployment = "cloud" }, new TierConfig { Min = 0, Deployment = "onprem" }] },
            });

    [Fact]
    public async Task PersonalData_StaysOnPrem_EvenWhenOnPremFails_NeverFallingBackToTheCloud()
    {
        await using var cloud = await Sims.StartAsync("cloud");
        await using var onprem = await Sims.StartAsync("onprem", o => o.Faults = [new Fault(FaultKind.Status503, 1.0)]);
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(Options(cloud, onprem, sink)).Build();

        var e = await Assert.ThrowsAsync<TandemChatException>(() => client.GetResponseAsync("My card is 4111 1111 1111 1111, please block it.", cancellationToken: Ct));

        Assert.Equal((502, "upstream_error", "onprem"), (e.Status, e.Code, e.Deployment));
        Assert.Equal((0L, 1L), (cloud.Stats.Received, onprem.Stats.Received));
        var record = Assert.Single(sink.Records);
        Assert.StartsWith("rule pii: only onprem", record.Decision, StringComparison.Ordinal);
        Assert.Equal([("onprem", 503)], record.Attempts.Select(a => (a.Deployment, a.Status)));
    }

    [Fact]
    public async Task HeaderRule_ReadsTheCallersHeaders_AndOtherCallsKeepTheRoutesDeployment()
    {
        await using var cloud = await Sims.StartAsync("cloud");
        await using var onprem = await Sims.StartAsync("onprem");
        var sink = new MemorySink();
        string? tenant = null;
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(Options(cloud, onprem, sink, name => name == "x-tenant" ? tenant : null)).Build();

        var plain = await client.GetResponseAsync("hello there", cancellationToken: Ct);
        tenant = "acme";
        var acme = await client.GetResponseAsync("hello there", cancellationToken: Ct);

        Assert.Equal(("model-cloud", "model-onprem"), (plain.ModelId, acme.ModelId));
        Assert.Equal(["route chat -> cloud", "rule tenant -> onprem"], sink.Records.Select(r => r.Decision));
    }

    [Fact]
    public async Task Tiers_ScoreTheWrittenRequest_LongReasoningPromptsGoUp()
    {
        await using var cloud = await Sims.StartAsync("cloud");
        await using var onprem = await Sims.StartAsync("onprem");
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(Options(cloud, onprem, sink)).Build();
        var tiers = new ChatOptions { ModelId = "tiers" };
        var hard = "Explain step by step and compare, with a proof, why the algorithm below is O(n log n): "
            + string.Join(' ', Enumerable.Repeat("for (int i = 0; i < n; i++) { merge(left, right); }", 60));

        var easy = await client.GetResponseAsync("hi", tiers, Ct);
        var up = await client.GetResponseAsync(hard, tiers, Ct);

        Assert.Equal(("model-onprem", "model-cloud"), (easy.ModelId, up.ModelId));
        Assert.All(sink.Records, r => Assert.StartsWith("tier score ", r.Decision, StringComparison.Ordinal));
    }
}
