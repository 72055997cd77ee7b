using Tandem.Configuration;
using Tandem.Eval.Metrics;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Xunit;

namespace Tandem.Eval.Tests.Metrics;

public sealed class ReportBuilderTests
{
    private static EvalCase Case(string id, string label) =>
        new() { Id = id, Messages = [new ChatTurn("user", id)], Kind = CaseKind.Classification, Label = label };

    private static EvalRecord Answer(string id, string deployment, string gold, string? predicted, double latency = 100) => new()
    {
        CaseId = id,
        Deployment = deployment,
        Ok = true,
        Predicted = predicted,
        Correct = predicted == gold,
        Invalid = predicted is null,
        LatencyMs = latency,
        PromptTokens = 1000,
        CompletionTokens = 10,
        UsageReported = true,
    };

    private static readonly Dictionary<string, DeploymentConfig> Configs = new()
    {
        ["base"] = new DeploymentConfig { Name = "base", Model = "big", Pricing = new PricingConfig { InputPerMtok = 2.5m, OutputPerMtok = 10m } },
        ["cand"] = new DeploymentConfig { Name = "cand", Model = "small" },
    };

    private static EvalRunResult Run()
    {
        // Gold: a a b b c; base answers all right; cand: a→a, a→b, b→b, b→(invalid), c→a.
        var cases = new[] { Case("1", "a"), Case("2", "a"), Case("3", "b"), Case("4", "b"), Case("5", "c") };
        var suite = new EvalSuite { Name = "s", Cases = cases, Labels = ["a", "b", "c"], Fingerprint = "f" };
        var records = new List<EvalRecord>();
        foreach (var c in cases)
        {
            records.Add(Answer(c.Id, "base", c.Label!, c.Label, latency: 100 + int.Parse(c.Id, System.Globalization.CultureInfo.InvariantCulture)));
        }

        records.Add(Answer("1", "cand", "a", "a", 10));
        records.Add(Answer("2", "cand", "a", "b", 20));
        records.Add(Answer("3", "cand", "b", "b", 30));
        records.Add(Answer("4", "cand", "b", null, 40));
        records.Add(Answer("5", "cand", "c", "a", 50));
        return new EvalRunResult(suite, records, 0, records.Count);
    }

    [Fact]
    public void Build_Classification_AccuracyF1ConfusionsInvalidRate()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs, new VerdictThresholds(), 42);

        var cand = report.Deployments[1].Classification!;
        Assert.Equal(0.4, cand.Accuracy, 10);
        Assert.Equal(0.2, cand.InvalidRate, 10);
        var a = cand.PerClass.Single(p => p.Label == "a");
        Assert.Equal(0.5, a.Precision, 10);   // predicted a twice, once right
        Assert.Equal(0.5, a.Recall, 10);
        var b = cand.PerClass.Single(p => p.Label == "b");
        Assert.Equal(0.5, b.Precision, 10);
        Assert.Equal(0.5, b.Recall, 10);
        var c = cand.PerClass.Single(p => p.Label == "c");
        Assert.Equal(0, c.F1);
        Assert.Equal((0.5 + 0.5 + 0) / 3, cand.MacroF1, 10);
        Assert.Equal([new Confusion("a", "b", 1), new Confusion("c", "a", 1)], cand.TopConfusions);
        Assert.Equal(1, cand.Matrix[0][1]); // a → b
        Assert.Equal(1, report.Deployments[0].Classification!.MacroF1, 10);
    }

    [Fact]
    public void Build_CostOnlyWithPrice_LatencyPercentiles()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs, new VerdictThresholds(), 42);

        var baseline = report.Deployments[0];
        Assert.Equal((5 * 1000 * 2.5m / 1_000_000m) + (5 * 10 * 10m / 1_000_000m), baseline.Cost!.Total);
        Assert.Equal(baseline.Cost.Total * 1000m / 5, baseline.Cost.Per1kCases);
        Assert.Null(report.Deployments[1].Cost);
        Assert.Equal(5000, report.Deployments[1].Tokens.Prompt);
        Assert.Equal(30, report.Deployments[1].Latency.P50);
        Assert.Equal(48, report.Deployments[1].Latency.P95, 6);
    }

    [Fact]
    public void Build_Comparison_PairedDifferenceAndMcNemar()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs, new VerdictThresholds(), 42);

        var cmp = Assert.Single(report.Comparisons);
        Assert.Equal(5, cmp.PairedCases);
        Assert.Equal(-0.6, cmp.AccuracyDifference!.Value, 10);
        Assert.Equal(3, cmp.BaselineOnlyCorrect);
        Assert.Equal(0, cmp.CandidateOnlyCorrect);
        Assert.Equal(0.25, cmp.McNemarP!.Value, 10); // 2 * (1/2)^3
        Assert.True(cmp.AccuracyDifferenceLow <= -0.6 && cmp.AccuracyDifferenceHigh >= -0.6);
    }

    [Theory]
    [InlineData(0.7, null, null, true)]
    [InlineData(0.5, null, null, false)]
    [InlineData(null, null, 60.0, true)]
    [InlineData(null, null, 40.0, false)]
    [InlineData(null, 100.0, null, false)] // the candidate has no price: the cost gate cannot pass
    public void Build_Verdict_ChecksCandidatesAgainstThresholds(double? maxDrop, double? maxCost, double? maxP95Ms, bool passed)
    {
        var thresholds = new VerdictThresholds
        {
            MaxAccuracyDrop = maxDrop,
            MaxCostPer1kCases = maxCost is null ? null : (decimal)maxCost.Value,
            MaxP95 = maxP95Ms is null ? null : TimeSpan.FromMilliseconds(maxP95Ms.Value),
        };

        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs, thresholds, 42);

        Assert.Equal(passed, report.Verdict.Passed);
        Assert.All(report.Verdict.Checks.Where(c => c.Check != "complete"), c => Assert.Equal("cand", c.Deployment));
    }

    [Fact]
    public void Build_Verdict_IncompleteResultsFail()
    {
        var run = Run();
        run = run with { Records = run.Records.Where(r => !(r.Deployment == "cand" && r.CaseId == "5")).ToArray() };

        var report = ReportBuilder.Build(run, ["base", "cand"], "base", null, Configs, new VerdictThresholds(), 42);

        Assert.False(report.Verdict.Passed);
        Assert.Equal(1, report.Deployments[1].Failed);
    }
}
