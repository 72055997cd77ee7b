using Tandem.Classification;
using Tandem.Eval.Classification;
using Xunit;

namespace Tandem.Eval.Tests.Classification;

public sealed class IntentMetricsTests
{
    /// <summary>Confidences from the top: 0.99 ✓, 0.95 ✓, 0.90 ✓, 0.80 ✗, 0.70 ✓, 0.60 ✗.</summary>
    private static readonly ScoredIntent[] Scored =
    [
        new("a", "a", 0.99), new("b", "b", 0.95), new("a", "a", 0.90), new("a", "b", 0.80), new("c", "c", 0.70), new("c", "a", 0.60),
    ];

    [Theory]
    // Runs from the top: 1/1, 2/2, 3/3, 3/4 = 0.75, 4/5 = 0.8, 4/6 = 0.667. The longest run at the target wins.
    [InlineData(0.75, 0.70, 5, 4)]
    [InlineData(0.80, 0.70, 5, 4)]
    [InlineData(0.90, 0.90, 3, 3)]
    [InlineData(0.60, 0.60, 6, 4)]
    public void Calibrate_LongestRunAtTheTarget(double target, double threshold, int answered, int correct)
    {
        var c = IntentMetrics.Calibrate(Scored, target);

        Assert.Equal((threshold, target), (c.Threshold, c.TargetAccuracy));
        Assert.Equal(answered / 6.0, c.Coverage, 12);
        Assert.Equal(correct / (double)answered, c.Accuracy, 12);
    }

    [Fact]
    public void Calibrate_TopAnswerWrong_NoThreshold()
    {
        var c = IntentMetrics.Calibrate([new("a", "b", 0.9), new("a", "a", 0.8)], 0.99);

        Assert.True(double.IsPositiveInfinity(c.Threshold));
        Assert.Equal(0, c.Coverage);
    }

    [Fact]
    public void Calibrate_TiedConfidences_NeverSplit()
    {
        // Cutting between the two 0.9s would give 1/1, but no threshold can: 1/2, then 2/3, both below 0.9.
        var c = IntentMetrics.Calibrate([new("a", "a", 0.9), new("a", "b", 0.9), new("b", "b", 0.5)], 0.9);

        Assert.True(double.IsPositiveInfinity(c.Threshold));
    }

    [Fact]
    public void Report_OutOfScopeRecall_WithAndWithoutTheThreshold()
    {
        ScoredIntent[] scored =
        [
            new("a", "a", 0.9), new("b", "b", 0.8), new("a", "oos", 0.7), // in scope: 2 of 3 right
            new("oos", "oos", 0.95), new("oos", "a", 0.4), new("oos", "b", 0.85), new("oos", "oos", 0.3), // oos: 2 of 4 predicted as oos, 1 more below 0.75
        ];

        var r = IntentMetrics.Report(scored, new IntentCalibration(0.75, 0.99, 1, 0.5), "oos");

        Assert.Equal((7, 3, 4), (r.Total, r.InScope, r.OutOfScopeCount));
        Assert.Equal(4 / 7.0, r.Accuracy, 12);
        Assert.Equal(2 / 3.0, r.InScopeAccuracy, 12);
        Assert.Equal(0.5, r.OutOfScopeRecall);
        Assert.Equal(0.75, r.OutOfScopeRecallWithThreshold);
        Assert.Equal((4, 3), (r.AtThreshold.Answered, r.AtThreshold.Correct)); // 0.9 ✓, 0.8 ✓, 0.95 ✓, 0.85 ✗
        Assert.Equal((2, 2), (r.InScopeAtThreshold.Answered, r.InScopeAtThreshold.Correct));
    }
}
