using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Aws;

/// <summary>
/// A migration from a Gemini incumbent to a SageMaker candidate in shadow: the incumbent answers every client, every
/// request is also sent, signed, to the SageMaker endpoint, and the gates compare the two.
/// </summary>
public sealed class SageMakerShadowMigrationTests
{
    private const string AdminKey = "admin-key-sagemaker-shadow";

    [Fact]
    public async Task SageMakerCandidate_InShadow_IsComparedOnEveryRequest_ClientsOnlySeeTheIncumbent()
    {
        var rows = Clinc150.Sample(60);
        var answers = Clinc150.Answers(rows);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.95, Seed = 101, Label = "incumbent" }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.85, Seed = 202, Label = "sagemaker" }, cancellationToken: Ct);
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir.File("credentials"),
            $"[simulator]\naws_access_key_id = {AwsSimulatorOptions.ExampleAccessKeyId}\naws_secret_access_key = {AwsSimulatorOptions.ExampleSecretAccessKey}\n", Ct);
        var config = "auth:\n  admin_key_sha256: " + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(AdminKey))) + "\n"
            + "  keys: [ { name: test, key: " + TestGateway.Key + " } ]\n"
            + "providers:\n"
            + $"  - {{ name: proprietary, type: gemini, base_url: \"{incumbent.BaseAddress}v1beta\" }}\n"
            + AwsConformanceUpstream.Yaml("sagemaker-host", "sagemaker", candidate, dir)
            + """
            deployments:
              - { name: incumbent, provider: proprietary, model: gemini-2.0-flash }
              - { name: llama-8b, provider: sagemaker-host, model: llama-3-1-8b-endpoint }
            routes:
              - name: intent
                deployment: incumbent
                migration:
                  to: llama-8b
                  stage: shadow
                  auto: false
                  compare: { kind: classification, label: normalized }
                  evaluate_every: 1h
            """;
        await using var gateway = await TestGateway.StartAsync(config, static o => o, []);

        foreach (var (text, _) in rows)
        {
            var body = new JsonObject { ["model"] = "intent", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("incumbent", response.Headers.GetValues("x-tandem-deployment").Single());
        }

        var coordinator = (MigrationCoordinator)gateway.App.Services.GetService(typeof(MigrationCoordinator))!;
        await coordinator.WaitForShadowsAsync(TimeSpan.FromSeconds(60));

        // Every shadow call reached the endpoint with a signature the simulator accepted.
        Assert.Equal((60, 0), ((int)candidate.Stats.Received, (int)candidate.Stats.Rejected));
        Assert.Equal(60, (int)incumbent.Stats.Received);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var evaluated = await admin.PostAsync("admin/migrations/intent/evaluate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, evaluated.StatusCode);
        using var doc = JsonDocument.Parse(await evaluated.Content.ReadAsStringAsync(Ct));
        var migration = doc.RootElement.GetProperty("migrations")[0];
        Assert.Equal(("shadow", "llama-8b"), (migration.GetProperty("stage").GetString(), migration.GetProperty("candidate").GetString()));
        var gates = migration.GetProperty("gates");
        Assert.Equal(60, gates.GetProperty("compared").GetInt32());

        // The agreement Tandem measured is that of the two simulators' answers, asked directly (each answers by a
        // hash of the input, so the direct answer is the one the shadow call got).
        var agree = 0;
        using var direct = new HttpClient();
        foreach (var (text, _) in rows)
        {
            agree += await DirectAsync(direct, incumbent, text) == await DirectAsync(direct, candidate, text) ? 1 : 0;
        }

        Assert.Equal(agree / 60.0, gates.GetProperty("agreement").GetDouble(), 4);
        Assert.InRange(agree, 40, 59); // 0.95 × 0.85 ≈ 0.81 expected; 60 samples
    }

    private static async Task<string> DirectAsync(HttpClient http, SimulatorServer sim, string text)
    {
        var body = new JsonObject { ["model"] = "m", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
        using var response = await http.PostAsync(new Uri(sim.V1, "v1/chat/completions"), Json(body.ToJsonString()), Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }
}
