using System.CommandLine;
using System.Text.RegularExpressions;
using Tandem.Cli.Commands;
using Tandem.Routing.Learned;
using Xunit;

namespace Tandem.Eval.Tests.Cli;

public sealed class RouterEvalCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-router-eval-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { RouterCommand.Create() };
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Eval_HandSetModel_PrintsTheHandComputedApgrAndCpt_AndTheSvg()
    {
        // Weights all 1, bias 0: the score grows with the feature count, so longer prompts go to the strong model
        // first. Feature counts: "a b c d" 14, "a b c" 10, "a b" 6, "a" 2. With (weak, strong) outcomes
        // (F,T), (F,T), (T,T), (T,F) in that order the right answers for k = 0..4 prompts sent to strong are
        // 2, 3, 4, 4, 3: weak 0.5, strong 0.75, PGR 0, 1, 2, 2, 1, APGR = 0.125 + 0.375 + 0.5 + 0.375 = 1.375,
        // CPT(50 %) = CPT(80 %) = 25 %.
        var model = new LinearRouterModel(Enumerable.Repeat(1f, 1024).ToArray(), 0f);
        var modelPath = Path.Combine(_dir, "m.bin");
        await using (var file = File.Create(modelPath))
        {
            model.Save(file);
        }

        var data = Path.Combine(_dir, "outcomes.jsonl");
        await File.WriteAllLinesAsync(data,
        [
            """{"prompt":"a b","weak_good":true,"strong_good":true}""",
            """{"prompt":"a b c d","weak_good":false,"strong_good":true}""",
            """{"prompt":"a","weak_good":true,"strong_good":false}""",
            """{"prompt":"a b c","weak_good":false,"strong_good":true}""",
        ], Ct);
        var svg = Path.Combine(_dir, "curves.svg");

        var (code, output) = await RunAsync("router", "eval", "--data", data, "--model", modelPath, "--split", "all", "--svg", svg);

        Assert.True(code == 0, output);
        Assert.Contains("4 outcomes (all): weak model 50.0 %, strong model 75.0 %", output, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"^model {model.Version} +1\.375 +25\.0 % +25\.0 %$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^  30 %  min 0\.9\d+ \(25\.0 % strong, quality 75\.0 %\)$", RegexOptions.Multiline), output);
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", await File.ReadAllTextAsync(svg, Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_CalibrationTargets_PrintTheHandComputedMinsAndLevels()
    {
        // The model and outcomes of the test above. Scores: sigmoid(√14) = 0.976835 ("a b c d"), sigmoid(√10) =
        // 0.959390 ("a b c"), sigmoid(√6) = 0.920524 ("a b"), sigmoid(√2) = 0.804430 ("a").
        var modelPath = Path.Combine(_dir, "m.bin");
        await using (var file = File.Create(modelPath))
        {
            new LinearRouterModel(Enumerable.Repeat(1f, 1024).ToArray(), 0f).Save(file);
        }

        var data = Path.Combine(_dir, "outcomes.jsonl");
        await File.WriteAllLinesAsync(data,
        [
            """{"prompt":"a b","weak_good":true,"strong_good":true}""",
            """{"prompt":"a b c d","weak_good":false,"strong_good":true}""",
            """{"prompt":"a","weak_good":true,"strong_good":false}""",
            """{"prompt":"a b c","weak_good":false,"strong_good":true}""",
        ], Ct);

        var (code, output) = await RunAsync("router", "eval", "--data", data, "--model", modelPath, "--split", "all",
            "--target-strong-share", "0.6", "--target-quality", "0.95", "--tier-shares", "50,25,25");

        Assert.True(code == 0, output);
        // 60 %: two prompts (50 %), quality 4/4, PGR (1 − 0.5) / 0.25 = 2.
        Assert.Contains("  target strong share 60 %: min 0.95939 (50.0 % strong, quality 100.0 %, PGR 2.000)", output, StringComparison.Ordinal);
        // 95 % of 75 % = 71.25 %: reached with one prompt on the strong model (quality 75 %).
        Assert.Contains("  target quality 95 % of the strong model's (71.2 %): min 0.976835 (25.0 % strong, quality 75.0 %, PGR 1.000)", output, StringComparison.Ordinal);
        // Top 25 %: the first score; top 50 %: the first two.
        Assert.Contains("shares on this data 50.0 %, 25.0 %, 25.0 %", output, StringComparison.Ordinal);
        Assert.Contains("  levels: [ { min: 0, deployment: TIER0 }, { min: 0.95939, deployment: TIER1 }, { min: 0.976835, deployment: TIER2 } ]", output, StringComparison.Ordinal);

        var (bad, message) = await RunAsync("router", "eval", "--data", data, "--split", "all", "--tier-shares", "70,20");
        Assert.Equal(2, bad);
        Assert.Contains("--tier-shares '70,20' needs two or more percentages, cheapest tier first, that add up to 100", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_OutcomesWithoutTheStrongResult_ExitsTwo()
    {
        var data = Path.Combine(_dir, "outcomes.jsonl");
        await File.WriteAllLinesAsync(data, ["""{"prompt":"a","weak_good":true}""", """{"prompt":"b","weak_good":false}"""], Ct);

        var (code, output) = await RunAsync("router", "eval", "--data", data, "--split", "all");

        Assert.Equal(2, code);
        Assert.Contains("each with the strong model's result", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_TierLabels_WritesAModel_AndPrintsCalibratedLevels()
    {
        var data = Path.Combine(_dir, "labels.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 200).Select(i => i % 2 == 0
            ? $$"""{"text":"hello number {{i}}","tier":"simple"}"""
            : $$"""{"text":"prove theorem {{i}}","tier":"complex"}"""), Ct);
        var modelPath = Path.Combine(_dir, "tiers.bin");

        var (code, output) = await RunAsync("router", "train", "--data", data, "--out", modelPath, "--tiers", "simple, complex", "--bits", "12");

        Assert.True(code == 0, output);
        var model = LinearRouterModel.Load(modelPath);
        Assert.StartsWith($"model {model.Version} written to {modelPath} (12 hash bits, seed 42, 6 epochs, tiers simple, complex)", output, StringComparison.Ordinal);
        Assert.Contains(": tier accuracy 100.0 %", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^  levels: \[ \{ min: 0, deployment: simple \}, \{ min: 0\.5, deployment: complex \} \]$", RegexOptions.Multiline), output);

        var (unknown, message) = await RunAsync("router", "train", "--data", data, "--out", modelPath, "--tiers", "easy,hard");
        Assert.Equal(2, unknown);
        Assert.Contains($"{data}: line 1: tier 'simple' is not one of easy, hard", message, StringComparison.Ordinal);
    }
}
