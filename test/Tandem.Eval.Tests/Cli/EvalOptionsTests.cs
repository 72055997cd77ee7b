using System.CommandLine;
using System.Text;
using Tandem.Cli.Commands;
using Tandem.Eval.Reports;
using Tandem.Eval.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Eval.Tests.Cli;

/// <summary>
/// <c>tandem eval</c> on a small suite written here: ambiguous gate values are usage errors (issue 18, item 8);
/// <c>--limit</c> samples every label, and gateway keys are not needed (item 14).
/// </summary>
public sealed class EvalOptionsTests
{
    private static readonly string[] Labels = ["balance", "card_lost", "refund"];

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { EvalCommand.Create() };
        using var output = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, TestEnv.Ct);
        return (code, output.ToString());
    }

    /// <summary>Six cases per label, grouped by label as the public datasets are; the simulator knows every answer.</summary>
    private static async Task<(string Suite, Dictionary<string, string> Answers)> SuiteAsync(TempDir dir)
    {
        var lines = new StringBuilder("""{"type":"suite","name":"tiny","template":"{text}","labels":["balance","card_lost","refund"]}""").Append('\n');
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in Labels)
        {
            for (var i = 1; i <= 6; i++)
            {
                var text = $"question {i} about {label}";
                lines.Append($$"""{"id":"{{label}}-{{i}}","text":"{{text}}","label":"{{label}}"}""").Append('\n');
                answers[text] = label;
            }
        }

        var path = dir.File("tiny.jsonl");
        await File.WriteAllTextAsync(path, lines.ToString(), TestEnv.Ct);
        return (path, answers);
    }

    private static async Task<string> ConfigAsync(TempDir dir, SimulatorServer a, SimulatorServer b, string? auth = null)
    {
        var yaml = GatewayConfigs.PerUpstream(("incumbent", "gpt-4o-mini-2024-07-18", null), ("candidate", "llama-3.1-8b-instruct", null));
        if (auth is not null)
        {
            yaml = yaml.Replace("auth:\n  disabled: true\n", auth, StringComparison.Ordinal);
        }

        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(yaml, [a.V1, b.V1]), TestEnv.Ct);
        return path;
    }

    [Theory]
    [InlineData("--max-accuracy-drop", "2", "--max-accuracy-drop: '2' is ambiguous: write 2% (or 2pt) for 2 percentage points, or a fraction below 1 such as 0.02")]
    [InlineData("--max-p95", "800", "--max-p95: '800' needs a unit: 800ms or 800s")]
    public async Task Eval_AmbiguousGateValue_IsAUsageErrorBeforeAnyCall(string option, string value, string message)
    {
        using var dir = new TempDir();
        var (suite, answers) = await SuiteAsync(dir);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        var config = await ConfigAsync(dir, a, b);

        var (code, output) = await RunAsync("eval", "--suite", suite, "--deployments", "incumbent,candidate", "--baseline", "incumbent",
            "--config", config, "--out", dir.File("out"), "--no-progress", option, value);

        Assert.True(code == 2, output);
        Assert.Contains(message, output.ReplaceLineEndings(" "), StringComparison.Ordinal);
        Assert.Equal(0, a.Stats.Received + b.Stats.Received);
    }

    [Fact]
    public async Task Eval_GatewayKeysUnset_RunsAgainstTheDeploymentsAnyway()
    {
        // The gateway's own keys come from an environment variable a CI job does not have: eval never serves clients.
        using var dir = new TempDir();
        var (suite, answers) = await SuiteAsync(dir);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        var config = await ConfigAsync(dir, a, b, "auth:\n  admin_key_env: TANDEM_TEST_EVAL_ADMIN_NEVER_SET\n  keys:\n    - name: ci\n      key_env: TANDEM_TEST_EVAL_KEY_NEVER_SET\n");

        var (code, output) = await RunAsync("eval", "--suite", suite, "--deployments", "incumbent,candidate", "--baseline", "incumbent",
            "--config", config, "--out", dir.File("out"), "--no-progress", "--max-accuracy-drop", "2%");

        Assert.True(code == 0, output);
        Assert.Equal(18, a.Stats.Received);
        Assert.Equal(18, b.Stats.Received);
    }

    [Fact]
    public async Task Eval_Limit_SamplesEveryLabelNotTheFirstLines()
    {
        using var dir = new TempDir();
        var (suite, answers) = await SuiteAsync(dir);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: TestEnv.Ct);
        var config = await ConfigAsync(dir, a, b);
        var outDir = dir.File("out");

        // 6 of 18 cases over 3 labels of 6: two of each (the first 6 lines are all "balance").
        var (code, output) = await RunAsync("eval", "--suite", suite, "--deployments", "incumbent,candidate", "--config", config,
            "--out", outDir, "--no-progress", "--limit", "6", "--seed", "11");

        Assert.True(code == 0, output);
        var report = JsonReport.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), TestEnv.Ct))!;
        Assert.Equal(6, report.Cases);
        Assert.Equal([("balance", 2), ("card_lost", 2), ("refund", 2)], report.Deployments[0].Classification!.PerClass.Select(p => (p.Label, p.Support)));
        Assert.Equal(6, a.Stats.Received);
    }
}
