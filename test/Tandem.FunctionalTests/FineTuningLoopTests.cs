using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Cli.Commands;
using Tandem.Eval.Reports;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The continuous-improvement loop end to end, as the README walks it: traffic through a route, feedback with
/// corrections, <c>tandem feedback export</c> (files checked against OpenAI's formats), an adapter "trained" on the
/// export and registered with <c>tandem adapters register</c> on a simulated vLLM, <c>tandem eval</c> of base versus
/// adapter on the exported held-out suite, shadow, automatic promotion to full, rollback and unregistration.
/// </summary>
public sealed class FineTuningLoopTests
{
    private const string AdminKey = "admin-key-loop-123";
    private const string BaseModel = "llama-3.1-8b-instruct";
    private static readonly HashSet<string> Roles = ["system", "user", "assistant"];

    private static string Config(string migration) => $$"""
        auth:
          admin_key_env: TANDEM_TEST_LOOP_ADMIN_KEY
          keys: [ { name: app, key: sk-test-key-123456 } ]
        providers:
          - { name: vllm, base_url: "{sim0}" }
        deployments:
          - { name: llama-8b, provider: vllm, model: {{BaseModel}} }
        routes:
          - name: intent
            deployment: llama-8b
            capture: full
        {{migration}}
        """;

    private const string Migration = """
            migration:
              to: llama-8b+intent-v1
              auto: true
              canary_steps: [50]
              compare: { kind: classification }
              gates: { min_samples: 20, min_duration: 0s, min_agreement: null, max_error_rate: 0.05 }
              evaluate_every: 1h
        """;

    private static async Task<(int Code, string Out)> CliAsync(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
        return (code, output.ToString());
    }

    private static async Task<(string Id, string Answer, string Deployment)> AskAsync(TestGateway gateway, string text)
    {
        var body = new JsonObject { ["model"] = "intent", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body.ToJsonString()), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var answer = doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (response.Headers.GetValues("x-request-id").Single(), answer, response.Headers.GetValues("x-tandem-deployment").Single());
    }

    /// <summary>What a simulated model answers to <paramref name="text"/>, asked directly: the ground truth of an eval's accuracy.</summary>
    private static async Task<string> DirectAsync(HttpClient http, SimulatorServer sim, string model, string text)
    {
        var body = new JsonObject { ["model"] = model, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
        using var response = await http.PostAsync(new Uri(sim.V1, "v1/chat/completions"), Json(body.ToJsonString()), Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    private static async Task<JsonElement> AdminAsync(HttpClient admin, HttpMethod method, string path)
    {
        using var response = await admin.SendAsync(new HttpRequestMessage(method, path), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Loop_FeedbackExportAdapterEvalShadowPromoteRollback()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_LOOP_ADMIN_KEY", AdminKey);
        var rows = Clinc150.Sample(320);
        var truth = Clinc150.Answers(rows);
        await using var vllm = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Models = [BaseModel], Answers = truth, Accuracy = 0.6, Seed = 11, RuntimeLoraUpdating = true, Label = "vllm (simulated)",
        }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config(""), vllm);
        using var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var direct = new HttpClient();

        // 1. Traffic, and the users' feedback: a thumbs-down with the right intent when the answer was wrong, a thumbs-up when it was right.
        var corrected = 0;
        foreach (var (text, intent) in truth)
        {
            var (id, answer, _) = await AskAsync(gateway, text);
            var feedback = answer == intent
                ? new JsonObject { ["request_id"] = id, ["rating"] = "up" }
                : new JsonObject { ["request_id"] = id, ["rating"] = "down", ["correction"] = intent, ["comment"] = "wrong intent" };
            corrected += answer == intent ? 0 : 1;
            using var response = await gateway.Http.PostAsync("v1/feedback", Json(feedback.ToJsonString()), Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        // About 40 % of the answers are wrong at accuracy 0.6 (over ~320 inputs, one standard deviation is 0.027).
        Assert.InRange(corrected / (double)truth.Count, 0.3, 0.5);

        // 2. Export: supervised and preference files, checked line by line against OpenAI's formats.
        using var dir = new TempDir("tandem-loop-");
        var sft = dir.File("sft");
        var (exportCode, exportOut) = await CliAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--format", "sft", "--split", "0.8",
            "--out", sft, "--config", gateway.ConfigPath);
        Assert.True(exportCode == 0, exportOut);
        var train = ReadSft(Path.Combine(sft, "train.jsonl"));
        var validation = ReadSft(Path.Combine(sft, "validation.jsonl"));
        using var card = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(sft, "dataset-card.json"), Ct));
        var counts = card.RootElement.GetProperty("counts");
        var leftOut = card.RootElement.GetProperty("left_out");
        Assert.Equal(truth.Count, train.Count + validation.Count + leftOut.GetProperty("exact_duplicates").GetInt32() + leftOut.GetProperty("near_duplicates").GetInt32());
        Assert.Equal((train.Count, validation.Count), (counts.GetProperty("train").GetInt32(), counts.GetProperty("validation").GetInt32()));
        // The split is by conversation: no validation prompt is in the training file.
        Assert.Empty(train.Select(t => t.Prompt).Intersect(validation.Select(v => v.Prompt)));
        Assert.InRange(validation.Count / (double)(train.Count + validation.Count), 0.12, 0.28);
        // Every answer to learn is the true intent: a correction, or a served answer rated up because it was right.
        Assert.All(train.Concat(validation), e => Assert.Equal(truth[e.Prompt], e.Answer));
        var bySource = card.RootElement.GetProperty("by_source");
        var dropped = leftOut.GetProperty("exact_duplicates").GetInt32() + leftOut.GetProperty("near_duplicates").GetInt32();
        Assert.Equal(train.Count + validation.Count, bySource.GetProperty("correction").GetInt32() + bySource.GetProperty("rating").GetInt32());
        Assert.InRange(bySource.GetProperty("correction").GetInt32(), corrected - dropped, corrected);

        var dpo = dir.File("dpo");
        Assert.Equal(0, (await CliAsync(FeedbackCommand.Create(), "feedback", "export", "--route", "intent", "--format", "dpo", "--out", dpo, "--config", gateway.ConfigPath)).Code);
        var pairs = File.ReadAllLines(Path.Combine(dpo, "train.jsonl")).Concat(File.ReadAllLines(Path.Combine(dpo, "validation.jsonl"))).ToList();
        Assert.InRange(pairs.Count, corrected - leftOut.GetProperty("exact_duplicates").GetInt32() - leftOut.GetProperty("near_duplicates").GetInt32(), corrected);
        foreach (var line in pairs)
        {
            using var pair = JsonDocument.Parse(line);
            var input = pair.RootElement.GetProperty("input").GetProperty("messages");
            Assert.All(input.EnumerateArray(), m => Assert.Contains(m.GetProperty("role").GetString()!, Roles));
            var prompt = input[input.GetArrayLength() - 1].GetProperty("content").GetString()!;
            var preferred = Assert.Single(pair.RootElement.GetProperty("preferred_output").EnumerateArray());
            var rejected = Assert.Single(pair.RootElement.GetProperty("non_preferred_output").EnumerateArray());
            Assert.Equal(("assistant", "assistant"), (preferred.GetProperty("role").GetString(), rejected.GetProperty("role").GetString()));
            Assert.Equal(truth[prompt], preferred.GetProperty("content").GetString());
            Assert.NotEqual(truth[prompt], rejected.GetProperty("content").GetString());
        }

        // 3. The team's training step, simulated: an adapter directory as PEFT writes it, and how the simulator serves it
        //    (it answers the task's intents right 95 % of the time: a fine-tune that generalised).
        var adapterDir = dir.File("intent-v1");
        Directory.CreateDirectory(adapterDir);
        await File.WriteAllTextAsync(Path.Combine(adapterDir, "adapter_config.json"),
            $$"""{"peft_type":"LORA","base_model_name_or_path":"meta-llama/Llama-3.1-8B-Instruct","r":16,"lora_alpha":32,"target_modules":["q_proj","v_proj"]}""", Ct);
        await File.WriteAllLinesAsync(Path.Combine(adapterDir, "answers.jsonl"), truth.Select(kv => new JsonObject { ["input"] = kv.Key, ["answer"] = kv.Value }.ToJsonString()), Ct);
        await File.WriteAllTextAsync(Path.Combine(adapterDir, "simulator.json"), """{"accuracy":0.95,"answers":"answers.jsonl","seed":11}""", Ct);

        // 4. Register it: loaded on the provider, confirmed in /v1/models, a deployment of the gateway.
        Environment.SetEnvironmentVariable("TANDEM_TEST_LOOP_ADMIN_KEY", AdminKey);
        var datasetId = card.RootElement.GetProperty("id").GetString()!;
        var (registerCode, registerOut) = await CliAsync(AdaptersCommand.Create(), "adapters", "register", "intent-v1", "--base", "llama-8b", "--path", adapterDir,
            "--dataset", datasetId, "--gateway", gateway.App.BaseAddress.ToString(), "--admin-key-env", "TANDEM_TEST_LOOP_ADMIN_KEY");
        Assert.True(registerCode == 0, registerOut);
        Assert.Equal(["intent-v1"], vllm.LoadedAdapters);
        Assert.True(gateway.App.State.Current.Deployments.ContainsKey("llama-8b+intent-v1"));

        // 5. Eval on the held-out suite: the adapter is measurably better than its base.
        var evalOut = dir.File("eval");
        var (evalCode, evalText) = await CliAsync(EvalCommand.Create(), "eval", "--suite", Path.Combine(sft, "eval-suite.jsonl"), "--deployments", "llama-8b,llama-8b+intent-v1",
            "--baseline", "llama-8b", "--config", gateway.ConfigPath, "--out", evalOut, "--no-progress");
        Assert.True(evalCode == 0, evalText);
        var report = JsonReport.Parse(await File.ReadAllTextAsync(Path.Combine(evalOut, "report.json"), Ct))!;
        var baseAccuracy = report.Deployments.Single(d => d.Name == "llama-8b").Classification!.Accuracy;
        var adapterAccuracy = report.Deployments.Single(d => d.Name == "llama-8b+intent-v1").Classification!.Accuracy;
        // The accuracies Tandem measured are those of the simulators' own answers to the suite, asked directly.
        double expectedBase = 0, expectedAdapter = 0;
        foreach (var v in validation)
        {
            expectedBase += await DirectAsync(direct, vllm, BaseModel, v.Prompt) == v.Answer ? 1 : 0;
            expectedAdapter += await DirectAsync(direct, vllm, "intent-v1", v.Prompt) == v.Answer ? 1 : 0;
        }

        Assert.Equal(expectedBase / validation.Count, baseAccuracy, 9);
        Assert.Equal(expectedAdapter / validation.Count, adapterAccuracy, 9);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"feedback on {truth.Count} requests ({corrected} corrected); dataset {train.Count} train, {validation.Count} held out; accuracy on the held-out suite: base {baseAccuracy:0.000}, adapter {adapterAccuracy:0.000}");
        var comparison = Assert.Single(report.Comparisons);
        Assert.True(comparison.AccuracyDifferenceLow > 0.1, $"base {baseAccuracy}, adapter {adapterAccuracy}, difference CI low {comparison.AccuracyDifferenceLow}");

        // 6. Shadow → automatic promotion to full, the migration declared against the adapter's deployment.
        var reload = await gateway.RewriteConfigAsync(Config(Migration));
        Assert.True(reload.Succeeded, string.Join("; ", reload.Errors));
        // The first evaluation picks the declared migration up: it starts in shadow.
        var started = await AdminAsync(admin, HttpMethod.Post, "admin/migrations/intent/evaluate");
        Assert.Equal("shadow", started.GetProperty("migrations")[0].GetProperty("stage").GetString());
        var stages = new List<string>();
        var texts = truth.Keys.ToList();
        for (var round = 0; round < 4 && (stages.Count == 0 || stages[^1] != "full"); round++)
        {
            for (var i = 0; i < 25; i++)
            {
                await AskAsync(gateway, texts[(round * 25) + i]);
            }

            await gateway.App.Services.GetRequiredService<Tandem.Migration.MigrationCoordinator>().WaitForShadowsAsync(TimeSpan.FromSeconds(60));
            var status = await AdminAsync(admin, HttpMethod.Post, "admin/migrations/intent/evaluate");
            stages.Add(status.GetProperty("migrations")[0].GetProperty("stage").GetString()!);
        }

        Assert.Equal(["canary 50%", "cutover", "full"], stages);
        Assert.Equal("llama-8b+intent-v1", (await AskAsync(gateway, texts[0])).Deployment);
        var listed = await AdminAsync(admin, HttpMethod.Get, "admin/adapters");
        var entry = Assert.Single(listed.GetProperty("adapters").EnumerateArray());
        Assert.Equal((datasetId, "intent"), (entry.GetProperty("dataset").GetString(), entry.GetProperty("routes")[0].GetString()));

        // 7. Rollback: the base serves again. The adapter stays registered while the configuration names it.
        await AdminAsync(admin, HttpMethod.Post, "admin/migrations/intent/rollback");
        Assert.Equal("llama-8b", (await AskAsync(gateway, texts[1])).Deployment);
        var (refusedCode, refusedOut) = await CliAsync(AdaptersCommand.Create(), "adapters", "unregister", "intent-v1", "--gateway", gateway.App.BaseAddress.ToString(),
            "--admin-key-env", "TANDEM_TEST_LOOP_ADMIN_KEY");
        Assert.True(refusedCode == 1, refusedOut);
        Assert.Contains("names this adapter's deployment", refusedOut, StringComparison.Ordinal);
        Assert.True((await gateway.RewriteConfigAsync(Config(""))).Succeeded);
        var (retireCode, retireOut) = await CliAsync(AdaptersCommand.Create(), "adapters", "unregister", "intent-v1", "--gateway", gateway.App.BaseAddress.ToString(),
            "--admin-key-env", "TANDEM_TEST_LOOP_ADMIN_KEY");
        Assert.True(retireCode == 0, retireOut);
        Assert.Empty(vllm.LoadedAdapters);
        Assert.False(gateway.App.State.Current.Deployments.ContainsKey("llama-8b+intent-v1"));
    }

    /// <summary>Reads a supervised file, checking each line: valid JSON, known roles, the answer last; returns (last user text, answer).</summary>
    private static List<(string Prompt, string Answer)> ReadSft(string path)
    {
        var list = new List<(string, string)>();
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var messages = doc.RootElement.GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal("messages", Assert.Single(doc.RootElement.EnumerateObject()).Name);
            Assert.All(messages, m => Assert.Contains(m.GetProperty("role").GetString()!, Roles));
            Assert.Equal("assistant", messages[^1].GetProperty("role").GetString());
            Assert.Equal("user", messages[^2].GetProperty("role").GetString());
            list.Add((messages[^2].GetProperty("content").GetString()!, messages[^1].GetProperty("content").GetString()!));
        }

        return list;
    }
}
