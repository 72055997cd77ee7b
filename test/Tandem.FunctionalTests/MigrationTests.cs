using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class MigrationTests
{
    private const string AdminKey = "admin-key-123456";

    private static string Config(string stage) => $$"""
        auth:
          admin_key_env: TANDEM_TEST_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: openai-sim, base_url: "{sim0}" }
          - { name: vllm-sim, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: openai-sim, model: gpt-4o-mini-2024-07-18 }
          - { name: llama-8b, provider: vllm-sim, model: llama-3.1-8b-instruct }
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
        """;

    private static async Task<(SimulatorServer Incumbent, SimulatorServer Candidate, IReadOnlyList<(string Text, string Intent)> Rows)> SimulatorsAsync(double candidateAccuracy)
    {
        var rows = Clinc150.Sample(400);
        var answers = Clinc150.Answers(rows);
        var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.95, Seed = 101, Label = "incumbent" }, cancellationToken: Ct);
        var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = candidateAccuracy, Seed = 202, Label = "candidate" }, cancellationToken: Ct);
        return (incumbent, candidate, rows);
    }

    private static HttpClient Admin(TestGateway gateway)
    {
        var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return admin;
    }

    private static async Task SendAsync(TestGateway gateway, IReadOnlyList<(string Text, string Intent)> rows, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            var (text, _) = rows[i % rows.Count];
            var body = new JsonObject
            {
                ["model"] = "intent",
                ["user"] = "user-" + i,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
            };
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Coordinator(gateway).WaitForShadowsAsync(TimeSpan.FromSeconds(60));
    }

    private static MigrationCoordinator Coordinator(TestGateway gateway) =>
        (MigrationCoordinator)gateway.App.Services.GetService(typeof(MigrationCoordinator))!;

    private static async Task<JsonElement> EvaluateAsync(HttpClient admin, string route = "intent")
    {
        using var response = await admin.PostAsync($"admin/migrations/{route}/evaluate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("migrations")[0].Clone();
    }

    /// <summary>What the two simulators answer for each input, asked directly: the ground truth of agreement.</summary>
    private static async Task<double> ExpectedAgreementAsync(SimulatorServer a, SimulatorServer b, IEnumerable<string> inputs)
    {
        using var http = new HttpClient();
        var agree = 0;
        var n = 0;
        foreach (var text in inputs)
        {
            var x = await AnswerAsync(http, a, text);
            var y = await AnswerAsync(http, b, text);
            agree += x == y ? 1 : 0;
            n++;
        }

        return agree / (double)n;

        static async Task<string> AnswerAsync(HttpClient http, SimulatorServer sim, string text)
        {
            var body = new JsonObject { ["model"] = "m", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
            using var response = await http.PostAsync(new Uri(sim.V1, "v1/chat/completions"), Json(body.ToJsonString()), Ct);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        }
    }

    [Fact]
    public async Task GoodCandidate_WalksShadowCanaryCutoverFull_Automatically()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        var (incumbent, candidate, rows) = await SimulatorsAsync(0.93);
        await using var _ = incumbent;
        await using var __ = candidate;
        await using var gateway = await TestGateway.StartAsync(Config("shadow"), incumbent, candidate);
        using var admin = Admin(gateway);

        // Shadow: the incumbent serves every request, the candidate is called beside it.
        await SendAsync(gateway, rows, 0, 150);
        Assert.Equal(150, incumbent.Stats.Completed);
        Assert.Equal(150, candidate.Stats.Completed);
        var shadow = await EvaluateAsync(admin);

        // The agreement Tandem measured is the agreement of the two simulators' answers on those inputs.
        var expected = await ExpectedAgreementAsync(incumbent, candidate, rows.Take(150).Select(r => r.Text));
        var history = shadow.GetProperty("history");
        var advance = history.EnumerateArray().First(e => e.GetProperty("kind").GetString() == "advance");
        Assert.Equal("shadow", advance.GetProperty("from").GetString());
        Assert.Equal("canary 5%", advance.GetProperty("to").GetString());
        var evidence = advance.GetProperty("evidence");
        Assert.Equal(150, evidence.GetProperty("compared").GetInt32());
        Assert.Equal(expected, evidence.GetProperty("agreement").GetDouble(), 6);
        // Independent of Tandem: both right (0.95 × 0.93) or both wrong on the same of 39 other labels
        // (0.05 × 0.07 / 39) gives 0.884; over 150 inputs one standard deviation is 0.026.
        Assert.InRange(expected, 0.84, 0.93);
        var ci = evidence.GetProperty("agreement_ci95");
        Assert.True(ci[0].GetDouble() < expected && expected < ci[1].GetDouble());
        Assert.True(evidence.GetProperty("top_disagreements").GetArrayLength() > 0);

        var stages = new List<string> { "canary 5%" };
        for (var round = 1; round < 8 && stages[^1] != "full"; round++)
        {
            await SendAsync(gateway, rows, round * 150, 150);
            var status = await EvaluateAsync(admin);
            stages.Add(status.GetProperty("stage").GetString()!);
        }

        Assert.Equal(["canary 5%", "canary 25%", "canary 50%", "cutover", "full"], stages);

        // Full: the candidate serves alone, pinned.
        var before = incumbent.Stats.Received;
        await SendAsync(gateway, rows, 2000, 20);
        Assert.Equal(before, incumbent.Stats.Received);
        var final = await EvaluateAsync(admin);
        Assert.True(final.GetProperty("pinned").GetBoolean());
        Assert.Equal(100, final.GetProperty("traffic_percent").GetProperty("llama-8b").GetInt32());
    }

    [Fact]
    public async Task WeakCandidate_InCanary_IsRolledBackAutomatically()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        var (incumbent, candidate, rows) = await SimulatorsAsync(0.70);
        await using var _ = incumbent;
        await using var __ = candidate;
        await using var gateway = await TestGateway.StartAsync(Config("canary"), incumbent, candidate);
        using var admin = Admin(gateway);

        await SendAsync(gateway, rows, 0, 150);

        // 5 % canary: a few users are served by the candidate, the rest by the incumbent; every request is compared,
        // so each simulator answered all 150 (as server or as shadow).
        Assert.Equal(150, candidate.Stats.Completed);
        Assert.Equal(150, incumbent.Stats.Completed);
        var status = await EvaluateAsync(admin);
        Assert.Equal("rolled back", status.GetProperty("stage").GetString());
        var rollback = status.GetProperty("history").EnumerateArray().First(e => e.GetProperty("kind").GetString() == "rollback");
        Assert.Equal("auto", rollback.GetProperty("trigger").GetString());
        var agreement = rollback.GetProperty("evidence").GetProperty("agreement").GetDouble();
        var expected = await ExpectedAgreementAsync(incumbent, candidate, rows.Take(150).Select(r => r.Text));
        Assert.Equal(expected, agreement, 6);
        Assert.InRange(agreement, 0.55, 0.78); // 0.95 × 0.70 + 0.05 × 0.30 / 39 = 0.665, σ = 0.039 over 150
        Assert.Contains(rollback.GetProperty("evidence").GetProperty("gates").EnumerateArray(),
            g => g.GetProperty("gate").GetString() == "agreement" && !g.GetProperty("passed").GetBoolean());

        // All traffic is back on the incumbent, and nothing is shadowed any more.
        var candidateBefore = candidate.Stats.Received;
        await SendAsync(gateway, rows, 150, 30);
        Assert.Equal(candidateBefore, candidate.Stats.Received);
    }

    [Fact]
    public async Task ShadowCalls_NeverAlterOrFailTheClientsAnswer()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        var rows = Clinc150.Sample(50);
        var answers = Clinc150.Answers(rows);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 1.0 }, cancellationToken: Ct);
        await using var broken = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("500:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("shadow"), incumbent, broken);
        using var admin = Admin(gateway);

        foreach (var (text, intent) in rows.Take(20))
        {
            var body = new JsonObject { ["model"] = "intent", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal(intent, doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        }

        await Coordinator(gateway).WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        var status = await EvaluateAsync(admin);
        Assert.Equal("shadow", status.GetProperty("stage").GetString());
        Assert.Equal(1.0, status.GetProperty("gates").GetProperty("candidate_error_rate").GetDouble());
    }

    [Fact]
    public async Task ManualCommands_StartAdvanceRollbackPin_AreRecorded()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = Config("shadow");
        config = config[..config.IndexOf("    migration:", StringComparison.Ordinal)];
        await using var gateway = await TestGateway.StartAsync(config, a, b);
        using var admin = Admin(gateway);

        using (var missing = await admin.PostAsync("admin/migrations/intent/start", Json("{}"), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        }

        async Task<string> PostAsync(string path, string? body = null)
        {
            using var response = await admin.PostAsync(path, body is null ? null : Json(body), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            return doc.RootElement.GetProperty("migrations")[0].GetProperty("stage").GetString()!;
        }

        Assert.Equal("shadow", await PostAsync("admin/migrations/intent/start", """{"to":"llama-8b"}"""));
        Assert.Equal("canary 5%", await PostAsync("admin/migrations/intent/advance"));
        Assert.Equal("rolled back", await PostAsync("admin/migrations/intent/rollback"));
        using (var conflict = await admin.PostAsync("admin/migrations/intent/rollback", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        }

        Assert.Equal("shadow", await PostAsync("admin/migrations/intent/start", """{"to":"llama-8b"}"""));

        // While the route depends on the incumbent, its retirement (shipped data: gpt-4o-mini-2024-07-18 on
        // 2027-01-14) is surfaced.
        using (var shadowStatus = await admin.GetAsync("admin/migrations/intent", Ct))
        using (var doc = JsonDocument.Parse(await shadowStatus.Content.ReadAsStringAsync(Ct)))
        {
            var retirement = doc.RootElement.GetProperty("migrations")[0].GetProperty("retirements").EnumerateArray().Single();
            Assert.Equal("gpt-4o-mini", retirement.GetProperty("deployment").GetString());
            Assert.Equal("2027-01-14", retirement.GetProperty("retires").GetString());
        }

        Assert.Equal("full", await PostAsync("admin/migrations/intent/pin"));

        using var statusResponse = await admin.GetAsync("admin/migrations/intent", Ct);
        using var status = JsonDocument.Parse(await statusResponse.Content.ReadAsStringAsync(Ct));
        var m = status.RootElement.GetProperty("migrations")[0];
        var kinds = m.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["pin", "start", "rollback", "advance", "start"], kinds);
        Assert.All(m.GetProperty("history").EnumerateArray().Where(e => e.GetProperty("kind").GetString() != "start"), e => Assert.Equal("manual", e.GetProperty("trigger").GetString()));

        // Pinned to the candidate, the route no longer depends on the incumbent: its retirement is not the route's.
        Assert.Equal(0, m.GetProperty("retirements").GetArrayLength());

        using var anonymous = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        using var denied = await anonymous.GetAsync("admin/migrations", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task MigrateCommand_DrivesTheAdminApi()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = Config("shadow");
        config = config[..config.IndexOf("    migration:", StringComparison.Ordinal)];
        await using var gateway = await TestGateway.StartAsync(config, a, b);
        var url = gateway.App.BaseAddress.ToString();

        async Task<(int Code, string Output)> RunAsync(params string[] args)
        {
            var root = new System.CommandLine.RootCommand("test") { Tandem.Cli.Commands.MigrateCommand.Create() };
            using var output = new StringWriter();
            var code = await root.Parse([.. args, "--gateway", url, "--admin-key-env", "TANDEM_TEST_ADMIN_KEY"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = output }, Ct);
            return (code, output.ToString());
        }

        var (code, text) = await RunAsync("migrate", "start", "intent", "--to", "llama-8b");
        Assert.True(code == 0, text);
        Assert.Contains("stage shadow", text, StringComparison.Ordinal);
        Assert.Contains("agreement", text, StringComparison.Ordinal);
        Assert.Contains("retires 2027-01-14", text, StringComparison.Ordinal);

        (code, text) = await RunAsync("migrate", "advance", "intent", "--format", "json");
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(text))
        {
            Assert.Equal("canary 5%", doc.RootElement.GetProperty("migrations")[0].GetProperty("stage").GetString());
        }

        (code, text) = await RunAsync("migrate", "status");
        Assert.Equal(0, code);
        Assert.Contains("canary 5%", text, StringComparison.Ordinal);
        Assert.Contains("gpt-4o-mini 95%", text, StringComparison.Ordinal);

        (code, text) = await RunAsync("migrate", "start", "intent", "--to", "llama-8b");
        Assert.Equal(1, code);
        Assert.Contains("already has a migration", text, StringComparison.Ordinal);

        // Something that is not a Tandem gateway answers with a body that is not JSON: a refusal with its status, not a crash.
        var notTandem = new System.CommandLine.RootCommand("test") { Tandem.Cli.Commands.MigrateCommand.Create() };
        using var notTandemOutput = new StringWriter();
        code = await notTandem.Parse(["migrate", "status", "--gateway", a.BaseAddress.ToString(), "--admin-key-env", "TANDEM_TEST_ADMIN_KEY"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = notTandemOutput, Error = notTandemOutput }, Ct);
        Assert.Equal(1, code);
        Assert.StartsWith("tandem migrate: 404", notTandemOutput.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4, "canary 5%")]
    [InlineData(2, "shadow")]
    public async Task TextRoute_JudgeScoreAndCostGates_DecideTheAdvance(int judgeScore, string expectedStage)
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ADMIN_KEY", AdminKey);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        await using var judge = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            JudgeScript = [new ScriptedReply(Tandem.Quality.JudgePrompts.AnswerMarker, $"{{\"score\": {judgeScore}, \"reasons\": \"scripted\"}}")],
        }, cancellationToken: Ct);
        var config = $$"""
            auth:
              admin_key_env: TANDEM_TEST_ADMIN_KEY
              keys: [ { name: test, key: sk-test-key-123456 } ]
            providers:
              - { name: a, base_url: "{sim0}" }
              - { name: b, base_url: "{sim1}" }
              - { name: j, base_url: "{sim2}" }
            deployments:
              - { name: gpt-4o, provider: a, model: gpt-4o }
              - { name: llama-70b, provider: b, model: llama-70b, pricing: { input_per_mtok: 0.5, output_per_mtok: 1.5 } }
              - { name: judge, provider: j, model: judge }
            routes:
              - name: support
                deployment: gpt-4o
                migration:
                  to: llama-70b
                  auto: true
                  judge: judge
                  compare: { kind: text, min_similarity: 0.3 }
                  gates: { min_samples: 30, min_duration: 0s, min_agreement: 0.5, min_judge_score: 3.5, max_cost_per_request: 0.001 }
                  evaluate_every: 1h
            """;
        await using var gateway = await TestGateway.StartAsync(config, incumbent, candidate, judge);
        using var admin = Admin(gateway);
        for (var i = 0; i < 30; i++)
        {
            using var response = await gateway.Http.PostAsync("v1/chat/completions", Json($$"""{"model":"support","messages":[{"role":"user","content":"How do I reset my password, case {{i % 3}}?"}]}"""), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Coordinator(gateway).WaitForShadowsAsync(TimeSpan.FromSeconds(60));
        var status = await EvaluateAsync(admin, "support");
        Assert.Equal(expectedStage, status.GetProperty("stage").GetString());
        var evaluation = status.GetProperty("evaluations")[0].GetProperty("evidence");
        Assert.Equal(judgeScore, evaluation.GetProperty("judge_score").GetDouble());
        var cost = evaluation.GetProperty("candidate_cost_per_request").GetDouble();
        Assert.True(cost is > 0 and < 0.001, cost.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(30, judge.Stats.Completed);
    }
}
