using Tandem.Eval.Import;
using Tandem.Eval.Metrics;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Eval.Tests.Infrastructure;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Eval.Tests.Running;

/// <summary>The runner against real simulators over HTTP, through the gateway's provider runtime.</summary>
public sealed class EvalRunnerTests
{
    internal static (EvalSuite Suite, Dictionary<string, string> Answers) Clinc(TempDir dir, int n, int seed = 42)
    {
        var imported = DatasetImporter.Clinc150(TestData.Datasets, "test", n, seed);
        var path = dir.File("clinc.jsonl");
        DatasetImporter.WriteSuite(imported, path);
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in imported.Rows)
        {
            answers[r.Text.Trim()] = r.Label;
        }

        return (SuiteLoader.Load(path), answers);
    }

    private static EvalRunOptions Options(TempDir dir, params string[] deployments) => new()
    {
        Deployments = deployments,
        Baseline = deployments[0],
        OutputDirectory = dir.File("out"),
        Concurrency = 8,
        RetryDelay = TimeSpan.Zero,
    };

    [Fact]
    public async Task RunAsync_Clinc150KnownAccuracies_MeasuredWithinIntervals()
    {
        using var dir = new TempDir();
        var (suite, answers) = Clinc(dir, 400);
        await using var strong = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.95, Seed = 11 }, cancellationToken: Ct);
        await using var weak = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.80, Seed = 12 }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("strong", "gpt-4o", "{ input_per_mtok: 2.5, output_per_mtok: 10 }"), ("weak", "llama-3.1-8b", null)), strong, weak);

        var run = await new EvalRunner(snapshot, Options(dir, "strong", "weak")).RunAsync(suite, cancellationToken: Ct);
        var report = ReportBuilder.Build(run, ["strong", "weak"], "strong", null, snapshot.Deployments.ToDictionary(d => d.Key, d => d.Value.Config), new VerdictThresholds(), 42);

        Assert.Equal(800, run.Ran);
        var s = report.Deployments[0].Classification!;
        var w = report.Deployments[1].Classification!;
        Assert.InRange(0.95, s.AccuracyLow, s.AccuracyHigh);
        Assert.InRange(0.80, w.AccuracyLow, w.AccuracyHigh);
        Assert.Equal(0, s.InvalidRate);      // a simulated wrong answer is another valid label
        Assert.True(w.TopConfusions.Count > 0);
        var cmp = Assert.Single(report.Comparisons);
        Assert.InRange(-0.15, cmp.AccuracyDifferenceLow!.Value, cmp.AccuracyDifferenceHigh!.Value);
        Assert.True(cmp.McNemarP < 0.001);
        Assert.NotNull(report.Deployments[0].Cost);
        Assert.Null(report.Deployments[1].Cost);
        Assert.True(report.Deployments[1].Tokens.Prompt > 0);
        Assert.Equal(400, strong.Stats.Completed);
    }

    [Fact]
    public async Task RunAsync_SecondRun_ResumesWithoutCallingAgain()
    {
        using var dir = new TempDir();
        var (suite, answers) = Clinc(dir, 60);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Accuracy = 0.9, Seed = 1 }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("a", "m", null)), sim);
        var options = Options(dir, "a") with { Limit = 40 };

        var first = await new EvalRunner(snapshot, options).RunAsync(suite, cancellationToken: Ct);
        Assert.Equal(40, first.Ran);
        Assert.Equal(40, sim.Stats.Received);

        // A torn last line (a run killed mid-write) and a failed result are run again; the rest is kept.
        var results = ResultStore.ResultsPath(options.OutputDirectory);
        var lines = File.ReadAllLines(results);
        Assert.DoesNotContain("\"key\"", lines[0], StringComparison.Ordinal);
        var failed = lines[3].Replace("\"ok\":true", "\"ok\":false", StringComparison.Ordinal);
        File.AppendAllText(results, failed + "\n" + lines[5][..(lines[5].Length / 2)]);

        var second = await new EvalRunner(snapshot, options with { Limit = 50 }).RunAsync(suite, cancellationToken: Ct);

        Assert.Equal(39, second.Resumed);
        Assert.Equal(11, second.Ran);           // 10 new cases + the one marked failed
        Assert.Equal(51, sim.Stats.Received);
        Assert.Equal(50, second.Records.Count);
        Assert.All(second.Records, r => Assert.True(r.Ok));
    }

    [Fact]
    public async Task RunAsync_ChangedSuiteInSameOutput_RefusedUnlessFresh()
    {
        using var dir = new TempDir();
        var (suite, answers) = Clinc(dir, 10);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("a", "m", null)), sim);
        await new EvalRunner(snapshot, Options(dir, "a")).RunAsync(suite, cancellationToken: Ct);

        var changed = suite with { Fingerprint = "other" };
        await Assert.ThrowsAsync<EvalUsageException>(() => new EvalRunner(snapshot, Options(dir, "a")).RunAsync(changed, cancellationToken: Ct));
        var fresh = await new EvalRunner(snapshot, Options(dir, "a") with { Fresh = true }).RunAsync(changed, cancellationToken: Ct);
        Assert.Equal(10, fresh.Ran);
    }

    [Fact]
    public async Task RunAsync_RateLimitedUpstream_RetriesUntilEveryCaseCompletes()
    {
        using var dir = new TempDir();
        var (suite, answers) = Clinc(dir, 80);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = answers,
            Seed = 5,
            Faults = [new Fault(FaultKind.Status429, 0.3), new Fault(FaultKind.Status503, 0.1)],
            RetryAfterSeconds = 0,
        }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("a", "m", null)), sim);

        var run = await new EvalRunner(snapshot, Options(dir, "a") with { MaxRetries = 10 }).RunAsync(suite, cancellationToken: Ct);

        Assert.All(run.Records, r => Assert.True(r.Ok, r.Error));
        Assert.True(sim.Stats.Faults > 0);
        Assert.Equal(80 + sim.Stats.Faults, run.Records.Sum(r => r.Attempts));
        Assert.All(run.Records, r => Assert.True(r.Correct));
    }

    [Fact]
    public async Task RunAsync_NoRetries_FailuresRecordedAsNotOk()
    {
        using var dir = new TempDir();
        var (suite, answers) = Clinc(dir, 5);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = answers, Faults = [new Fault(FaultKind.Status500, 1)] }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("a", "m", null)), sim);

        var run = await new EvalRunner(snapshot, Options(dir, "a") with { MaxRetries = 0 }).RunAsync(suite, cancellationToken: Ct);

        Assert.All(run.Records, r =>
        {
            Assert.False(r.Ok);
            Assert.Contains("HTTP 500", r.Error, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData(3.0, 60.0, 3.0)]
    [InlineData(120.0, 60.0, 60.0)]
    [InlineData(null, 60.0, null)]
    public void RetryDelayFor_HonoursRetryAfterUpToCap(double? retryAfterSeconds, double capSeconds, double? expectedSeconds)
    {
        var reply = new UpstreamReply { Status = 429, RetryAfter = retryAfterSeconds is null ? null : TimeSpan.FromSeconds(retryAfterSeconds.Value) };
        var delay = EvalRunner.RetryDelayFor(reply, TimeSpan.FromSeconds(capSeconds));
        Assert.Equal(expectedSeconds is null ? null : TimeSpan.FromSeconds(expectedSeconds.Value), delay);
    }

    [Fact]
    public async Task RunAsync_GenerationSuite_JudgeScoresCountsUnparseableAndComparesPairwise()
    {
        using var dir = new TempDir();
        var path = dir.File("gen.jsonl");
        File.WriteAllText(path, """
            {"type":"suite","name":"capitals","rubric":"The capital must be exact."}
            {"id":"fr","text":"Capital of France?","reference":"Paris"}
            {"id":"it","text":"Capital of Italy?","reference":"Rome"}
            {"id":"es","text":"Capital of Spain?","reference":"Madrid"}

            """);
        var suite = SuiteLoader.Load(path);
        await using var good = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = new Dictionary<string, string> { ["Capital of France?"] = "Paris", ["Capital of Italy?"] = "Rome", ["Capital of Spain?"] = "Madrid" },
        }, cancellationToken: Ct);
        await using var bad = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Answers = new Dictionary<string, string> { ["Capital of France?"] = "Lyon", ["Capital of Italy?"] = "Rome", ["Capital of Spain?"] = "Seville" },
        }, cancellationToken: Ct);
        string Score(int s) => $"{{\"score\": {s}, \"reasons\": \"scripted\"}}";
        await using var judge = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            JudgeScript =
            [
                new("[Answer to grade]\nSeville", "I am not sure about this one."),   // malformed: counted, never guessed
                new("[Answer to grade]\nLyon", Score(1)),
                new("[Answer to grade]\n", Score(5)),
                new("[Answer A]\nLyon", "{\"winner\": \"B\"}"),
                new("[Answer B]\nLyon", "{\"winner\": \"A\"}"),
                new("[Answer A]\nSeville", "{\"winner\": \"B\"}"),
                new("[Answer B]\nSeville", "{\"winner\": \"A\"}"),
                new("[Answer A]\n", "{\"winner\": \"tie\"}"),
            ],
        }, cancellationToken: Ct);
        var snapshot = TestEnv.Snapshot(GatewayConfigs.PerUpstream(("good", "g", null), ("bad", "b", null), ("judge", "j", null)), good, bad, judge);
        var options = Options(dir, "good", "bad") with { Judge = "judge", Pairwise = true };

        var run = await new EvalRunner(snapshot, options).RunAsync(suite, cancellationToken: Ct);
        var report = ReportBuilder.Build(run, ["good", "bad"], "good", "judge", snapshot.Deployments.ToDictionary(d => d.Key, d => d.Value.Config), new VerdictThresholds { MaxScoreDrop = 1 }, 42);

        var g = report.Deployments[0].Judge!;
        Assert.Equal(3, g.Scored);
        Assert.Equal(5, g.Mean);
        var b = report.Deployments[1].Judge!;
        Assert.Equal(2, b.Scored);
        Assert.Equal(1, b.Unparseable);
        Assert.Equal(3, b.Mean);            // (1 + 5) / 2: the unparseable verdict is not scored
        var cmp = Assert.Single(report.Comparisons);
        Assert.Equal(2, cmp.ScorePairs);
        Assert.Equal(-2, cmp.ScoreDifference);
        Assert.Equal(new PairwiseCounts(0, 2, 1, 0, 0), cmp.Pairwise);
        Assert.False(report.Verdict.Passed); // judge score drop 2 > 1
    }
}
