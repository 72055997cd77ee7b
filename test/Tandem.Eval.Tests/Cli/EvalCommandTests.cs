using System.CommandLine;
using Tandem.Cli.Commands;
using Tandem.Eval.Reports;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Eval.Tests.Cli;

/// <summary>
/// <c>tandem eval import</c> → <c>tandem eval</c> → reports, end to end through the command line, against simulators
/// reached through the gateway configuration's providers.
/// </summary>
public sealed class EvalCommandTests
{
    internal static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { EvalCommand.Create() };
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
        return (code, output.ToString());
    }

    private static async Task<(string Suite, Dictionary<string, string> Answers)> ImportAsync(TempDir dir, string dataset, int limit)
    {
        var suite = dir.File(dataset + ".jsonl");
        var answers = dir.File(dataset + "-answers.jsonl");
        var (code, output) = await RunAsync("eval", "import", dataset, "--split", "test", "--limit", limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--out", suite, "--data", TestData.Datasets, "--answers-out", answers);
        Assert.True(code == 0, output);
        return (suite, SimulatorOptions.LoadAnswers(answers));
    }

    private static async Task<string> ConfigAsync(TempDir dir, SimulatorServer a, SimulatorServer b)
    {
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(GatewayConfigs.PerUpstream(
            ("incumbent", "gpt-4o-mini-2024-07-18", "{ input_per_mtok: 0.15, output_per_mtok: 0.6 }"),
            ("candidate", "llama-3.1-8b-instruct", "{ input_per_mtok: 0.02, output_per_mtok: 0.02 }")), [a.V1, b.V1]), Ct);
        return path;
    }

    [Theory]
    [InlineData("clinc150", 300)]
    [InlineData("banking77", 200)]
    public async Task Eval_ImportedSuite_EndToEnd_VerdictSetsExitCodeBothWays(string dataset, int n)
    {
        using var dir = new TempDir();
        var (suite, answers) = await ImportAsync(dir, dataset, n);
        await using var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.95, Seed = 21 }, cancellationToken: Ct);
        await using var candidate = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.80, Seed = 22 }, cancellationToken: Ct);
        var config = await ConfigAsync(dir, incumbent, candidate);
        var outDir = dir.File("out");
        string[] common = ["eval", "--suite", suite, "--deployments", "incumbent,candidate", "--baseline", "incumbent", "--config", config, "--out", outDir, "--concurrency", "6", "--no-progress"];

        var (pass, passOutput) = await RunAsync([.. common, "--max-accuracy-drop", "25%", "--max-cost", "1"]);
        Assert.True(pass == 0, passOutput);
        Assert.Contains("verdict: PASS", passOutput, StringComparison.Ordinal);

        // Same results (resumed, no new calls), stricter gate: the 15-point drop fails it.
        var received = candidate.Stats.Received;
        var (fail, failOutput) = await RunAsync([.. common, "--max-accuracy-drop", "0.05"]);
        Assert.True(fail == 1, failOutput);
        Assert.Contains("verdict: FAIL", failOutput, StringComparison.Ordinal);
        Assert.Equal(received, candidate.Stats.Received);

        var report = JsonReport.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), Ct))!;
        Assert.Equal(n, report.Cases);
        var inc = report.Deployments[0].Classification!;
        var cand = report.Deployments[1].Classification!;
        Assert.InRange(0.95, inc.AccuracyLow, inc.AccuracyHigh);
        Assert.InRange(0.80, cand.AccuracyLow, cand.AccuracyHigh);
        Assert.False(report.Verdict.Passed);

        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"), Ct);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("Confusion heat map", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eval_LatencyGate_FailsWhenP95Exceeded()
    {
        using var dir = new TempDir();
        var (suite, answers) = await ImportAsync(dir, "clinc150", 20);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Latency = Distribution.Parse("300ms") }, cancellationToken: Ct);
        var config = await ConfigAsync(dir, a, b);

        var (code, output) = await RunAsync("eval", "--suite", suite, "--deployments", "incumbent,candidate", "--baseline", "incumbent",
            "--config", config, "--out", dir.File("out"), "--concurrency", "20", "--no-progress", "--max-p95", "250ms");

        Assert.True(code == 1, output);
        Assert.Contains("p95 latency", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--deployments", "incumbent,nosuch")]
    [InlineData("--concurrency", "many")]
    [InlineData("--max-accuracy-drop", "a lot")]
    [InlineData("--max-p95", "soon")]
    [InlineData("--bogus", "1")]
    [InlineData("--judge", "nosuch")]
    public async Task Eval_UsageErrors_ExitTwo(string option, string value)
    {
        using var dir = new TempDir();
        var (suite, answers) = await ImportAsync(dir, "clinc150", 5);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        var config = await ConfigAsync(dir, a, b);
        var args = new List<string> { "eval", "--suite", suite, "--config", config, "--out", dir.File("out"), "--no-progress", "--baseline", "incumbent" };
        if (option != "--deployments")
        {
            args.AddRange(["--deployments", "incumbent,candidate"]);
        }

        args.AddRange([option, value]);
        var (code, output) = await RunAsync([.. args]);

        Assert.True(code == 2, output);
        Assert.Equal(0, a.Stats.Received);
    }

    [Fact]
    public async Task Eval_InvalidConfigOrMissingSuite_ExitTwo()
    {
        using var dir = new TempDir();
        var bad = dir.File("bad.yaml");
        await File.WriteAllTextAsync(bad, "providers: [{ name: x, base_url: not-a-url }]\n", Ct);
        var (suite, _) = await ImportAsync(dir, "clinc150", 5);

        // A valid configuration for the suite cases, so that only the suite can be what fails.
        var good = dir.File("good.yaml");
        await File.WriteAllTextAsync(good, GatewayConfigs.Expand(GatewayConfigs.PerUpstream(("a", "m", null)), [new Uri("http://127.0.0.1:9/v1")]), Ct);

        var (code1, out1) = await RunAsync("eval", "--suite", suite, "--deployments", "a", "--config", bad, "--no-progress");
        var (code2, out2) = await RunAsync("eval", "--suite", dir.File("missing.jsonl"), "--deployments", "a", "--config", good, "--no-progress");
        var (code3, out3) = await RunAsync("eval", "--deployments", "a", "--no-progress");

        Assert.True(code1 == 2, out1);
        Assert.Contains("base_url", out1, StringComparison.Ordinal);
        Assert.True(code2 == 2, out2);
        Assert.Contains(dir.File("missing.jsonl") + ": cannot read", Flat(out2), StringComparison.Ordinal);
        Assert.True(code3 == 2, out3);
        Assert.Contains("--suite", out3, StringComparison.Ordinal);
    }

    /// <summary>The output on one line (a long message may wrap).</summary>
    private static string Flat(string output) => string.Join(' ', output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    [Theory]
    [InlineData("dir", ": cannot read")] // a directory, not a file
    [InlineData("bad.jsonl", "bad.jsonl:2: not valid JSON")]
    [InlineData("array.jsonl", "array.jsonl:1: expected a JSON object")]
    [InlineData("empty.jsonl", "empty.jsonl: no cases")]
    [InlineData("nocols.csv", "nocols.csv: the header needs a 'text' (or 'input', 'prompt') column")]
    public async Task Eval_UnreadableSuite_ExitTwo_NamingTheFile(string name, string message)
    {
        using var dir = new TempDir();
        var config = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(config, GatewayConfigs.Expand(GatewayConfigs.PerUpstream(("a", "m", null)), [new Uri("http://127.0.0.1:9/v1")]), Ct);
        var path = dir.File(name);
        switch (name)
        {
            case "dir":
                Directory.CreateDirectory(path);
                break;
            case "bad.jsonl":
                await File.WriteAllTextAsync(path, "{\"id\":\"1\",\"text\":\"hi\",\"label\":\"a\"}\n{\"id\": 2,\n", Ct);
                break;
            case "array.jsonl":
                await File.WriteAllTextAsync(path, "[1, 2]\n", Ct);
                break;
            case "empty.jsonl":
                await File.WriteAllTextAsync(path, "\n\n", Ct);
                break;
            default:
                await File.WriteAllTextAsync(path, "id,label\n1,a\n", Ct);
                break;
        }

        var (code, output) = await RunAsync("eval", "--suite", path, "--deployments", "a", "--config", config, "--out", dir.File("out"), "--no-progress");

        Assert.True(code == 2, output);
        Assert.Contains((name == "dir" ? path : dir.Path + "/") + message, Flat(output), StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("out")));
    }
}
