using Tandem.Eval.Reports.Decision;
using Xunit;

namespace Tandem.Eval.Tests.Reports;

/// <summary>The answers file: what is left out keeps its documented default.</summary>
public sealed class DecisionAnswersTests
{
    [Fact]
    public void Read_OnlyPrices_KeepsTheDefaults()
    {
        var answers = System.Text.Json.JsonSerializer.Deserialize("""{ "gpu_hourly_usd": { "L4": 0.8 }, "ops_monthly_usd": 500 }""", DecisionJsonContext.Default.DecisionAnswers)!;
        Assert.Equal(("none", "none", "some", "8b", "fp16", 0.5, (decimal?)null), (answers.Privacy, answers.Customisation, answers.TeamSkills, answers.ModelSize, answers.Quantisation, answers.TargetUtilisation, answers.BudgetMonthlyUsd));
        Assert.Equal((0.8m, 500m), (answers.GpuHourlyUsd["L4"], answers.OpsMonthlyUsd));
    }

    private static Task<DecisionAnswers> ReadAsync(string json) =>
        DecisionReportQuery.ReadAnswersAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)), TestContext.Current.CancellationToken);

    [Fact]
    public async Task ReadAnswers_TheDocumentedExample_IsReadWhole()
    {
        // docs/DECISION.md's example, field for field.
        var a = await ReadAsync("""
            { "privacy": "some_routes", "customisation": "none", "team_skills": "some", "budget_monthly_usd": 5000, "model_size": "8b",
              "quantisation": "int8", "gpu_hourly_usd": { "L4": 0.80, "L40S": 1.90, "H100-SXM": 4.50 }, "ops_monthly_usd": 1500, "target_utilisation": 0.5 }
            """);
        Assert.Equal(("some_routes", "int8", 5000m, 1500m, 3), (a.Privacy, a.Quantisation, a.BudgetMonthlyUsd, a.OpsMonthlyUsd, a.GpuHourlyUsd.Count));
    }

    [Fact]
    public async Task ReadAnswers_AMisspeltField_IsRefusedNotIgnored()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ReadAsync("""{ "privasy": "all_data" }"""));
        Assert.StartsWith("The answers are not the checklist's JSON (docs/DECISION.md): ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'privasy'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Problems_EveryUnknownAnswer_IsNamed()
    {
        var answers = new DecisionAnswers
        {
            Privacy = "sometimes", Customisation = "lora", TeamSkills = "lots", BudgetMonthlyUsd = -1, OpsMonthlyUsd = -2,
            GpuHourlyUsd = new Dictionary<string, decimal> { ["L4"] = -0.5m, ["B200"] = 9m },
        };
        Assert.Equal(
            [
                "privacy 'sometimes' is not one of none, some_routes, all_data",
                "customisation 'lora' is not one of none, prompting, fine_tuning",
                "team_skills 'lots' is not one of none, some, mlops",
                "budget_monthly_usd must not be negative (leave it out for no cap)",
                "ops_monthly_usd must not be negative",
                "gpu_hourly_usd: the price of L4 must not be negative",
                "gpu_hourly_usd: 'B200' is not a GPU of the sizing table (L4, A10G, L40S, A100-80GB, H100-SXM)",
            ],
            DecisionReportBuilder.Problems(answers, GpuTable.Default));
        Assert.Empty(DecisionReportBuilder.Problems(new DecisionAnswers(), GpuTable.Default));
    }
}
