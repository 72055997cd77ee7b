using Tandem.Eval.Reports.Decision;
using Xunit;

namespace Tandem.Eval.Tests.Reports;

/// <summary>
/// The decision report's rules, each with its exact reasons and at its boundaries. The traffic is that of
/// <see cref="DecisionReportTests"/>: 750 M tokens a month, a peak of 100 tokens/s, 2,000-token contexts; one L4
/// ($0.80 × 730 h = $584) + $500 operations = $1,084 a month; at 10× seven L4s, $4,588.
/// </summary>
public sealed class DecisionReasonsTests
{
    private const string MigrateAt1500 = "At the observed volume self-hosting costs $1084.00 a month against $1500.00 on the API.";
    private const string HybridAt750 = "Self-hosting ($1084.00 a month) costs more than the API ($750.00) today, but less at 10× the volume ($4588.00 against $7500.00).";
    private const string StayAt100 = "The API ($100.00 a month) is cheaper than self-hosting ($1084.00) at the observed volume and at 10×.";
    private const string NoSkills = "Nobody on the team runs inference servers yet: one step less self-hosting.";
    private const string FineTuning = "Fine-tuned weights need a place to run: at least the routes that use them self-hosted.";
    private const string SomeRoutes = "Some data may not leave: those routes self-hosted, the rest on the API.";
    private const string AllData = "No data may leave: every route self-hosted, whatever it costs.";

    private static readonly GpuTable Table = GpuTable.Default;

    private static TrafficProfile Traffic(decimal apiSpend, params string[] sensitive) => new()
    {
        Days = 30,
        Requests = 1_000_000,
        PromptTokens = 600_000_000,
        CompletionTokens = 150_000_000,
        PeakTokensPerSecond = 100,
        P95ContextTokens = 2000,
        ApiSpend = apiSpend,
        SensitiveRoutes = sensitive,
    };

    private static DecisionAnswers Answers(string skills = "mlops", string customisation = "none", string privacy = "none", decimal? budget = null) => new()
    {
        ModelSize = "8b",
        Quantisation = "fp16",
        GpuHourlyUsd = new Dictionary<string, decimal> { ["L4"] = 0.80m },
        OpsMonthlyUsd = 500m,
        TeamSkills = skills,
        Customisation = customisation,
        Privacy = privacy,
        BudgetMonthlyUsd = budget,
    };

    public static TheoryData<decimal, string, string, string, decimal?, Recommendation, string[]> Cases => new()
    {
        { 750m, "mlops", "none", "none", null, Recommendation.Hybrid, [HybridAt750] },
        { 750m, "none", "none", "none", null, Recommendation.Stay, [HybridAt750, NoSkills] },
        // Already "stay": nobody running GPUs changes nothing and says nothing.
        { 100m, "none", "none", "none", null, Recommendation.Stay, [StayAt100] },
        { 100m, "mlops", "fine_tuning", "none", null, Recommendation.Hybrid, [StayAt100, FineTuning] },
        // Already hybrid: fine-tuning and some private routes add nothing.
        { 750m, "mlops", "fine_tuning", "none", null, Recommendation.Hybrid, [HybridAt750] },
        { 750m, "mlops", "none", "some_routes", null, Recommendation.Hybrid, [HybridAt750] },
        { 100m, "mlops", "none", "some_routes", null, Recommendation.Hybrid, [StayAt100, SomeRoutes] },
        { 100m, "none", "none", "all_data", 500m, Recommendation.Migrate, [StayAt100, AllData] },
        { 1500m, "mlops", "none", "all_data", null, Recommendation.Migrate, [MigrateAt1500] },
        // Over budget: back to stay — unless no data may leave, when the budget does not decide.
        { 1500m, "mlops", "none", "none", 1000m, Recommendation.Stay, [MigrateAt1500, "Self-hosting ($1084.00 a month) is over the budget of $1000.00."] },
        { 1500m, "mlops", "none", "all_data", 1000m, Recommendation.Migrate, [MigrateAt1500] },
        { 100m, "mlops", "none", "none", 1000m, Recommendation.Stay, [StayAt100] },
        // Boundaries: equal costs favour self-hosting, today ($1,084 = $1,084) and at 10× ($4,588 = 10 × $458.80).
        { 1084m, "mlops", "none", "none", null, Recommendation.Migrate, ["At the observed volume self-hosting costs $1084.00 a month against $1084.00 on the API."] },
        { 458.80m, "mlops", "none", "none", null, Recommendation.Hybrid, ["Self-hosting ($1084.00 a month) costs more than the API ($458.80) today, but less at 10× the volume ($4588.00 against $4588.00)."] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Build_RecommendsWithExactlyTheseReasons(decimal apiSpend, string skills, string customisation, string privacy, decimal? budget, Recommendation expected, string[] reasons)
    {
        var report = DecisionReportBuilder.Build(Traffic(apiSpend), Answers(skills, customisation, privacy, budget), Table);
        Assert.Equal(expected, report.Recommendation);
        Assert.Equal(reasons, report.Reasons);
    }

    [Fact]
    public void Build_SensitiveRoutes_AreTheLastReason_AndTheModelAndSourcesAreNamed()
    {
        var report = DecisionReportBuilder.Build(Traffic(1500m, "support", "intent"), Answers(), Table);
        Assert.Equal([MigrateAt1500, "Routes that keep or route personal data: support, intent."], report.Reasons);
        Assert.Equal("Llama 3.1 8B (fp16)", report.Model);
        // Five GPUs, the model, the weight format and the memory share: eight sources.
        var sources = report.Sources.Split("; ");
        Assert.Equal(8, sources.Length);
        Assert.StartsWith("NVIDIA L4 Tensor Core GPU datasheet", sources[0], StringComparison.Ordinal);
        Assert.StartsWith("meta-llama/Llama-3.1-8B-Instruct", sources[5], StringComparison.Ordinal);
        Assert.Equal("16-bit weights: 2 bytes a parameter", sources[6]);
        Assert.StartsWith("vLLM's default gpu_memory_utilization", sources[7], StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TwoPricedGpus_TakesTheCheaper()
    {
        // L4 $584 against A10G 1 × $1.00 × 730 = $730: the L4, so $1,084 with operations.
        var answers = Answers() with { GpuHourlyUsd = new Dictionary<string, decimal> { ["A10G"] = 1.00m, ["L4"] = 0.80m } };
        var report = DecisionReportBuilder.Build(Traffic(1500m), answers, Table);
        Assert.Equal(("L4", (decimal?)1084.00m), (report.Observed.Option!.Gpu, report.Observed.SelfHostMonthly));
    }

    [Fact]
    public void Build_NoTrafficOrNoSpend_HasNoPriceAndNoBreakEven()
    {
        var none = new TrafficProfile { Days = 30, PeakTokensPerSecond = 1, P95ContextTokens = 100 };
        var empty = DecisionReportBuilder.Build(none, Answers(), Table);
        Assert.Equal((0m, (double?)null), (empty.ApiPricePerMtok, empty.BreakEvenTokensPerMonth));

        // Tokens measured but no API bill (all on fixed-price deployments): no break-even either.
        var free = DecisionReportBuilder.Build(Traffic(0m), Answers(), Table);
        Assert.Equal((0m, (double?)null), (free.ApiPricePerMtok, free.BreakEvenTokensPerMonth));
    }

    [Theory]
    [InlineData(1.0, true)]
    [InlineData(0.0001, true)]
    [InlineData(0.0, false)]
    [InlineData(1.0001, false)]
    [InlineData(double.NaN, false)]
    public void Problems_TargetUtilisation_AboveZeroAndAtMostOne(double utilisation, bool accepted)
    {
        var problems = DecisionReportBuilder.Problems(Answers() with { TargetUtilisation = utilisation }, Table);
        Assert.Equal(accepted ? [] : ["target_utilisation must be above 0 and at most 1"], problems);
    }

    [Fact]
    public void Problems_ZeroBudgetAndZeroPriceAreAnswers_NullPricesAreNot_AndBuildNamesEveryProblem()
    {
        Assert.Empty(DecisionReportBuilder.Problems(Answers(budget: 0m) with { GpuHourlyUsd = new Dictionary<string, decimal> { ["L4"] = 0m } }, Table));
        Assert.Equal(["gpu_hourly_usd must be an object of GPU name and hourly price, such as { \"L4\": 0.80 }"],
            DecisionReportBuilder.Problems(Answers() with { GpuHourlyUsd = null! }, Table));

        var e = Assert.Throws<ArgumentException>(() => DecisionReportBuilder.Build(Traffic(1m), Answers() with { ModelSize = "13b", Quantisation = "fp8" }, Table));
        Assert.Equal("model_size '13b' is not in the sizing table (8b, 70b); quantisation 'fp8' is not one of fp16, int8, int4", e.Message);
    }
}
