using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>
/// A migration run by the in-process client: shadow calls to the candidate off the caller's path (through its
/// IChatClient), samples in the SQLite store, gates evaluated by the client's coordinator (<see cref="TandemChatClient.EvaluateMigrationsAsync"/>).
/// </summary>
public sealed class MigrationTests
{
    internal static string Config(string stage) => $$"""
        providers:
          - { name: openai-sim, base_url: "{sim0}" }
          - { name: vllm-sim, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: openai-sim, model: gpt-4o-mini-2024-07-18, pricing: { input_per_mtok: 0.15, output_per_mtok: 0.60 } }
          - { name: llama-8b, provider: vllm-sim, model: llama-3.1-8b-instruct, pricing: { input_per_mtok: 0.05, output_per_mtok: 0.08 } }
        routes:
          - name: intent
            deployment: gpt-4o-mini
            migration:
              to: llama-8b
              stage: {{stage}}
              auto: true
              canary_steps: [5, 25, 50]
              compare: { kind: classification, label: normalized }
              gates: { min_samples: 100, min_duration: 0s, min_agreement: 0.8, max_error_rate: 0.05 }
              evaluate_every: 1h
        storage: { engine: sqlite, path: tandem.db }
        """;

    internal static async Task<(SimulatorServer Incumbent, SimulatorServer Candidate, IReadOnlyList<(string Text, string Intent)> Rows)> SimulatorsAsync(double candidateAccuracy)
    {
        var rows = Clinc150.Sample(400);
        var answers = Clinc150.Answers(rows);
        var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.95, Seed = 101, Label = "incumbent" }, cancellationToken: Ct);
        var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = candidateAccuracy, Seed = 202, Label = "candidate" }, cancellationToken: Ct);
        return (incumbent, candidate, rows);
    }

    /// <summary>The YAML file (as a gateway reads it) with both deployments served by M.E.AI clients on the simulators.</summary>
    internal static TandemChatClientOptions Options(string configPath, SimulatorServer incumbent, SimulatorServer candidate) => new()
    {
        ConfigPath = configPath,
        Route = "intent",
        MigrationEvaluation = MigrationEvaluation.Manual,
        Clients =
        {
            ["gpt-4o-mini"] = Sims.Client(incumbent, "gpt-4o-mini-2024-07-18"),
            ["llama-8b"] = Sims.Client(candidate, "llama-3.1-8b-instruct"),
        },
    };

    internal static async Task SendAsync(IChatClient client, IReadOnlyList<(string Text, string Intent)> rows, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            var response = await client.GetResponseAsync(rows[i % rows.Count].Text, new ChatOptions { AdditionalProperties = new() { ["user"] = "user-" + i } }, Ct);
            Assert.False(string.IsNullOrEmpty(response.Text));
        }
    }

    /// <summary>What the two simulators answer for each input, asked directly over HTTP: the ground truth of agreement.</summary>
    internal static async Task<double> ExpectedAgreementAsync(SimulatorServer a, SimulatorServer b, IEnumerable<string> inputs)
    {
        using var http = new HttpClient();
        var agree = 0;
        var n = 0;
        foreach (var text in inputs)
        {
            agree += await AnswerAsync(a, text) == await AnswerAsync(b, text) ? 1 : 0;
            n++;
        }

        return agree / (double)n;

        async Task<string> AnswerAsync(SimulatorServer sim, string text)
        {
            using var response = await http.PostAsJsonAsync(new Uri(sim.V1, "v1/chat/completions"), new { model = "m", messages = new[] { new { role = "user", content = text } } }, Ct);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }
    }

    [Fact]
    public async Task GoodCandidate_InShadow_AdvancesToCanary_OnTheAgreementOfTheTwoDeployments()
    {
        var (incumbent, candidate, rows) = await SimulatorsAsync(0.93);
        await using var _ = incumbent;
        await using var __ = candidate;
        using var dir = new TempDir("tandem-inprocess-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(Config("shadow"), [incumbent.V1, candidate.V1]), Ct);
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(Options(path, incumbent, candidate)).Build();

        await SendAsync(client, rows, 0, 150);
        await client.WaitForShadowsAsync(TimeSpan.FromSeconds(60));

        // The incumbent served every call; the candidate answered each one beside it.
        Assert.Equal((150, 150), (incumbent.Stats.Completed, candidate.Stats.Completed));
        var reports = await client.EvaluateMigrationsAsync(cancellationToken: Ct);
        var expected = await ExpectedAgreementAsync(incumbent, candidate, rows.Take(150).Select(r => r.Text));
        var report = reports["intent"];
        Assert.Equal(150, report.Compared);
        Assert.Equal(expected, report.Agreement!.Value, 6);
        // Both right (0.95 × 0.93) or both wrong alike (0.05 × 0.07 / 39): 0.884; one σ over 150 inputs is 0.026.
        Assert.InRange(expected, 0.84, 0.93);
        var state = client.Migrations!.States["intent"];
        Assert.Equal((MigrationStage.Canary, 0), (state.Stage, state.CanaryStep));
    }

    [Fact]
    public async Task WeakCandidate_InCanary_IsRolledBack_AndTrafficReturnsToTheIncumbent()
    {
        var (incumbent, candidate, rows) = await SimulatorsAsync(0.70);
        await using var _ = incumbent;
        await using var __ = candidate;
        using var dir = new TempDir("tandem-inprocess-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(Config("canary"), [incumbent.V1, candidate.V1]), Ct);
        await using var client = (TandemChatClient)new ChatClientBuilder(Sims.Unused).UseTandem(Options(path, incumbent, candidate)).Build();

        await SendAsync(client, rows, 0, 150);
        await client.WaitForShadowsAsync(TimeSpan.FromSeconds(60));

        // 5 % canary: a few users are served by the candidate, the rest by the incumbent, and the other side is
        // called beside each: both simulators answered all 150.
        Assert.Equal((150, 150), (incumbent.Stats.Completed, candidate.Stats.Completed));
        var report = (await client.EvaluateMigrationsAsync("intent", Ct))["intent"];
        var expected = await ExpectedAgreementAsync(incumbent, candidate, rows.Take(150).Select(r => r.Text));
        Assert.Equal(expected, report.Agreement!.Value, 6);
        Assert.InRange(expected, 0.55, 0.78); // 0.95 × 0.70 + 0.05 × 0.30 / 39 = 0.665, σ = 0.039 over 150
        Assert.Equal(MigrationStage.RolledBack, client.Migrations!.States["intent"].Stage);

        var candidateBefore = candidate.Stats.Received;
        await SendAsync(client, rows, 150, 30);
        Assert.Equal(candidateBefore, candidate.Stats.Received);
    }
}
