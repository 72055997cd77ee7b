using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class RouterCalibrationTests
{
    // The RouterCurveTests outcomes: weak quality 0.5, strong 0.75; scores order e1 (0.9), e3 (0.6), e2 (0.4), e4 (0.1).
    private static readonly RouterExample[] Outcomes =
    [
        new("e1", WeakGood: false, StrongGood: true),
        new("e2", WeakGood: true, StrongGood: true),
        new("e3", WeakGood: false, StrongGood: true),
        new("e4", WeakGood: true, StrongGood: false),
    ];

    private static readonly double[] Scores = [0.9, 0.4, 0.6, 0.1];

    [Theory]
    [InlineData(0.0, 0.0, double.PositiveInfinity)]
    [InlineData(0.3, 0.25, 0.9)]   // 30 %: one of four prompts (25 %) at min 0.9
    [InlineData(0.5, 0.5, 0.6)]
    [InlineData(0.74, 0.5, 0.6)]   // 3/4 would exceed 74 %
    [InlineData(1.0, 1.0, 0.1)]
    public void ForStrongShare_LargestShareNotAboveTheTarget(double target, double share, double min)
    {
        var p = RouterCalibration.ForStrongShare(RouterCurve.Build(Outcomes, Scores), target);
        Assert.Equal((share, min), (p.StrongShare, p.Min));
    }

    [Fact]
    public void ForQuality_SmallestShareReachingTheFractionOfTheStrongModel()
    {
        var curve = RouterCurve.Build(Outcomes, Scores);
        // Qualities by share 0, 25, 50, 75, 100 %: 0.5, 0.75, 1.0, 1.0, 0.75. 95 % of 0.75 = 0.7125: first at 25 %.
        var p = RouterCalibration.ForQuality(curve, 0.95);
        Assert.NotNull(p);
        Assert.Equal((0.25, 0.75, 0.9), (p.Value.StrongShare, p.Value.Quality, p.Value.Min));
        // 1.0 / 0.75 = 133 % is reached at 50 %; 140 % never.
        Assert.Equal(0.5, RouterCalibration.ForQuality(curve, 4.0 / 3)!.Value.StrongShare);
        Assert.Null(RouterCalibration.ForQuality(curve, 1.4));
    }

    [Fact]
    public void Tiers_SeventyTwentyFiveFive_OnTwentyDistinctScores()
    {
        // Scores 0.00, 0.05, …, 0.95. Top 5 % = 1 score (0.95); top 30 % = 6 scores (0.70 and up).
        var scores = Enumerable.Range(0, 20).Select(i => i * 0.05).ToArray();
        var t = RouterCalibration.Tiers(scores, [0.70, 0.25, 0.05]);
        Assert.Equal(0, t.Mins[0]);
        Assert.Equal(0.70, t.Mins[1], 12);
        Assert.Equal(0.95, t.Mins[2], 12);
        Assert.Equal([0.70, 0.25, 0.05], t.Shares.Select(s => Math.Round(s, 12)));
    }

    [Fact]
    public void Tiers_EqualScoresAreNeverSplit_TheShareIsMetFromBelow()
    {
        // Ten scores, the top three equal: a 20 % top tier would split them, so it gets none of them (min above all).
        double[] scores = [0.9, 0.9, 0.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.0];
        var t = RouterCalibration.Tiers(scores, [0.5, 0.3, 0.2]);
        // Top 50 %: 5 scores, the 5th (0.4) differs from the 6th (0.3): min 0.4.
        Assert.Equal(0.4, t.Mins[1]);
        Assert.Equal(double.PositiveInfinity, t.Mins[2]);
        Assert.Equal([0.5, 0.5, 0.0], t.Shares);
    }
}
