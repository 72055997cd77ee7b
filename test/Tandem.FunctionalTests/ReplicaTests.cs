using System.Net;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class ReplicaTests
{
    private static string Config(string balance, string endpoints, string healthCheck = "") => $$"""
        auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
        providers:
          - name: vllm
            endpoints: [{{endpoints}}]
            balance: {{balance}}
        {{healthCheck}}
        deployments:
          - { name: llama, provider: vllm, model: llama, resilience: { retries: 0, breaker: { enabled: false } } }
        routes:
          - { name: chat, deployment: llama }
        """;

    [Theory]
    [InlineData("least_outstanding")]
    [InlineData("p2c")]
    public async Task ConcurrentLoad_IsSpreadOverReplicas(string balance)
    {
        // Slow replicas: while requests are in flight, each new one goes to the less busy replica.
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromMilliseconds(300)) }, cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromMilliseconds(300)) }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(balance, "\"{sim0}\", \"{sim1}\""), a, b);

        var calls = Enumerable.Range(0, 20).Select(_ => gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct)).ToArray();
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(20, a.Stats.Completed + b.Stats.Completed);
        Assert.InRange(a.Stats.Completed, 5, 15);
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task ReplicaThatRefusesConnections_IsEjected_AndTheOtherServes()
    {
        await using var alive = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        // Port 9 on loopback: nothing listens, connections are refused at once.
        await using var gateway = await TestGateway.StartAsync(Config("least_outstanding", "\"http://127.0.0.1:9/v1\", \"{sim0}\"").Replace("retries: 0", "retries: 1", StringComparison.Ordinal), alive);

        for (var i = 0; i < 10; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(10, alive.Stats.Completed);
        var dead = gateway.App.State.Current.Providers["vllm"].Endpoints[0];
        Assert.NotNull(dead.EjectedUntil);
    }

    [Fact]
    public async Task ActiveHealthChecks_TakeAFailingReplicaOutOfRotation()
    {
        await using var healthy = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var sick = await SimulatorServer.StartAsync(new SimulatorOptions { Models = ["only-this-model"] }, cancellationToken: Ct);
        // The sick replica answers its health check path (/v1/models/llama) with 404.
        var config = Config("least_outstanding", "\"{sim0}\", \"{sim1}\"", "    health_check: { path: models/llama, interval: 1h, timeout: 1s }");
        await using var gateway = await TestGateway.StartAsync(config, healthy, sick);
        var provider = gateway.App.State.Current.Providers["vllm"];
        await provider.CheckHealthAsync(Ct);
        Assert.True(provider.Endpoints[0].HealthCheckPassing);
        Assert.False(provider.Endpoints[1].HealthCheckPassing);

        for (var i = 0; i < 6; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(6, healthy.Stats.Received);
        Assert.Equal(0, sick.Stats.Received);
    }
}
