using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// The per-call state of ended calls is reused by the next ones (the 1 KB budget of issue 17): each record still holds
/// only its own call's decision, attempts, answer facts and timings.
/// </summary>
public sealed class ExchangeReuseTests
{
    [Fact]
    public async Task ConsecutiveCalls_OnOneClient_EachRecordHoldsOnlyItsOwnCall()
    {
        await using var faulty = await Sims.StartAsync("faulty", o => o.Faults = [new Fault(FaultKind.Status503, 1.0)]);
        await using var ok = await Sims.StartAsync("ok", o => o.OutputTokens = 10);
        await using var other = await Sims.StartAsync("other", o => o.OutputTokens = 5);
        var sink = new MemorySink();
        var options = new TandemChatClientOptions { UseStorage = false, Records = sink, Route = "a" }
            .AddDeployment(new DeploymentConfig { Name = "faulty", Model = "model-f", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(faulty, "model-f"))
            .AddDeployment(new DeploymentConfig { Name = "ok", Model = "model-ok" }, Sims.Client(ok, "model-ok"))
            .AddRoute(new RouteConfig { Name = "a", Deployment = "faulty", Fallbacks = ["ok"] })
            .AddDeployment(new DeploymentConfig { Name = "other", Model = "model-other" }, Sims.Client(other, "model-other"))
            .AddRoute(new RouteConfig { Name = "b", Deployment = "ok" })
            .AddRoute(new RouteConfig { Name = "c", Deployment = "other" });
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(options).Build();
        var b = new ChatOptions { ModelId = "b" };
        var c = new ChatOptions { ModelId = "c" };

        await client.GetResponseAsync("first", cancellationToken: Ct);
        await client.GetResponseAsync("second", c, Ct);
        await client.GetStreamingResponseAsync("third", b, Ct).ToListAsync(Ct);
        await client.GetResponseAsync("fourth", c, Ct);

        // One call at a time: every call after the first ran on the exchange the one before handed back.
        Assert.Equal(1, client.Runtime.IdleExchanges.Count);
        var records = sink.Records;
        Assert.Equal(4, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal(
            [
                ("a", "route a -> faulty; fallback: faulty 503 -> ok", false, 2, "ok", "model-ok", 10),
                ("c", "route c -> other", false, 1, "other", "model-other", 5),
                ("b", "route b -> ok", true, 1, "ok", "model-ok", 10),
                ("c", "route c -> other", false, 1, "other", "model-other", 5),
            ],
            records.Select(r => (r.Route!, r.Decision, r.Stream, r.Attempts.Count, r.Deployment!, r.UpstreamModel!, r.CompletionTokens)));
        Assert.All(records, r => Assert.Equal((200, (string?)null), (r.Status, r.Error)));
        Assert.Equal([false, false, true, false], records.Select(r => r.TtftMs is not null));
    }
}
