using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// Each gate of a stage, decided exactly at its bound and one step either side. Every expected value is worked out
/// by hand in the comment beside it, never by the evaluator.
/// </summary>
public sealed class GateEvaluatorTests
{
    /// <summary>Gates with only the two that always exist: samples and duration.</summary>
    private static GatesConfig Bare(int minSamples = 1, string minDuration = "0s") => new()
    {
        MinSamples = minSamples,
        MinDuration = minDuration,
        MinAgreement = null,
        MaxErrorRate = null,
    };

    private static ShadowSample Compared(bool agree, string? incumbentLabel = "a", string? candidateLabel = "a") => new()
    {
        Route = "r",
        RequestId = "q",
        IncumbentAnswer = incumbentLabel ?? "x",
        CandidateAnswer = candidateLabel ?? "y",
        IncumbentLabel = incumbentLabel,
        CandidateLabel = candidateLabel,
        Agree = agree,
    };

    private static ShadowSample CandidateFailed(string error = "http_503") => new() { Route = "r", RequestId = "q", IncumbentAnswer = "a", CandidateError = error };

    private static ShadowSample Latency(double? incumbentMs, double? candidateMs, string? candidateError = null, string? incumbentError = null) => new()
    {
        Route = "r",
        RequestId = "q",
        IncumbentAnswer = "a",
        CandidateAnswer = candidateError is null ? "a" : null,
        CandidateError = candidateError,
        IncumbentError = incumbentError,
        IncumbentLatencyMs = incumbentMs,
        CandidateLatencyMs = candidateMs,
    };

    private static GateResult Gate(GateReport report, string name) => report.Gates.Single(g => g.Name == name);

    private static List<ShadowSample> Agreeing(int agree, int disagree) =>
        [.. Enumerable.Range(0, agree).Select(_ => Compared(true)), .. Enumerable.Range(0, disagree).Select(_ => Compared(false, "a", "b"))];

    [Theory]
    [InlineData(3, false)] // 3 compared < 4
    [InlineData(4, true)] // 4 compared >= 4: the bound itself passes
    [InlineData(5, true)]
    public void Samples_ComparedCountAgainstMinSamples_BoundPasses(int compared, bool passed)
    {
        // Samples where one side failed carry no comparison and do not count: 2 of them are added and ignored.
        var samples = Agreeing(compared, 0).Concat([CandidateFailed(), CandidateFailed()]).ToList();

        var gate = Gate(GateEvaluator.Evaluate(Bare(minSamples: 4), samples, TimeSpan.Zero), "samples");

        Assert.Equal(new GateResult("samples", compared, ">= 4", compared, passed), gate);
    }

    [Fact]
    public void Duration_ExactlyMinDuration_Passes_OneTickLess_Fails()
    {
        var samples = Agreeing(2, 0);

        var at = Gate(GateEvaluator.Evaluate(Bare(minDuration: "10m"), samples, TimeSpan.FromMinutes(10)), "duration");
        var under = Gate(GateEvaluator.Evaluate(Bare(minDuration: "10m"), samples, TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1)), "duration");

        // Value: minutes in the stage; threshold: the bound in minutes; samples: every sample of the stage (2).
        Assert.Equal(new GateResult("duration", 10.0, ">= 10 min", 2, true), at);
        Assert.False(under.Passed);
        Assert.Equal(">= 1.5 min", Gate(GateEvaluator.Evaluate(Bare(minDuration: "90s"), samples, TimeSpan.Zero), "duration").Threshold);
        // 20 s is a third of a minute: shown to two decimals.
        Assert.Equal(">= 0.33 min", Gate(GateEvaluator.Evaluate(Bare(minDuration: "20s"), samples, TimeSpan.Zero), "duration").Threshold);
    }

    [Theory]
    [InlineData(9, 1, true)] // 9 / 10 = 0.9 >= 0.9: the bound itself passes
    [InlineData(8, 2, false)] // 8 / 10 = 0.8 < 0.9
    [InlineData(19, 1, true)] // 19 / 20 = 0.95
    public void Agreement_PointEstimate_AgainstMinAgreement_BoundPasses(int agree, int disagree, bool passed)
    {
        var gates = Bare() with { MinAgreement = 0.9 };

        var report = GateEvaluator.Evaluate(gates, Agreeing(agree, disagree), TimeSpan.Zero);

        var expected = agree / (double)(agree + disagree);
        Assert.Equal(new GateResult("agreement", expected, ">= 0.9", agree + disagree, passed), Gate(report, "agreement"));
        Assert.Equal(expected, report.Agreement);
    }

    [Fact]
    public void Agreement_LowerBound_JudgesTheWilsonLowBound()
    {
        // 9 of 10 agree. Wilson 95 %, z = 1.96, z² = 3.8416, n = 10, p = 0.9:
        //   denominator = 1 + 3.8416 / 10 = 1.38416
        //   centre = (0.9 + 3.8416 / 20) / 1.38416 = 1.09208 / 1.38416 = 0.788984
        //   half = 1.96 * sqrt(0.09 / 10 + 3.8416 / 400) / 1.38416 = 1.96 * sqrt(0.018604) / 1.38416 = 0.193140
        //   low = 0.595844, high = 0.982124 (the published Wilson interval of 9/10 is [0.596, 0.982]).
        // The point estimate 0.9 would pass a 0.6 bound; the low bound 0.5958 does not.
        var gates = Bare() with { MinAgreement = 0.6, UseLowerBound = true };

        var report = GateEvaluator.Evaluate(gates, Agreeing(9, 1), TimeSpan.Zero);

        var gate = Gate(report, "agreement");
        Assert.Equal(0.595844, gate.Value!.Value, 5);
        Assert.Equal(">= 0.6 (95% lower bound)", gate.Threshold);
        Assert.False(gate.Passed);
        Assert.Equal(0.595844, report.AgreementInterval!.Value.Low, 5);
        Assert.Equal(0.982124, report.AgreementInterval!.Value.High, 5);
        Assert.True(Gate(GateEvaluator.Evaluate(gates with { MinAgreement = 0.59 }, Agreeing(9, 1), TimeSpan.Zero), "agreement").Passed);
    }

    [Fact]
    public void Agreement_NothingCompared_IsUnmeasured_AndFailsWithoutCountingAsQualityFailure()
    {
        var gates = Bare(minSamples: 0) with { MinAgreement = 0.5 };

        var report = GateEvaluator.Evaluate(gates, [CandidateFailed()], TimeSpan.Zero);

        Assert.Equal(new GateResult("agreement", null, ">= 0.5", 0, false), Gate(report, "agreement"));
        Assert.Null(report.Agreement);
        Assert.Null(report.AgreementInterval);
        Assert.False(report.AllPassed);
        Assert.False(report.QualityFailed); // no evidence either way: nothing to roll back for
    }

    [Theory]
    [InlineData(1, 49, true)] // 1 / 50 = 0.02 <= 0.02: the bound itself passes
    [InlineData(2, 48, false)] // 2 / 50 = 0.04 > 0.02
    [InlineData(0, 50, true)]
    public void ErrorRate_CandidateFailuresAmongTries_BoundPasses(int failed, int answered, bool passed)
    {
        var gates = Bare() with { MaxErrorRate = 0.02 };
        var samples = Enumerable.Range(0, failed).Select(_ => CandidateFailed())
            .Concat(Enumerable.Range(0, answered).Select(_ => Compared(true)))
            // A sample where the candidate was never tried (no answer, no error) is not a try.
            .Append(new ShadowSample { Route = "r", RequestId = "q", IncumbentAnswer = "a" })
            .ToList();

        var gate = Gate(GateEvaluator.Evaluate(gates, samples, TimeSpan.Zero), "candidate_error_rate");

        Assert.Equal(new GateResult("candidate_error_rate", failed / 50.0, "<= 0.02", 50, passed), gate);
    }

    [Fact]
    public void ErrorRate_NoCandidateTries_PassesUnmeasured()
    {
        var gates = Bare(minSamples: 0) with { MaxErrorRate = 0.02 };

        var gate = Gate(GateEvaluator.Evaluate(gates, [], TimeSpan.Zero), "candidate_error_rate");

        Assert.Equal(new GateResult("candidate_error_rate", null, "<= 0.02", 0, true), gate);
    }

    /// <summary>
    /// 21 samples, latencies i × step for i = 1…21: the 0.95 quantile's rank is 0.95 × 20 = 19, the 20th value, 20 × step
    /// (p95 200 ms for a step of 10).
    /// </summary>
    private static List<ShadowSample> TwentyOneLatencies(double incumbentStep, double candidateStep) =>
        [.. Enumerable.Range(1, 21).Select(i => Latency(i * incumbentStep, i * candidateStep))];

    [Theory]
    [InlineData(200.0, true)] // p95 = 200 <= 200: the bound itself passes
    [InlineData(199.99, false)]
    public void P95_CandidateLatency_BoundPasses(double max, bool passed)
    {
        var gates = Bare() with { MaxP95Ms = max };

        var report = GateEvaluator.Evaluate(gates, TwentyOneLatencies(10, 10), TimeSpan.Zero);

        var gate = Gate(report, "candidate_p95_ms");
        Assert.Equal((200.0, 21, passed), (gate.Value!.Value, gate.Samples, gate.Passed));
        Assert.Equal(200.0, report.CandidateP95Ms);
        Assert.Equal("<= " + max.ToString(System.Globalization.CultureInfo.InvariantCulture), gate.Threshold);
    }

    [Fact]
    public void P95_NoCandidateLatency_PassesUnmeasured()
    {
        // The candidate failed every try: no latency of its own, so nothing to hold against the bound.
        var samples = Enumerable.Range(0, 3).Select(_ => Latency(100, 5000, candidateError: "timeout")).ToList();

        var report = GateEvaluator.Evaluate(Bare() with { MaxP95Ms = 1000 }, samples, TimeSpan.Zero);

        Assert.Equal(new GateResult("candidate_p95_ms", null, "<= 1000", 0, true), Gate(report, "candidate_p95_ms"));
        Assert.Null(report.CandidateP95Ms);
        Assert.Equal(100.0, report.IncumbentP95Ms);
    }

    [Fact]
    public void Thresholds_ShowThreeDecimals_CostsTheirDigits()
    {
        // Shares and milliseconds to three decimals; a cost in dollars keeps its digits: a bound of $0.00042 a
        // request shown as "<= 0" would say the gate allows nothing (it did before).
        var gates = Bare() with { MinAgreement = 0.12345, MaxErrorRate = 0.0106, MaxP95Ms = 812.34567, MaxCostPerRequest = 0.00042 };

        var report = GateEvaluator.Evaluate(gates, [], TimeSpan.Zero);

        Assert.Equal([">= 0.123", "<= 0.011", "<= 812.346", "<= 0.00042"], report.Gates.Skip(2).Select(g => g.Threshold));
    }

    [Fact]
    public void P95_InterpolatesBetweenRanks_AndSkipsFailedTries()
    {
        // Candidate latencies 100, 200, 300, 400 (and a failed try at 9,000 ms that must not count):
        // rank = 0.95 × 3 = 2.85 → 300 + (400 − 300) × 0.85 = 385.
        var samples = new List<ShadowSample>
        {
            Latency(50, 100), Latency(50, 400), Latency(50, 300), Latency(50, 200), Latency(50, 9000, candidateError: "timeout"),
        };

        var report = GateEvaluator.Evaluate(Bare() with { MaxP95Ms = 1000 }, samples, TimeSpan.Zero);

        Assert.Equal(385.0, report.CandidateP95Ms!.Value, 9);
        Assert.Equal(4, Gate(report, "candidate_p95_ms").Samples);
    }

    [Theory]
    [InlineData(1.5, true)] // candidate 300 / incumbent 200 = 1.5 <= 1.5: the bound itself passes
    [InlineData(1.4, false)] // 1.5 > 1.4: the candidate is too slow
    public void P95Ratio_IsCandidateOverIncumbent_BoundPasses(double ratio, bool passed)
    {
        // 21 samples: candidate 15…315 ms (p95 20 × 15 = 300), incumbent 10…210 (p95 200): 300 / 200 = 1.5.
        var samples = TwentyOneLatencies(10, 15);

        var gate = Gate(GateEvaluator.Evaluate(Bare() with { MaxP95Ratio = ratio }, samples, TimeSpan.Zero), "p95_ratio");

        Assert.Equal(1.5, gate.Value);
        Assert.Equal(passed, gate.Passed);
        Assert.Equal($"<= {ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)} x incumbent", gate.Threshold);
    }

    [Fact]
    public void P95Ratio_FasterCandidate_Passes_SlowerCandidate_Fails()
    {
        // Candidate p95 200 against an incumbent twice as slow (p95 400): ratio 200 / 400 = 0.5, under 1.
        var faster = Gate(GateEvaluator.Evaluate(Bare() with { MaxP95Ratio = 1.0 }, TwentyOneLatencies(20, 10), TimeSpan.Zero), "p95_ratio");
        // Candidate p95 200 against an incumbent twice as fast (p95 100): ratio 200 / 100 = 2, over 1.
        var slower = Gate(GateEvaluator.Evaluate(Bare() with { MaxP95Ratio = 1.0 }, TwentyOneLatencies(5, 10), TimeSpan.Zero), "p95_ratio");

        Assert.Equal((0.5, true), (faster.Value!.Value, faster.Passed));
        Assert.Equal((2.0, false), (slower.Value!.Value, slower.Passed));
    }

    [Fact]
    public void P95Ratio_IncumbentUnmeasuredOrZero_PassesUnmeasured()
    {
        // The incumbent failed every time (no latency of its own counts), or answered in 0 ms: no ratio can be taken.
        var failedIncumbent = Enumerable.Range(1, 5).Select(i => Latency(i, i * 10, incumbentError: "http_500")).ToList();
        var zeroIncumbent = Enumerable.Range(1, 5).Select(i => Latency(0, i * 10)).ToList();

        foreach (var samples in new[] { failedIncumbent, zeroIncumbent })
        {
            var report = GateEvaluator.Evaluate(Bare() with { MaxP95Ratio = 1.0 }, samples, TimeSpan.Zero);
            Assert.Equal(new GateResult("p95_ratio", null, "<= 1 x incumbent", 5, true), Gate(report, "p95_ratio"));
        }

        Assert.Null(GateEvaluator.Evaluate(Bare(), failedIncumbent, TimeSpan.Zero).IncumbentP95Ms);
    }

    [Theory]
    [InlineData(0.002, true)] // mean (0.001 + 0.002 + 0.003) / 3 = 0.002 <= 0.002
    [InlineData(0.0019, false)]
    public void CostPerRequest_MeanOfPricedSamples_BoundPasses(double max, bool passed)
    {
        var samples = new[] { 0.001, 0.002, 0.003 }.Select(c => Compared(true) with { CandidateCost = c })
            .Append(Compared(true)) // unpriced: not part of the mean
            .ToList();

        var gate = Gate(GateEvaluator.Evaluate(Bare() with { MaxCostPerRequest = max }, samples, TimeSpan.Zero), "cost_per_request");

        Assert.Equal((0.002, 3, passed), (Math.Round(gate.Value!.Value, 12), gate.Samples, gate.Passed));
        Assert.Equal("<= " + max.ToString(System.Globalization.CultureInfo.InvariantCulture), gate.Threshold);
    }

    [Theory]
    [InlineData(4.0, true)] // mean (3 + 4 + 5) / 3 = 4 >= 4: the bound itself passes
    [InlineData(4.01, false)]
    public void JudgeScore_MeanAgainstMinimum_BoundPasses(double min, bool passed)
    {
        var samples = new[] { 3.0, 4.0, 5.0 }.Select(s => Compared(true) with { JudgeScore = s }).Append(Compared(true)).ToList();

        var report = GateEvaluator.Evaluate(Bare() with { MinJudgeScore = min }, samples, TimeSpan.Zero);

        var gate = Gate(report, "judge_score");
        Assert.Equal((4.0, 3, passed), (gate.Value!.Value, gate.Samples, gate.Passed));
        Assert.Equal(4.0, report.JudgeScore);
    }

    [Fact]
    public void JudgeScore_NothingJudged_FailsUnmeasured()
    {
        var report = GateEvaluator.Evaluate(Bare() with { MinJudgeScore = 3 }, Agreeing(3, 0), TimeSpan.Zero);

        Assert.Equal(new GateResult("judge_score", null, ">= 3", 0, false), Gate(report, "judge_score"));
        Assert.False(report.QualityFailed);
    }

    [Fact]
    public void Gates_AppearInFixedOrder_OnlyWhenConfigured()
    {
        var all = new GatesConfig
        {
            MinSamples = 1, MinDuration = "0s", MinAgreement = 0.5, MaxErrorRate = 0.5, MaxP95Ms = 1000, MaxP95Ratio = 2, MaxCostPerRequest = 1, MinJudgeScore = 1,
        };

        Assert.Equal(["samples", "duration", "agreement", "candidate_error_rate", "candidate_p95_ms", "p95_ratio", "cost_per_request", "judge_score"],
            GateEvaluator.Evaluate(all, [], TimeSpan.Zero).Gates.Select(g => g.Name));
        Assert.Equal(["samples", "duration"], GateEvaluator.Evaluate(Bare(), [], TimeSpan.Zero).Gates.Select(g => g.Name));
    }

    [Fact]
    public void QualityFailed_OnlyForAMeasuredQualityGate()
    {
        // Too few samples and too short a stage fail, but they are not quality: no rollback on them alone.
        var early = GateEvaluator.Evaluate(Bare(minSamples: 100, minDuration: "1h") with { MinAgreement = 0.5 }, Agreeing(5, 0), TimeSpan.Zero);
        Assert.Equal((false, false), (early.AllPassed, early.QualityFailed));
        Assert.Equal("fail: samples, duration", MigrationEvaluation.OutcomeOf(early));

        // Agreement 1 / 5 = 0.2 under 0.5, measured: a quality failure.
        var bad = GateEvaluator.Evaluate(Bare(minSamples: 100) with { MinAgreement = 0.5 }, Agreeing(1, 4), TimeSpan.Zero);
        Assert.Equal((false, true), (bad.AllPassed, bad.QualityFailed));
        Assert.Equal("fail: samples, agreement", MigrationEvaluation.OutcomeOf(bad));

        var good = GateEvaluator.Evaluate(Bare(minSamples: 5) with { MinAgreement = 0.5 }, Agreeing(5, 0), TimeSpan.Zero);
        Assert.Equal((true, false), (good.AllPassed, good.QualityFailed));
        Assert.Equal("pass", MigrationEvaluation.OutcomeOf(good));
    }

    [Fact]
    public void Report_CountsAndTopDisagreements_MostFrequentFirstThenByIncumbentLabel()
    {
        var samples = new List<ShadowSample>
        {
            Compared(false, "refund", "billing"), Compared(false, "refund", "billing"), Compared(false, "refund", "billing"),
            Compared(false, "card", "atm"), Compared(false, "card", "atm"),
            Compared(false, "balance", "atm"), Compared(false, "balance", "atm"),
            Compared(false, null, "x"),
            Compared(false, "y", null),
            Compared(true), Compared(true),
            CandidateFailed(),
        };

        var report = GateEvaluator.Evaluate(Bare(), samples, TimeSpan.FromMinutes(3));

        // 11 compared (the failed try has no comparison), 12 in all; 2 of 11 agree.
        Assert.Equal((11, 12, 2 / 11.0, TimeSpan.FromMinutes(3)), (report.Compared, report.Samples, report.Agreement, report.InStage));
        // Counts 3, 2, 2, 1, 1; ties in ordinal order of the incumbent label; a missing label reads "?".
        Assert.Equal([("refund", "billing", 3), ("balance", "atm", 2), ("card", "atm", 2), ("?", "x", 1), ("y", "?", 1)], report.TopDisagreements);
    }

    [Fact]
    public void Report_TopDisagreements_KeepsTheTenMostFrequent()
    {
        // Twelve distinct disagreements, label i repeated i times: the ten kept are 12 down to 3.
        var samples = Enumerable.Range(1, 12).SelectMany(i => Enumerable.Range(0, i).Select(_ => Compared(false, "i" + i.ToString("00", System.Globalization.CultureInfo.InvariantCulture), "c"))).ToList();

        var top = GateEvaluator.Evaluate(Bare(), samples, TimeSpan.Zero).TopDisagreements;

        Assert.Equal(Enumerable.Range(3, 10).Reverse(), top.Select(t => t.Count));
    }

    [Theory]
    [InlineData(0, 0, 0.0, 1.0)]
    [InlineData(0, 10, 0.0, 0.277540)] // 0/10: centre = half = 0.19208 / 1.38416 = 0.138770; low 0, high 0.277540
    [InlineData(10, 10, 0.722460, 1.0)] // symmetric to 0/10
    [InlineData(5, 10, 0.236590, 0.763410)] // centre 0.5; half = 1.96 * sqrt(0.025 + 0.009604) / 1.38416 = 0.263410
    public void Wilson_KnownIntervals(int successes, int trials, double low, double high)
    {
        var (l, h) = Statistics.Wilson(successes, trials);

        Assert.Equal(low, l, 5);
        Assert.Equal(high, h, 5);
    }

    [Fact]
    public void Percentile_EmptyIsNaN_SingleIsItself_EndsAreMinAndMax()
    {
        Assert.True(double.IsNaN(Statistics.Percentile([], 0.5)));
        Assert.Equal(7.0, Statistics.Percentile([7.0], 0.95));
        Assert.Equal(1.0, Statistics.Percentile([3.0, 1.0, 2.0], 0));
        Assert.Equal(3.0, Statistics.Percentile([3.0, 1.0, 2.0], 1));
        Assert.Equal(2.5, Statistics.Percentile([4.0, 1.0, 3.0, 2.0], 0.5)); // rank 1.5 between 2 and 3
    }
}
