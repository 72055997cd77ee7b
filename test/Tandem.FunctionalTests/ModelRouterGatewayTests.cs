using System.Net;
using System.Text;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Routing.Learned;
using Tandem.Simulator;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// <c>tandem router train</c> (the real CLI) writes a model; the gateway routes complexity tiers by it, names its
/// version in <c>x-tandem-decision</c>, and takes a new model with a configuration reload.
/// </summary>
public sealed class ModelRouterGatewayTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: onprem, base_url: "{sim0}" }
          - { name: cloud, base_url: "{sim1}" }
        deployments:
          - { name: small, provider: onprem, model: llama-3.1-8b }
          - { name: large, provider: cloud, model: gpt-4o }
        routes:
          - name: assistant
            tiers: { scorer: model, model: "MODEL", levels: [ { min: 0, deployment: small }, { min: 0.5, deployment: large } ] }
        """;

    private static readonly string[] Hard = ["prove", "derive", "integral", "theorem", "eigenvalue", "lemma"];
    private static readonly string[] Easy = ["capital", "colour", "weather", "holiday", "breakfast", "animal"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TrainedModel_RoutesHardPromptsToTheLargeTier_AndReloadsWithTheConfig()
    {
        using var dir = new TempDir("tandem-router-");
        var data = dir.File("outcomes.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 400).Select(i => JsonSerializer.Serialize(i % 2 == 0
            ? new RouterOutcome($"please {Hard[i % Hard.Length]} case {i}", false)
            : new RouterOutcome($"what {Easy[i % Easy.Length]} is number {i}", true), RouterTestJson.Default.RouterOutcome)), Ct);

        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "router", "train", "--data", data, "--out", dir.File("a.bin"), "--bits", "14");
        Assert.True(code == 0, stderr);
        var a = LinearRouterModel.Load(dir.File("a.bin"));
        Assert.StartsWith($"model {a.Version} written to {dir.File("a.bin")} (14 hash bits, seed 42, 6 epochs)", stdout, StringComparison.Ordinal);
        Assert.Contains("accuracy 100.0 %, AUC 1.000", stdout, StringComparison.Ordinal);

        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config.Replace("MODEL", dir.File("a.bin"), StringComparison.Ordinal), onprem, cloud);

        var hard = await PostAsync(gateway, "please prove the lemma about primes");
        var easy = await PostAsync(gateway, "what animal is the largest");
        Assert.Equal("large", hard.Deployment);
        Assert.Matches($@"^tier score 0\.\d\d \(model {a.Version}\) >= 0\.5 -> large$", hard.Decision);
        Assert.Equal("small", easy.Deployment);
        Assert.Matches($@"^tier score 0\.\d\d \(model {a.Version}\) >= 0 -> small$", easy.Decision);

        (code, _, stderr) = await TandemProcess.RunAsync(null, "router", "train", "--data", data, "--out", dir.File("b.bin"), "--bits", "14", "--seed", "7");
        Assert.True(code == 0, stderr);
        var b = LinearRouterModel.Load(dir.File("b.bin"));
        Assert.NotEqual(a.Version, b.Version);
        var reload = await gateway.RewriteConfigAsync(Config.Replace("MODEL", dir.File("b.bin"), StringComparison.Ordinal));
        Assert.True(reload.Succeeded);

        var after = await PostAsync(gateway, "please prove the lemma about primes");
        Assert.Equal("large", after.Deployment);
        Assert.Contains($"(model {b.Version})", after.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_DataWithoutBothOutcomes_ExitsTwoAndSaysWhy()
    {
        using var dir = new TempDir("tandem-router-");
        var data = dir.File("outcomes.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 50).Select(i => JsonSerializer.Serialize(new RouterOutcome($"q {i}", true), RouterTestJson.Default.RouterOutcome)), Ct);

        var (code, _, stderr) = await TandemProcess.RunAsync(null, "router", "train", "--data", data, "--out", dir.File("m.bin"));

        Assert.Equal(2, code);
        Assert.Contains("both splits must be non-empty and the training split must hold both outcomes", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("m.bin")));
    }

    private static async Task<(string Deployment, string Decision)> PostAsync(TestGateway gateway, string prompt)
    {
        using var body = new StringContent(JsonSerializer.Serialize(new RouterChatRequest("assistant", [new RouterChatMessage("user", prompt)]), RouterTestJson.Default.RouterChatRequest), Encoding.UTF8, "application/json");
        using var response = await gateway.Http.PostAsync("v1/chat/completions", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Headers.GetValues("x-tandem-deployment").Single(), response.Headers.GetValues("x-tandem-decision").Single());
    }
}

internal sealed record RouterOutcome(string Prompt, bool WeakGood);

internal sealed record RouterChatMessage(string Role, string Content);

internal sealed record RouterChatRequest(string Model, IReadOnlyList<RouterChatMessage> Messages);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(RouterOutcome))]
[System.Text.Json.Serialization.JsonSerializable(typeof(RouterChatRequest))]
internal sealed partial class RouterTestJson : System.Text.Json.Serialization.JsonSerializerContext;
