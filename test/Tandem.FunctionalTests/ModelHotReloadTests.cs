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
/// Replacing only the router model file (the configuration unchanged) reloads it: the new version shows in
/// <c>x-tandem-decision</c>; a damaged file is refused, logged as an error, and the model in force stays.
/// </summary>
public sealed class ModelHotReloadTests
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

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ModelFileReplaced_ConfigUnchanged_GatewayReloadsIt_AndADamagedFileKeepsTheOldModel()
    {
        using var dir = new TempDir("tandem-router-reload-");
        var path = dir.File("router.bin");
        // Zero weights: every prompt scores sigmoid(bias). sigmoid(2) = 0.8808 (large), sigmoid(-2) = 0.1192 (small).
        var up = new LinearRouterModel(new float[1024], 2f);
        var down = new LinearRouterModel(new float[1024], -2f);
        Replace(path, up.Save);

        await using var onprem = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var cloud = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config.Replace("MODEL", path, StringComparison.Ordinal), onprem, cloud);
        var configVersion = gateway.App.State.Current.Version;

        var before = await PostAsync(gateway, "what is the capital of France");
        Assert.Equal("large", before.Deployment);
        Assert.Equal($"tier score 0.88 (model {up.Version}) >= 0.5 -> large", before.Decision);

        var reload = gateway.App.State.NextReloadAsync();
        Replace(path, down.Save);
        var outcome = await reload.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.True(outcome.Succeeded);
        Assert.Equal(configVersion + 1, outcome.Version);

        var after = await PostAsync(gateway, "what is the capital of France");
        Assert.Equal("small", after.Deployment);
        Assert.Equal($"tier score 0.12 (model {down.Version}) >= 0 -> small", after.Decision);

        reload = gateway.App.State.NextReloadAsync();
        // A model cut short: header and bias intact, half of the 1,024 weights missing.
        using (var whole = new MemoryStream())
        {
            up.Save(whole);
            Replace(path, s => s.Write(whole.GetBuffer().AsSpan(0, 20 + 2048)));
        }

        outcome = await reload.WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.False(outcome.Succeeded);
        Assert.Equal(configVersion + 1, outcome.Version);
        Assert.Contains(outcome.Errors, e => e.Contains("tiers.model", StringComparison.Ordinal) && e.Contains("truncated or damaged", StringComparison.Ordinal));
        Assert.Contains(gateway.Logs.Lines, l => l.Contains("changed but is invalid", StringComparison.Ordinal) && l.Contains("truncated or damaged", StringComparison.Ordinal));

        var kept = await PostAsync(gateway, "what is the capital of France");
        Assert.Equal("small", kept.Deployment);
        Assert.Equal($"tier score 0.12 (model {down.Version}) >= 0 -> small", kept.Decision);
    }

    // Written beside the target and renamed over it, as the docs advise: no reload reads a half-written file.
    private static void Replace(string path, Action<Stream> write)
    {
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        {
            write(file);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static async Task<(string Deployment, string Decision)> PostAsync(TestGateway gateway, string prompt)
    {
        using var body = new StringContent(JsonSerializer.Serialize(new RouterChatRequest("assistant", [new RouterChatMessage("user", prompt)]), RouterTestJson.Default.RouterChatRequest), Encoding.UTF8, "application/json");
        using var response = await gateway.Http.PostAsync("v1/chat/completions", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Headers.GetValues("x-tandem-deployment").Single(), response.Headers.GetValues("x-tandem-decision").Single());
    }
}
