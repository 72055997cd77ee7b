namespace Tandem.Eval.Routing;

/// <summary>Tier mins that split scored traffic into tiers, with the shares they give on the data they were chosen on.</summary>
/// <param name="Mins">The <c>min</c> of each tier, cheapest first (the first is 0).</param>
/// <param name="Shares">The share of the data each tier receives with these mins.</param>
internal sealed record TierCalibration(IReadOnlyList<double> Mins, IReadOnlyList<double> Shares);

/// <summary>
/// Calibration of a router's thresholds on scored outcomes (issue 12, item 3): the tier <c>min</c> for a target
/// strong-model share, for a target quality, and the mins of three or more tiers for target shares (70/25/5).
/// Prompts with equal scores cannot be split, so a share is met from below: the largest share not above the target.
/// </summary>
internal static class RouterCalibration
{
    /// <summary>The curve point sending the largest share of traffic to the strong model that does not exceed <paramref name="share"/>.</summary>
    public static CurvePoint ForStrongShare(RouterCurve curve, double share)
    {
        ArgumentNullException.ThrowIfNull(curve);
        return curve.Points.Last(p => p.StrongShare <= share + 1e-12);
    }

    /// <summary>
    /// The curve point with the smallest strong share whose quality reaches <paramref name="fractionOfStrong"/> of
    /// the strong model's quality (0.95: 95 % of what sending everything to the strong model achieves), or null.
    /// </summary>
    public static CurvePoint? ForQuality(RouterCurve curve, double fractionOfStrong)
    {
        ArgumentNullException.ThrowIfNull(curve);
        var target = fractionOfStrong * curve.StrongQuality;
        return curve.Points.Where(p => p.Quality >= target - 1e-12).Select(p => (CurvePoint?)p).FirstOrDefault();
    }

    /// <summary>
    /// Mins of tiers (cheapest first) receiving the target <paramref name="shares"/> (summing to 1) of
    /// <paramref name="scores"/>: tier j's min is the lowest score among the top (share of tiers j and above) of the
    /// scores, never splitting equal scores, so each cumulative share is met from below.
    /// </summary>
    public static TierCalibration Tiers(IReadOnlyList<double> scores, IReadOnlyList<double> shares)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(shares);
        if (scores.Count == 0 || shares.Count < 2 || shares.Any(s => s < 0) || Math.Abs(shares.Sum() - 1) > 1e-9)
        {
            throw new ArgumentException("tier calibration needs scores and two or more shares summing to 1", nameof(shares));
        }

        var sorted = scores.OrderByDescending(s => s).ToArray();
        var n = sorted.Length;
        var mins = new double[shares.Count];
        var above = 0.0;
        for (var j = shares.Count - 1; j >= 1; j--)
        {
            above += shares[j];
            // The largest k with k / n <= above whose k-th score differs from the next one (ties move together).
            var k = (int)Math.Floor((above * n) + 1e-9);
            while (k > 0 && k < n && sorted[k - 1] == sorted[k])
            {
                k--;
            }

            mins[j] = k == 0 ? double.PositiveInfinity : sorted[k - 1];
        }

        // A higher tier's min never sits below a lower one's (tiers are chosen highest min first).
        for (var j = 2; j < mins.Length; j++)
        {
            mins[j] = Math.Max(mins[j], mins[j - 1]);
        }

        var counts = new int[shares.Count];
        foreach (var s in scores)
        {
            var tier = 0;
            for (var j = mins.Length - 1; j >= 1; j--)
            {
                if (s >= mins[j])
                {
                    tier = j;
                    break;
                }
            }

            counts[tier]++;
        }

        return new TierCalibration(mins, [.. counts.Select(c => c / (double)n)]);
    }
}
