using Tandem.Configuration;
using Tandem.Eval.Metrics;
using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Xunit;

namespace Tandem.Eval.Tests.Metrics;

/// <summary>
/// The verdict's checks as the report shows them (deployment, check, value, limit, outcome, each asserted whole, with
/// the bounds met exactly), judge metrics and score comparisons, pairwise counts, tokens and unreported usage.
/// </summary>
public sealed class ReportBuilderVerdictTests
{
    private static EvalCase Case(string id, string label) =>
        new() { Id = id, Messages = [new ChatTurn("user", id)], Kind = CaseKind.Classification, Label = label };

    private static EvalRecord Answer(string id, string deployment, bool correct, double latency, int? score = null, string? outcome = null) => new()
    {
        CaseId = id,
        Deployment = deployment,
        Ok = true,
        Predicted = correct ? "a" : "b",
        Correct = correct,
        LatencyMs = latency,
        PromptTokens = 1000,
        CompletionTokens = 10,
        UsageReported = id != "5",
        JudgeScore = score,
        JudgeOutcome = outcome ?? (score is null ? null : "scored"),
        JudgeTokens = 7,
    };

    private static Dictionary<string, DeploymentConfig> Configs(PricingConfig? candidatePrice) => new()
    {
        ["base"] = new DeploymentConfig { Name = "base", Model = "big", Pricing = new PricingConfig { InputPerMtok = 2.5m, OutputPerMtok = 10m } },
        ["cand"] = new DeploymentConfig { Name = "cand", Model = "small", Pricing = candidatePrice },
    };

    /// <summary>
    /// Five cases, every gold label a. The baseline is right on all five, judged 5 on each; the candidate is right on
    /// cases 1 and 3 (accuracy 0.4), judged 4, 5, 3, 5 on cases 1–4 and unparseable on case 5; latencies 10…50 ms.
    /// </summary>
    private static EvalRunResult Run(params EvalRecord[] extra)
    {
        var cases = Enumerable.Range(1, 5).Select(i => Case(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "a")).ToArray();
        var suite = new EvalSuite { Name = "s", Cases = cases, Labels = ["a", "b"], Fingerprint = "f" };
        var records = new List<EvalRecord>();
        foreach (var c in cases)
        {
            records.Add(Answer(c.Id, "base", true, 100, score: 5));
        }

        int?[] scores = [4, 5, 3, 5, null];
        for (var i = 0; i < 5; i++)
        {
            var id = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            records.Add(Answer(id, "cand", i is 0 or 2, 10 * (i + 1), scores[i], scores[i] is null ? "unparseable" : null));
        }

        records.AddRange(extra);
        return new EvalRunResult(suite, records, 0, records.Count);
    }

    [Fact]
    public void Verdict_EveryCheckWithItsValueAndLimit_BoundsMetExactlyPass()
    {
        // Accuracy: base 5/5, candidate 2/5, so the paired difference is (0 − 1 + 0 − 1 − 1) / 5 = −0.6: a drop of
        // 60.0 % against a limit of exactly 60.0 % passes. Judge scores on the 4 cases both sides scored: diffs
        // −1, 0, −2, 0, mean −0.75: a drop of 0.75 against 0.75 passes. Candidate cost: 5 × 1,000 prompt tokens at
        // $1/Mtok + 5 × 10 completion tokens at $2/Mtok = 0.005 + 0.0001 = $0.0051, per 1,000 cases × 1000 / 5 = $1.02,
        // against exactly 1.02. p95 of 10, 20, 30, 40, 50 ms: rank 0.95 × 4 = 3.8, 40 + 0.8 × 10 = 48 ms, against 47 ms fails.
        var thresholds = new VerdictThresholds
        {
            MaxAccuracyDrop = 0.6,
            MaxScoreDrop = 0.75,
            MaxCostPer1kCases = 1.02m,
            MaxP95 = TimeSpan.FromMilliseconds(47),
        };

        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", "judge", Configs(new PricingConfig { InputPerMtok = 1m, OutputPerMtok = 2m }), thresholds, 42);

        Assert.Equal(
            [
                new VerdictCheck("base", "complete", "5/5", "5/5", true),
                new VerdictCheck("cand", "complete", "5/5", "5/5", true),
                new VerdictCheck("cand", "accuracy drop vs base", "60.0 %", "≤ 60.0 %", true),
                new VerdictCheck("cand", "judge score drop vs base", "0.75", "≤ 0.75", true),
                new VerdictCheck("cand", "cost per 1k cases", "1.02", "≤ 1.02", true),
                new VerdictCheck("cand", "p95 latency", "48 ms", "≤ 47 ms", false),
            ],
            report.Verdict.Checks);
        Assert.False(report.Verdict.Passed);
        Assert.Equal("judge", report.Judge);
        Assert.Equal(1.02m, report.Deployments[1].Cost!.Per1kCases);
    }

    [Fact]
    public void Verdict_JustOverEachBound_Fails_AndWithoutEvidenceSaysNA()
    {
        // The same run against bounds a hair tighter: each check fails. Without a comparison's judge scores (none
        // judged on the baseline side here) the score drop cannot be measured: "n/a", failed.
        var run = Run();
        run = run with { Records = [.. run.Records.Select(r => r.Deployment == "base" ? r with { JudgeScore = null, JudgeOutcome = null } : r)] };
        var thresholds = new VerdictThresholds
        {
            MaxAccuracyDrop = 0.599,
            MaxScoreDrop = 0.5,
            MaxCostPer1kCases = 1.0199m,
            MaxP95 = TimeSpan.FromMilliseconds(49),
        };

        var report = ReportBuilder.Build(run, ["base", "cand"], "base", null, Configs(new PricingConfig { InputPerMtok = 1m, OutputPerMtok = 2m }), thresholds, 42);

        Assert.Equal(
            [
                new VerdictCheck("base", "complete", "5/5", "5/5", true),
                new VerdictCheck("cand", "complete", "5/5", "5/5", true),
                new VerdictCheck("cand", "accuracy drop vs base", "60.0 %", "≤ 59.9 %", false),
                new VerdictCheck("cand", "judge score drop vs base", "n/a", "≤ 0.50", false),
                new VerdictCheck("cand", "cost per 1k cases", "1.02", "≤ 1.0199", false),
                new VerdictCheck("cand", "p95 latency", "48 ms", "≤ 49 ms", true),
            ],
            report.Verdict.Checks);
        Assert.False(report.Verdict.Passed);
    }

    [Fact]
    public void Verdict_UnpricedCandidate_FailsTheCostCheck_AndEveryCheckPassingPasses()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs(null), new VerdictThresholds { MaxCostPer1kCases = 100m }, 42);
        var passing = ReportBuilder.Build(Run(), ["base", "cand"], "base", null, Configs(null), new VerdictThresholds { MaxAccuracyDrop = 0.7 }, 42);

        Assert.Equal(new VerdictCheck("cand", "cost per 1k cases", "no price configured", "≤ 100", false), report.Verdict.Checks[^1]);
        Assert.False(report.Verdict.Passed);
        Assert.True(passing.Verdict.Passed);
        Assert.Equal(3, passing.Verdict.Checks.Count);
    }

    [Fact]
    public void Judge_MetricsDistributionAndScoreComparison()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], "base", "judge", Configs(null), new VerdictThresholds(), 42);

        // Candidate scores 4, 5, 3, 5 (one unparseable): mean 17 / 4 = 4.25; sample variance 2.75 / 3; half-width
        // 1.959963984540054 × √(0.91667 / 4) = 0.938261… (python3: statistics as in the comment of MeanInterval).
        var judge = report.Deployments[1].Judge!;
        Assert.Equal(4, judge.Scored);
        Assert.Equal(1, judge.Unparseable);
        Assert.Equal(4.25, judge.Mean, 12);
        Assert.Equal(3.311738675487614, judge.Low, 12);
        Assert.Equal(5.188261324512386, judge.High, 12);
        Assert.Equal([0, 0, 1, 1, 2], judge.Distribution);
        Assert.Equal([0, 0, 0, 0, 5], report.Deployments[0].Judge!.Distribution);

        var cmp = Assert.Single(report.Comparisons);
        Assert.Equal(4, cmp.ScorePairs);
        Assert.Equal(-0.75, cmp.ScoreDifference!.Value, 12);
        Assert.True(cmp.ScoreDifferenceLow <= -0.75 && cmp.ScoreDifferenceHigh >= -0.75 && cmp.ScoreDifferenceHigh <= 0);
        Assert.Null(cmp.Pairwise);
    }

    [Fact]
    public void Tokens_SumsAndUnreportedUsage_AndNoComparisonWithoutABaseline()
    {
        var report = ReportBuilder.Build(Run(), ["base", "cand"], null, null, Configs(null), new VerdictThresholds { MaxAccuracyDrop = 0.01 }, 42);

        var tokens = report.Deployments[1].Tokens;
        Assert.Equal((5000L, 50L, 1, 35L), (tokens.Prompt, tokens.Completion, tokens.WithoutUsage, tokens.Judge));
        Assert.Equal("small", report.Deployments[1].Model);
        Assert.Empty(report.Comparisons);
        // No baseline: both are candidates, and with no comparison the accuracy check is not made.
        Assert.Equal(["complete", "complete"], report.Verdict.Checks.Select(c => c.Check));
        Assert.True(report.Verdict.Passed);
    }

    [Fact]
    public void Pairwise_CountsEachWinnerOfTheCandidatesReadableJudgements()
    {
        EvalRecord Pairwise(string id, string deployment, string winner, bool ok = true) =>
            new() { Kind = EvalRecord.PairwiseKind, CaseId = id, Deployment = deployment, Baseline = "base", Ok = ok, Winner = winner };

        var run = Run(
            Pairwise("1", "cand", "candidate"),
            Pairwise("2", "cand", "candidate"),
            Pairwise("3", "cand", "baseline"),
            Pairwise("4", "cand", "tie"),
            Pairwise("5", "cand", "inconsistent"),
            Pairwise("1", "cand", "unparseable"),
            Pairwise("2", "cand", "candidate", ok: false), // a failed judgement is not counted
            Pairwise("3", "other", "candidate"));         // another candidate's

        var report = ReportBuilder.Build(run, ["base", "cand"], "base", null, Configs(null), new VerdictThresholds(), 42);

        Assert.Equal(new PairwiseCounts(2, 1, 1, 1, 1), report.Comparisons.Single().Pairwise);
    }
}
