using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>A cost bound written in plain decimals however small, and the argument guard of an evaluation's outcome.</summary>
public sealed class GateThresholdTextTests
{
    [Fact]
    public void CostBound_SmallerThanATenThousandth_IsWrittenInDecimals_NotInExponentForm()
    {
        // 0.00001 in .NET's general format is "1E-05"; the gate table shows dollars as people write them.
        var gates = new GatesConfig { MinSamples = 1, MinDuration = "0s", MaxCostPerRequest = 0.00001 };

        var report = GateEvaluator.Evaluate(gates, [], TimeSpan.Zero);

        Assert.Equal("<= 0.00001", report.Gates.Single(g => g.Name == "cost_per_request").Threshold);
    }

    [Fact]
    public void OutcomeOf_WithoutAReport_IsAnArgumentError() =>
        Assert.Equal("report", Assert.Throws<ArgumentNullException>(() => MigrationEvaluation.OutcomeOf(null!)).ParamName);
}
