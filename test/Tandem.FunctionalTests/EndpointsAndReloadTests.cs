using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class EndpointsAndReloadTests
{
    [Fact]
    public async Task Embeddings_AndLegacyCompletions_PassThrough()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 10, OutputTokens = 4 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var embeddings = await gateway.OpenAI().GetEmbeddingClient("gpt").GenerateEmbeddingsAsync(["alpha", "beta"], new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 8 }, Ct);
        Assert.Equal(2, embeddings.Value.Count);
        Assert.Equal(8, embeddings.Value[0].ToFloats().Length);
        var sent = JsonNode.Parse(sim.Stats.Recent[^1].Body)!;
        Assert.Equal("/v1/embeddings", sim.Stats.Recent[^1].Path);
        Assert.Equal("gpt-4o-mini-2024-07-18", (string?)sent["model"]);
        Assert.Equal(8, (int)sent["dimensions"]!);

        using var completion = await gateway.Http.PostAsync("v1/completions", Json("""{"model":"chat","prompt":"Once upon a time","max_tokens":4,"echo":false}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, completion.StatusCode);
        using var doc = JsonDocument.Parse(await completion.Content.ReadAsStringAsync(Ct));
        Assert.Equal("text_completion", doc.RootElement.GetProperty("object").GetString());
        Assert.Equal("/v1/completions", sim.Stats.Recent[^1].Path);
        Assert.False((bool)JsonNode.Parse(sim.Stats.Recent[^1].Body)!["echo"]!);
    }

    [Fact]
    public async Task Models_ListsRoutesAndDeployments_AndReadiness()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var models = await gateway.OpenAI().GetOpenAIModelClient().GetModelsAsync(Ct);
        Assert.Equal(["chat", "gpt"], models.Value.Select(m => m.Id).ToArray());
        var one = await gateway.OpenAI().GetOpenAIModelClient().GetModelAsync("chat", Ct);
        Assert.Equal("tandem", one.Value.OwnedBy);

        using var anonymous = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        Assert.Equal("ok", await anonymous.GetStringAsync("healthz", Ct));
        using var ready = await anonymous.GetAsync("readyz", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var models401 = await anonymous.GetAsync("v1/models", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, models401.StatusCode);
    }

    [Fact]
    public async Task AzureOpenAiProvider_UsesDeploymentUrlApiVersionAndApiKeyHeader()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_AZURE_KEY", "azure-secret-abc");
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 5, RequiredApiKey = "azure-secret-abc" }, cancellationToken: Ct);
        var root = sim.BaseAddress.ToString().TrimEnd('/');
        var config = $$"""
            auth: { keys: [ { name: test, key: sk-test-key-123456 } ] }
            providers:
              - name: azure
                type: azure-openai
                base_url: {{root}}
                api_version: 2024-10-21
                api_key_env: TANDEM_TEST_AZURE_KEY
                headers: { x-ms-useragent: tandem-test }
            deployments: [ { name: gpt4o, provider: azure, model: prod-gpt4o } ]
            routes: [ { name: chat, deployment: gpt4o } ]
            """;
        await using var gateway = await TestGateway.StartAsync(config);

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        var received = sim.Stats.Recent.Single();
        Assert.Equal("/openai/deployments/prod-gpt4o/chat/completions", received.Path);
        Assert.Equal("?api-version=2024-10-21", received.Query);
        Assert.Equal("azure-secret-abc", received.Headers["api-key"]);
        Assert.Equal("tandem-test", received.Headers["x-ms-useragent"]);
        Assert.False(received.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Reload_AppliesAValidEdit_KeepsTheLastGoodOnAnInvalidOne_AndInFlightRequestsFinish()
    {
        await using var slow = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromMilliseconds(400)) }, cancellationToken: Ct);
        await using var other = await SimulatorServer.StartAsync(new SimulatorOptions { ReportedModel = "other-model" }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, slow, other);

        // A request in flight on the old configuration...
        var inFlight = gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        await slow.Stats.WaitForAsync(s => s.Received >= 1, TimeSpan.FromSeconds(10));

        // ...while the route moves to another provider and a second route appears.
        var moved = Configs.Single.Replace("base_url: {sim0}", "base_url: {sim1}", StringComparison.Ordinal) + "\n  - name: extra\n    deployment: gpt\n";
        var outcome = await gateway.RewriteConfigAsync(moved);
        Assert.True(outcome.Succeeded, string.Join("; ", outcome.Errors));
        Assert.Equal(2, outcome.Version);

        using (var finished = await inFlight)
        {
            Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        }

        ChatCompletion after = await gateway.Chat("extra").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("other-model", after.Model);

        // An invalid edit is refused with its reasons; the gateway keeps serving version 2.
        var refused = await gateway.RewriteConfigAsync(moved.Replace("deployment: gpt\n", "deployment: llama-8b\n", StringComparison.Ordinal));
        Assert.False(refused.Succeeded);
        Assert.Contains("routes[1].deployment: unknown deployment 'llama-8b'", refused.Errors);
        Assert.Equal(2, gateway.App.State.Current.Version);
        ChatCompletion still = await gateway.Chat("extra").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct);
        Assert.Equal("other-model", still.Model);
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("is invalid; keeping version 2", StringComparison.Ordinal));
    }
}
