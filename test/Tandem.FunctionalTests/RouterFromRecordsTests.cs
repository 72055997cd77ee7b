using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Migration;
using Tandem.Simulator;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Issue 12, 1c: a router trained from the records of a simulated migration beats the <c>features</c> scorer on
/// held-out traffic. The incumbent simulator answers every quiz question right; the candidate's answer key is right
/// only on the easy topics, so the shadow comparison agrees exactly on the easy prompts. The gateway records the
/// prompts (capture: full) and the shadow pairs; <c>tandem router train --from-records</c> learns from them; <c>tandem
/// router eval</c> scores held-out prompts the gateway never saw, with outcomes taken from the answer keys.
/// </summary>
public sealed class RouterFromRecordsTests
{
    // Each easy topic has a hard twin of the same length, so the features scorer (length, cue words) cannot tell them apart.
    private static readonly string[] EasyTopics = ["cooking", "gardening", "travel", "football", "painting", "music"];
    private static readonly string[] HardTopics = ["tax law", "chemistry", "optics", "genetics", "calculus", "logic"];
    private static readonly string[] Labels = ["A", "B", "C", "D"];

    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: cloud, base_url: "{sim0}" }
          - { name: onprem, base_url: "{sim1}" }
        deployments:
          - { name: strong, provider: cloud, model: gpt-4o }
          - { name: weak, provider: onprem, model: llama-3.1-8b }
        routes:
          - name: quiz
            deployment: strong
            capture: full
            migration: { to: weak, stage: shadow, compare: { kind: classification, label: normalized } }
          - name: quiz-dark
            deployment: strong
            migration: { to: weak, stage: shadow, compare: { kind: classification, label: normalized } }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Prompt i: topic i mod 12 (even: easy, odd: hard), its correct label i mod 4.</summary>
    private static (string Prompt, bool Easy, string Label) Question(int i)
    {
        var pair = i / 2 % EasyTopics.Length;
        var easy = i % 2 == 0;
        var topic = easy ? EasyTopics[pair] : HardTopics[pair];
        return ($"Question {i.ToString(CultureInfo.InvariantCulture)} on {topic}: which option, A, B, C or D, is right?", easy, Labels[i % 4]);
    }

    [Fact]
    public async Task RouterTrainedFromMigrationRecords_BeatsTheFeaturesScorer_OnHeldOutPrompts()
    {
        var training = Enumerable.Range(0, 240).Select(Question).ToList();
        var heldOut = Enumerable.Range(5000, 400).Select(Question).ToList();
        var all = training.Concat(heldOut).ToList();
        var truth = all.ToDictionary(q => q.Prompt, q => q.Label);
        // The candidate's key: the right label on easy topics, the next label on hard ones.
        var weakKey = all.ToDictionary(q => q.Prompt, q => q.Easy ? q.Label : Labels[(Array.IndexOf(Labels, q.Label) + 1) % 4]);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = truth, Accuracy = 1.0, Seed = 1, Label = "incumbent" }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = weakKey, Accuracy = 1.0, Seed = 2, Label = "candidate" }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, incumbent, candidate);

        foreach (var q in training)
        {
            await PostAsync(gateway, "quiz", q.Prompt);
        }

        for (var i = 0; i < 20; i++)
        {
            await PostAsync(gateway, "quiz-dark", training[i].Prompt);
        }

        await ((MigrationCoordinator)gateway.App.Services.GetService(typeof(MigrationCoordinator))!).WaitForShadowsAsync(TimeSpan.FromSeconds(60));
        await gateway.WaitForRecordsAsync(260, Ct);

        using var dir = new TempDir("tandem-router-records-");
        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "router", "train", "--from-records", "--route", "quiz", "--config", gateway.ConfigPath, "--out", dir.File("quiz.bin"), "--bits", "14");
        Assert.True(code == 0, stderr);
        // 120 easy prompts (candidate agreed) and 120 hard ones (it did not): the answer keys say so.
        Assert.Contains("240 shadow pairs of route quiz: 120 weak good enough (agreed, or judged >= 4), 120 not; left out: 0 without prompt text, 0 failed, 0 without a verdict", stdout, StringComparison.Ordinal);

        var data = dir.File("held-out.jsonl");
        await File.WriteAllLinesAsync(data, heldOut.Select(q => JsonSerializer.Serialize(new RecordsOutcome(q.Prompt, q.Easy, true), RecordsTestJson.Default.RecordsOutcome)), Ct);
        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "router", "eval", "--data", data, "--model", dir.File("quiz.bin"), "--split", "all");
        Assert.True(code == 0, stderr);
        Assert.Contains("400 outcomes (all): weak model 50.0 %, strong model 100.0 %", stdout, StringComparison.Ordinal);

        // A perfect router sends the 200 hard prompts first: PGR climbs 0 → 1 over strong shares 0–50 %, then stays
        // at 1, so APGR = 0.25 + 0.5 = 0.75 and CPT(50 %) = 25 %. The features scorer scores each easy prompt exactly
        // like its hard twin (same length, no cues), so its hard and easy prompts move together: APGR 0.5.
        var (modelApgr, modelCpt50) = Row(stdout, "model ");
        var (featuresApgr, _) = Row(stdout, "features");
        Assert.InRange(modelApgr, 0.72, 0.75);
        Assert.InRange(modelCpt50, 0.25, 0.28);
        Assert.Equal(0.5, featuresApgr, 3);

        // Without captured prompts there is nothing to learn from, and the error says why.
        (code, _, stderr) = await TandemProcess.RunAsync(null, "router", "train", "--from-records", "--route", "quiz-dark", "--config", gateway.ConfigPath, "--out", dir.File("dark.bin"));
        Assert.Equal(2, code);
        Assert.Contains("20 shadow pairs of route quiz-dark: 0 weak good enough (agreed, or judged >= 4), 0 not; left out: 20 without prompt text, 0 failed, 0 without a verdict", stderr, StringComparison.Ordinal);
        Assert.Contains("set capture: full (or redacted) on route 'quiz-dark'", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("dark.bin")));
    }

    private static (double Apgr, double Cpt50) Row(string stdout, string prefix)
    {
        var line = stdout.Split('\n').First(l => l.StartsWith(prefix, StringComparison.Ordinal));
        var m = Regex.Match(line, @"\s(\d\.\d{3})\s+(\d+\.\d) %");
        Assert.True(m.Success, line);
        return (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) / 100);
    }

    private static async Task PostAsync(TestGateway gateway, string route, string prompt)
    {
        using var body = new StringContent(JsonSerializer.Serialize(new RouterChatRequest(route, [new RouterChatMessage("user", prompt)]), RouterTestJson.Default.RouterChatRequest), Encoding.UTF8, "application/json");
        using var response = await gateway.Http.PostAsync("v1/chat/completions", body, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

internal sealed record RecordsOutcome(string Prompt, bool WeakGood, bool StrongGood);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(RecordsOutcome))]
internal sealed partial class RecordsTestJson : System.Text.Json.Serialization.JsonSerializerContext;
