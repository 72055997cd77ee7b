using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// Fallback through the in-process client on each fault kind a simulator injects, for deployments that are M.E.AI
/// clients and for deployments reached over HTTP through Tandem's own seam; streams fall back only before their first update.
/// </summary>
public sealed class FallbackTests
{
    // Fault kind, the first attempt's (status, error) in the record, and the fallback note's failure label.
    public static TheoryData<FaultKind, int, string, string> Faults => new()
    {
        { FaultKind.Status503, 503, "http_503", "503" },
        { FaultKind.Status429, 429, "http_429", "rate_limit_exceeded" },
        { FaultKind.Reset, 0, "connection_reset", "upstream_unreachable" },
        { FaultKind.Stall, 0, "timeout", "upstream_timeout" },
    };

    /// <summary>
    /// A stall is noticed by a 1 s first-byte timeout; every other fault is noticed without one, so those tests keep
    /// generous timeouts and a loaded machine cannot turn their fault into a timeout.
    /// </summary>
    private static ProviderConfig Timeouts(FaultKind? kind) => kind == FaultKind.Stall
        ? new() { Timeouts = new TimeoutsConfig { FirstByte = "1s", Total = "10s", Idle = "1s" } }
        : new() { Timeouts = new TimeoutsConfig { FirstByte = "30s", Total = "60s", Idle = "30s" } };

    private static TandemChatClientOptions InProcess(SimulatorServer primary, SimulatorServer backup, MemorySink sink, FaultKind? kind = null) =>
        new TandemChatClientOptions { UseStorage = false, Records = sink, Route = "chat" }
            .AddDeployment(new DeploymentConfig { Name = "primary", Model = "model-p", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(primary, "model-p"), Timeouts(kind))
            .AddDeployment(new DeploymentConfig { Name = "backup", Model = "model-b", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(backup, "model-b"), Timeouts(kind))
            .AddRoute(new RouteConfig { Name = "chat", Deployment = "primary", Fallbacks = ["backup"] });

    /// <summary>The same route with both deployments over HTTP (a configuration file's providers, no IChatClient given).</summary>
    private static TandemChatClientOptions OverHttp(SimulatorServer primary, SimulatorServer backup, MemorySink sink, FaultKind? kind = null) =>
        new()
        {
            UseStorage = false,
            Records = sink,
            Route = "chat",
            Config = new TandemConfig
            {
                Providers =
                [
                    Timeouts(kind) with { Name = "p", BaseUrl = primary.V1.ToString() },
                    Timeouts(kind) with { Name = "q", BaseUrl = backup.V1.ToString() },
                ],
                Deployments =
                [
                    new DeploymentConfig { Name = "primary", Provider = "p", Model = "model-p", Resilience = new ResilienceConfig { Retries = 0 } },
                    new DeploymentConfig { Name = "backup", Provider = "q", Model = "model-b", Resilience = new ResilienceConfig { Retries = 0 } },
                ],
                Routes = [new RouteConfig { Name = "chat", Deployment = "primary", Fallbacks = ["backup"] }],
            },
        };

    private static Task<SimulatorServer> FaultyAsync(FaultKind kind) => Sims.StartAsync("primary", o => o.Faults = [new Fault(kind, 1.0)]);

    private static void AssertFellBack(MemorySink sink, int status, string error, string label)
    {
        var record = Assert.Single(sink.Records);
        Assert.Equal((200, "backup"), (record.Status, record.Deployment));
        Assert.Equal([("primary", status, error), ("backup", 200, (string?)null)], record.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
        Assert.EndsWith($"; fallback: primary {label} -> backup", record.Decision, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Response_PrimaryFaults_BackupServes(FaultKind kind, int status, string error, string label)
    {
        await using var primary = await FaultyAsync(kind);
        await using var backup = await Sims.StartAsync("backup");
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(InProcess(primary, backup, sink, kind)).Build();

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal("model-b", response.ModelId);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(1, backup.Stats.Completed);
        AssertFellBack(sink, status, error, label);
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Stream_PrimaryFaultsBeforeItsFirstUpdate_BackupStreams(FaultKind kind, int status, string error, string label)
    {
        await using var primary = await FaultyAsync(kind);
        await using var backup = await Sims.StartAsync("backup");
        var sink = new MemorySink();
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(InProcess(primary, backup, sink, kind)).Build();

        var updates = await client.GetStreamingResponseAsync("hello", cancellationToken: Ct).ToListAsync(Ct);

        var response = updates.ToChatResponse();
        Assert.Equal("model-b", response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.False(string.IsNullOrEmpty(response.Text));
        AssertFellBack(sink, status, error, label);
    }

    [Fact]
    public async Task Stream_BrokenAfterItsFirstUpdate_IsCommitted_EndsWithAnError_NoFallback()
    {
        await using var primary = await Sims.StartAsync("primary", o =>
        {
            o.Faults = [new Fault(FaultKind.Abort, 1.0)];
            o.OutputTokens = 40;
        });
        await using var backup = await Sims.StartAsync("backup");
        var sink = new MemorySink();
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(InProcess(primary, backup, sink)).Build();
        var received = 0;

        var e = await Assert.ThrowsAsync<TandemChatException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("hello", cancellationToken: Ct))
            {
                received++;
            }
        });

        Assert.True(received >= 1);
        Assert.Equal((502, "stream_interrupted", "primary"), (e.Status, e.Code, e.Deployment));
        Assert.Equal(0, backup.Stats.Received);
        var record = Assert.Single(sink.Records);
        Assert.Equal((502, "stream_interrupted", "primary"), (record.Status, record.Error, record.Deployment));
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task OverHttp_PrimaryFaults_BackupServes_ThroughTandemsOwnSeam(FaultKind kind, int status, string error, string label)
    {
        await using var primary = await FaultyAsync(kind);
        await using var backup = await Sims.StartAsync("backup");
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(OverHttp(primary, backup, sink, kind)).Build();

        var response = await client.GetResponseAsync("hello", cancellationToken: Ct);

        Assert.Equal("model-b", response.ModelId);
        Assert.False(string.IsNullOrEmpty(response.Text));
        AssertFellBack(sink, status, error, label);
    }

    [Fact]
    public async Task OverHttp_Stream_PrimaryDown_BackupStreamsEventByEvent()
    {
        await using var primary = await FaultyAsync(FaultKind.Status503);
        await using var backup = await Sims.StartAsync("backup", o => o.OutputTokens = 12);
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(OverHttp(primary, backup, sink)).Build();

        var updates = await client.GetStreamingResponseAsync("hello", cancellationToken: Ct).ToListAsync(Ct);

        var response = updates.ToChatResponse();
        Assert.Equal(("model-b", ChatFinishReason.Stop), (response.ModelId, response.FinishReason));
        var usage = Assert.IsType<UsageContent>(updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single());
        Assert.Equal(12, usage.Details.OutputTokenCount);
        AssertFellBack(sink, 503, "http_503", "503");
        Assert.Equal(12, sink.Records[0].CompletionTokens);
    }

    [Fact]
    public async Task NoDeploymentServes_ThrowsWithTheGatewaysStatusAndCode_AndRecordsIt()
    {
        await using var primary = await FaultyAsync(FaultKind.Status503);
        await using var backup = await FaultyAsync(FaultKind.Status503);
        var sink = new MemorySink();
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(InProcess(primary, backup, sink)).Build();

        var e = await Assert.ThrowsAsync<TandemChatException>(() => client.GetResponseAsync("hello", cancellationToken: Ct));

        Assert.Equal((502, "upstream_error", "backup"), (e.Status, e.Code, e.Deployment));
        Assert.IsType<System.ClientModel.ClientResultException>(e.InnerException);
        var record = Assert.Single(sink.Records);
        Assert.Equal((502, "upstream_error"), (record.Status, record.Error));
        Assert.Equal([("primary", 503), ("backup", 503)], record.Attempts.Select(a => (a.Deployment, a.Status)));
    }
}
