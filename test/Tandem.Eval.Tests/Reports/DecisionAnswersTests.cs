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
}
