using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Gemini;

/// <summary>
/// A route served by a Gemini incumbent migrating to a candidate on another protocol (the OpenAI simulator standing in
/// for a self-hosted model): in shadow, every request is answered by Gemini and repeated to the candidate, and the
/// samples compare the two answers as the gates read them.
/// </summary>
public sealed class GeminiMigrationTests
{
    private const string AdminKey = "admin-key-gemini-123456";

    [Fact]
    public async Task GeminiIncumbent_OpenAiCandidateInShadow_ProducesComparedSamples()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY_GEMINI", AdminKey);
        var rows = Clinc150.Sample(12);
        var answers = Clinc150.Answers(rows);
        await using var gemini = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 1.0, Label = "gemini incumbent" }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 1.0, Label = "candidate" }, cancellationToken: Ct);
        var config = $$"""
            auth:
              admin_key_env: TANDEM_TEST_ADMIN_KEY_GEMINI
              keys: [ { name: test, key: {{TestGateway.Key}} } ]
            providers:
              - { name: google, type: gemini, base_url: "{{gemini.BaseAddress}}v1beta" }
              - { name: onprem, base_url: "{sim1}" }
            deployments:
              - { name: gemini-flash, provider: google, model: gemini-2.5-flash }
              - { name: llama-8b, provider: onprem, model: llama-3.1-8b-instruct }
            routes:
              - name: intent
                deployment: gemini-flash
                migration:
                  to: llama-8b
                  stage: shadow
                  compare: { kind: classification, label: normalized }
                  gates: { min_samples: 10, min_duration: 0s, min_agreement: 0.9 }
                  evaluate_every: 1h
            """;
        await using var gateway = await TestGateway.StartAsync(config, gemini, candidate);

        for (var i = 0; i < rows.Count; i++)
        {
            var body = new JsonObject
            {
                ["model"] = "intent",
                ["stream"] = i % 2 == 1,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = rows[i].Text }),
            };
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("gemini-flash", response.Headers.GetValues("x-tandem-deployment").Single());
            var text = await response.Content.ReadAsStringAsync(Ct);
            var answer = i % 2 == 1
                ? string.Concat(Sse.Events(text).Where(e => e != "[DONE]").Select(e => (string?)JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]))
                : (string?)JsonNode.Parse(text)!["choices"]![0]!["message"]!["content"];
            Assert.Equal(rows[i].Intent, answer);
        }

        var coordinator = (MigrationCoordinator)gateway.App.Services.GetService(typeof(MigrationCoordinator))!;
        await coordinator.WaitForShadowsAsync(TimeSpan.FromSeconds(60));
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var evaluated = await admin.PostAsync("admin/migrations/intent/evaluate", null, Ct);
        using var doc = JsonDocument.Parse(await evaluated.Content.ReadAsStringAsync(Ct));
        var status = doc.RootElement.GetProperty("migrations")[0];

        // Every request reached Gemini's endpoints and, in shadow, the candidate: both answer every input correctly.
        Assert.Equal((12L, 12L), (gemini.Stats.Completed, candidate.Stats.Completed));
        var gates = status.GetProperty("gates");
        Assert.Equal((12, 12, 1.0, true), (gates.GetProperty("samples").GetInt32(), gates.GetProperty("compared").GetInt32(),
            gates.GetProperty("agreement").GetDouble(), gates.GetProperty("all_passed").GetBoolean()));
        Assert.Equal("shadow", status.GetProperty("stage").GetString());
    }
}
