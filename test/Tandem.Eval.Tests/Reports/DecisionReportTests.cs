using Tandem.Eval.Reports.Decision;
using Xunit;

namespace Tandem.Eval.Tests.Reports;

/// <summary>GPU sizing and the stay / hybrid / migrate rules, with every figure worked out by hand in the comments.</summary>
public sealed class DecisionReportTests
{
    private static readonly GpuTable Table = GpuTable.Default;

    private static GpuSpec Gpu(string name) => Table.Gpus.Single(g => g.Name == name);

    private static ModelSpec Model(string name) => Table.Models.Single(m => m.Name == name);

    private static QuantisationSpec Q(string name) => Table.Quantisations.Single(q => q.Name == name);

    [Fact]
    public void Size_8bFp16OnL4_OneGpuWith21SequencesOf2000Tokens()
    {
        // weights 8.03e9 × 2 = 16.06 GB; KV/token 2 × 32 × 8 × 128 × 2 = 131,072 B; a 2,000-token sequence 262,144,000 B.
        // usable 24 GB × 0.9 = 21.6 GB ⇒ ⌊(21.6e9 − 16.06e9) ÷ 262,144,000⌋ = ⌊21.13⌋ = 21 sequences.
        // tokens/s = 21 × 300e9 ÷ (16.06e9 + 21 × 262,144,000) = 6.3e12 ÷ 21.565024e9 = 292.1397.
        // peak 100 at 50 %: ⌈100 ÷ 146.07⌉ = 1 replica; 1 × $0.80 × 730 h = $584.00.
        var option = GpuSizing.Size(Gpu("L4"), Model("8b"), Q("fp16"), 0.9, 100, 2000, 0.5, 0.80m)!;
        Assert.Equal(("L4", 1, 21, 1, 1, 584.00m), (option.Gpu, option.GpusPerReplica, option.ConcurrentSequences, option.Replicas, option.Gpus, option.MonthlyCost));
        Assert.Equal(292.1397, option.ReplicaTokensPerSecond, 4);
    }

    [Fact]
    public void Size_70bFp16OnH100_TwoWayTensorParallelAndSixReplicasFor500TokensPerSecond()
    {
        // weights 70.6e9 × 2 = 141.2 GB > 72 GB on one; two hold 144 GB ≥ 141.2 GB + 655.36 MB (KV/token 327,680 B × 2,000).
        // ⌊(144e9 − 141.2e9) ÷ 655.36e6⌋ = ⌊4.27⌋ = 4; tokens/s = 4 × 2 × 3,350e9 ÷ (141.2e9 + 4 × 655.36e6) = 186.3422.
        // ⌈500 ÷ (186.3422 × 0.5)⌉ = ⌈5.37⌉ = 6 replicas = 12 GPUs; no price ⇒ no cost.
        var option = GpuSizing.Size(Gpu("H100-SXM"), Model("70b"), Q("fp16"), 0.9, 500, 2000, 0.5, null)!;
        Assert.Equal((2, 4, 6, 12, (decimal?)null), (option.GpusPerReplica, option.ConcurrentSequences, option.Replicas, option.Gpus, option.MonthlyCost));
        Assert.Equal(186.3422, option.ReplicaTokensPerSecond, 4);
    }

    [Fact]
    public void Size_70bFp16OnL4_NeedsEightAndNothingFitsAContextTooLongForThem()
    {
        // 8 × 21.6 GB = 172.8 GB: ⌊(172.8e9 − 141.2e9) ÷ 655.36e6⌋ = 48 sequences; 48 × 8 × 300e9 ÷ (141.2e9 + 48 × 655.36e6) = 667.2177.
        var option = GpuSizing.Size(Gpu("L4"), Model("70b"), Q("fp16"), 0.9, 1, 2000, 0.5, null)!;
        Assert.Equal((8, 48), (option.GpusPerReplica, option.ConcurrentSequences));
        Assert.Equal(667.2177, option.ReplicaTokensPerSecond, 4);

        // A 100,000-token context needs 32.8 GB of KV cache beside the weights: more than 8 × 21.6 − 141.2 = 31.6 GB.
        Assert.Null(GpuSizing.Size(Gpu("L4"), Model("70b"), Q("fp16"), 0.9, 1, 100_000, 0.5, null));
    }

    private static TrafficProfile Traffic(decimal apiSpend) => new()
    {
        // 750 M tokens in 30 days ⇒ 750 M a month; peak 100 tokens/s; p95 context 2,000.
        Days = 30,
        Requests = 1_000_000,
        PromptTokens = 600_000_000,
        CompletionTokens = 150_000_000,
        PeakTokensPerSecond = 100,
        P95ContextTokens = 2000,
        ApiSpend = apiSpend,
    };

    private static DecisionAnswers Answers => new()
    {
        ModelSize = "8b",
        Quantisation = "fp16",
        GpuHourlyUsd = new Dictionary<string, decimal> { ["L4"] = 0.80m },
        OpsMonthlyUsd = 500m,
        TeamSkills = "mlops",
    };

    [Fact]
    public void Build_SelfHostingCheaperToday_MigrateWithTcoAndBreakEven()
    {
        // API: $1,500 for 750 M tokens = $2 per million. Self-host: 1 L4 ($584) + $500 ops = $1,084 ≤ $1,500 ⇒ migrate.
        // Break-even: $1,084 ÷ $0.000002 = 542,000,000 tokens a month.
        // 10×: API $15,000; peak 1,000 ⇒ ⌈1,000 ÷ 146.07⌉ = 7 L4s = $4,088 + $500 = $4,588.
        var report = DecisionReportBuilder.Build(Traffic(1500m), Answers, Table);
        Assert.Equal(Recommendation.Migrate, report.Recommendation);
        Assert.Equal(2.0000m, report.ApiPricePerMtok);
        Assert.Equal((750_000_000d, 1500.00m, (decimal?)1084.00m), (report.Observed.TokensPerMonth, report.Observed.ApiMonthly, report.Observed.SelfHostMonthly));
        Assert.Equal((7_500_000_000d, 15000.00m, (decimal?)4588.00m), (report.TenTimes.TokensPerMonth, report.TenTimes.ApiMonthly, report.TenTimes.SelfHostMonthly));
        Assert.Equal(7, report.TenTimes.Option!.Gpus);
        Assert.Equal(542_000_000d, report.BreakEvenTokensPerMonth!.Value, 3);
        Assert.Equal("At the observed volume self-hosting costs $1084.00 a month against $1500.00 on the API.", report.Reasons[0]);
        Assert.Equal(5, report.Gpus.Count); // every GPU of the table holds 8B at fp16
    }

    [Theory]
    // $750 for 750 M tokens = $1/M: API $750 < $1,084 today, but $7,500 ≥ $4,588 at 10× ⇒ hybrid.
    [InlineData(750, "mlops", "none", "none", null, Recommendation.Hybrid)]
    // Nobody runs GPUs: one step down.
    [InlineData(750, "none", "none", "none", null, Recommendation.Stay)]
    [InlineData(1500, "none", "none", "none", null, Recommendation.Hybrid)]
    // $100 for 750 M tokens: $1,000 at 10× < $4,588 ⇒ stay; fine-tuning lifts it to hybrid, some private routes too.
    [InlineData(100, "mlops", "none", "none", null, Recommendation.Stay)]
    [InlineData(100, "mlops", "fine_tuning", "none", null, Recommendation.Hybrid)]
    [InlineData(100, "mlops", "none", "some_routes", null, Recommendation.Hybrid)]
    // No data may leave: migrate whatever it costs, and over any budget.
    [InlineData(100, "none", "none", "all_data", 500, Recommendation.Migrate)]
    // Over the budget ($1,084 > $1,000): stay.
    [InlineData(1500, "mlops", "none", "none", 1000, Recommendation.Stay)]
    [InlineData(1500, "mlops", "none", "none", 1084, Recommendation.Migrate)]
    public void Build_Checklist_Recommends(int apiSpend, string skills, string customisation, string privacy, int? budget, Recommendation expected)
    {
        var answers = Answers with { TeamSkills = skills, Customisation = customisation, Privacy = privacy, BudgetMonthlyUsd = budget };
        Assert.Equal(expected, DecisionReportBuilder.Build(Traffic(apiSpend), answers, Table).Recommendation);
    }

    [Fact]
    public void Build_NoPricedGpu_StaysAndSaysWhy()
    {
        var report = DecisionReportBuilder.Build(Traffic(1500m), Answers with { GpuHourlyUsd = new Dictionary<string, decimal>() }, Table);
        Assert.Equal(Recommendation.Stay, report.Recommendation);
        Assert.Null(report.BreakEvenTokensPerMonth);
        Assert.StartsWith("No priced GPU option fits", report.Reasons[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("13b", "fp16", "model_size '13b'")]
    [InlineData("8b", "fp8", "quantisation 'fp8'")]
    public void Build_UnknownModelOrFormat_IsRefused(string model, string format, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => DecisionReportBuilder.Build(Traffic(1), Answers with { ModelSize = model, Quantisation = format }, Table));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Table_EveryEntryNamesItsSource()
    {
        Assert.All(Table.Gpus, g => Assert.NotEmpty(g.Source));
        Assert.All(Table.Models, m => Assert.NotEmpty(m.Source));
        Assert.All(Table.Quantisations, q => Assert.NotEmpty(q.Source));
        Assert.Equal(0.9, Table.MemoryUtilisation);
    }
}
