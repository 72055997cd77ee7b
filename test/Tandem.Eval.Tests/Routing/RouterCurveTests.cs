using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class RouterCurveTests
{
    // (weak good, strong good): weak quality 2/4 = 0.5, strong 3/4 = 0.75.
    private static readonly RouterExample[] Outcomes =
    [
        new("e1", WeakGood: false, StrongGood: true),
        new("e2", WeakGood: true, StrongGood: true),
        new("e3", WeakGood: false, StrongGood: true),
        new("e4", WeakGood: true, StrongGood: false),
    ];

    [Fact]
    public void Build_ByHand_PointsApgrAndCpt()
    {
        // Order e1, e3, e2, e4. Right answers with k sent to strong: k=0: 2; k=1: 3; k=2: 4; k=3: 4; k=4: 3.
        // PGR = (q - 0.5) / 0.25: 0, 1, 2, 2, 1. Trapezoids of width 0.25: 0.125 + 0.375 + 0.5 + 0.375 = 1.375.
        var curve = RouterCurve.Build(Outcomes, [0.9, 0.4, 0.6, 0.1]);

        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], curve.Points.Select(p => p.StrongShare));
        Assert.Equal([0.5, 0.75, 1.0, 1.0, 0.75], curve.Points.Select(p => p.Quality));
        Assert.Equal([0.0, 1.0, 2.0, 2.0, 1.0], curve.Points.Select(p => p.Pgr));
        Assert.Equal([double.PositiveInfinity, 0.9, 0.6, 0.4, 0.1], curve.Points.Select(p => p.Min));
        Assert.Equal(1.375, curve.Apgr, 12);
        Assert.Equal(0.25, curve.Cpt(0.5));
        Assert.Equal(0.25, curve.Cpt(0.8));
        Assert.Equal((0.5, 0.75), (curve.WeakQuality, curve.StrongQuality));
    }

    [Fact]
    public void Build_TiedScoresMoveTogether()
    {
        // e1 and e3 tie: points k = 0, 2, 3, 4 with PGR 0, 2, 2, 1: 0.5 * 1 + 0.25 * 2 + 0.25 * 1.5 = 1.375;
        // CPT(50 %) is now 0.5, the first point past the tie.
        var curve = RouterCurve.Build(Outcomes, [0.9, 0.4, 0.9, 0.1]);

        Assert.Equal([0.0, 0.5, 0.75, 1.0], curve.Points.Select(p => p.StrongShare));
        Assert.Equal(1.375, curve.Apgr, 12);
        Assert.Equal(0.5, curve.Cpt(0.5));
    }

    [Fact]
    public void Build_WorstOrder_NeverReachesHalfTheGap()
    {
        // Reverse order e4, e2, e3, e1: right answers 2, 1, 1, 2, 3 → PGR 0, -1, -1, 0, 1; CPT(50 %) only at 100 %.
        // Area: 0.25 * (-0.5) + 0.25 * (-1) + 0.25 * (-0.5) + 0.25 * 0.5 = -0.375.
        var curve = RouterCurve.Build(Outcomes, [0.1, 0.6, 0.4, 0.9]);

        Assert.Equal(-0.375, curve.Apgr, 12);
        Assert.Equal(1.0, curve.Cpt(0.5));
        Assert.Null(curve.Cpt(1.5));
    }
}
