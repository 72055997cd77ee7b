namespace Tandem.Eval.Routing;

/// <summary>
/// One point of a quality-versus-strong-share curve. <paramref name="Min"/> is the tier <c>min</c> that gives this
/// share: the lowest score sent to the strong model (positive infinity at share 0).
/// </summary>
internal readonly record struct CurvePoint(double StrongShare, double Quality, double Pgr, double Min);

/// <summary>
/// The quality of routing a set of outcomes by a score, at every strong-model share the score allows (RouteLLM,
/// Ong et al. 2024): the highest-scoring prompts go to the strong model first; prompts with equal scores move
/// together, so the curve has a point per distinct score. PGR = (quality − weak) / (strong − weak); APGR is the
/// area under PGR over the strong share from 0 to 1 (trapezoids between the points); CPT(x) is the smallest strong
/// share whose PGR reaches x.
/// </summary>
internal sealed class RouterCurve
{
    private RouterCurve(IReadOnlyList<CurvePoint> points, double weak, double strong)
    {
        Points = points;
        WeakQuality = weak;
        StrongQuality = strong;
    }

    public IReadOnlyList<CurvePoint> Points { get; }

    public double WeakQuality { get; }

    public double StrongQuality { get; }

    public double Apgr
    {
        get
        {
            var area = 0.0;
            for (var i = 1; i < Points.Count; i++)
            {
                area += (Points[i].StrongShare - Points[i - 1].StrongShare) * (Points[i].Pgr + Points[i - 1].Pgr) / 2;
            }

            return area;
        }
    }

    /// <summary>The smallest strong share reaching PGR <paramref name="pgr"/>, or null when none does.</summary>
    public double? Cpt(double pgr) => Points.Where(p => p.Pgr >= pgr - 1e-12).Select(p => (double?)p.StrongShare).FirstOrDefault();

    /// <summary>Builds the curve; every outcome needs the strong model's result, and the two models must differ in quality.</summary>
    public static RouterCurve Build(IReadOnlyList<RouterExample> outcomes, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(scores);
        if (outcomes.Count == 0 || outcomes.Count != scores.Count || outcomes.Any(o => o.StrongGood is null))
        {
            throw new ArgumentException("the curve needs one score per outcome and the strong model's result for every outcome", nameof(outcomes));
        }

        double n = outcomes.Count;
        var weak = outcomes.Count(o => o.WeakGood) / n;
        var strong = outcomes.Count(o => o.StrongGood == true) / n;
        if (weak == strong)
        {
            throw new ArgumentException("the weak and strong models have the same quality on this data; PGR is undefined", nameof(outcomes));
        }

        var order = Enumerable.Range(0, outcomes.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var correct = outcomes.Count(o => o.WeakGood);
        var points = new List<CurvePoint> { Point(0, correct, double.PositiveInfinity) };
        for (var k = 0; k < order.Length;)
        {
            var score = scores[order[k]];
            while (k < order.Length && scores[order[k]] == score)
            {
                var o = outcomes[order[k]];
                correct += (o.StrongGood == true ? 1 : 0) - (o.WeakGood ? 1 : 0);
                k++;
            }

            points.Add(Point(k, correct, score));
        }

        return new RouterCurve(points, weak, strong);

        CurvePoint Point(int toStrong, int right, double min)
        {
            var quality = right / n;
            return new CurvePoint(toStrong / n, quality, (quality - weak) / (strong - weak), min);
        }
    }
}
