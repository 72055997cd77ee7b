using System.Globalization;
using Tandem.Eval.Routing;

namespace Tandem.Cli.Commands;

/// <summary>The calibration targets of <c>tandem router eval</c>.</summary>
internal sealed record CalibrationTargets(double? StrongShare, double? Quality, IReadOnlyList<double>? TierShares);

/// <summary>
/// Prints the calibration <c>tandem router eval</c> was asked for: the tier min for a target strong share or a target
/// quality, and the levels of three or more tiers for target shares, chosen on the outcomes evaluated.
/// </summary>
internal static class RouterCalibrationReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static bool TryParse(double? share, double? quality, string? tierShares, out CalibrationTargets targets, out string error)
    {
        targets = new CalibrationTargets(share, quality, null);
        error = "";
        if (share is < 0 or > 1 || quality is <= 0 or > 1)
        {
            error = "--target-strong-share must be 0–1 and --target-quality above 0 and at most 1";
            return false;
        }

        if (tierShares is null)
        {
            return true;
        }

        var parts = tierShares.Split(',', StringSplitOptions.TrimEntries);
        var values = new List<double>();
        foreach (var p in parts)
        {
            if (!double.TryParse(p, NumberStyles.Float, C, out var v) || v < 0)
            {
                error = $"--tier-shares '{tierShares}': '{p}' is not a percentage";
                return false;
            }

            values.Add(v);
        }

        if (values.Count < 2 || Math.Abs(values.Sum() - 100) > 1e-6)
        {
            error = $"--tier-shares '{tierShares}' needs two or more percentages, cheapest tier first, that add up to 100";
            return false;
        }

        targets = targets with { TierShares = [.. values.Select(v => v / 100)] };
        return true;
    }

    public static async Task WriteAsync(TextWriter output, CalibrationTargets targets, string router, RouterCurve curve, IReadOnlyList<double> scores)
    {
        if (targets is { StrongShare: null, Quality: null, TierShares: null })
        {
            return;
        }

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync($"calibration of {router} on these {scores.Count.ToString(C)} outcomes:").ConfigureAwait(false);
        if (targets.StrongShare is { } share)
        {
            var p = RouterCalibration.ForStrongShare(curve, share);
            await output.WriteLineAsync($"  target strong share {share.ToString("P0", C)}: {Point(p)}").ConfigureAwait(false);
        }

        if (targets.Quality is { } quality)
        {
            var p = RouterCalibration.ForQuality(curve, quality);
            await output.WriteLineAsync($"  target quality {quality.ToString("P0", C)} of the strong model's ({(quality * curve.StrongQuality).ToString("P1", C)}): "
                + (p is { } point ? Point(point) : "not reached at any share")).ConfigureAwait(false);
        }

        if (targets.TierShares is { } shares)
        {
            var t = RouterCalibration.Tiers(scores, shares);
            await output.WriteLineAsync($"  tiers {string.Join('/', shares.Select(s => (s * 100).ToString("0.##", C)))} (cheapest first; replace TIERn with each deployment), shares on this data {string.Join(", ", t.Shares.Select(s => s.ToString("P1", C)))}:").ConfigureAwait(false);
            await output.WriteLineAsync("  levels: [ " + string.Join(", ", t.Mins.Select((m, j) => $"{{ min: {Min(m)}, deployment: TIER{j.ToString(C)} }}")) + " ]").ConfigureAwait(false);
        }

        static string Point(CurvePoint p) =>
            $"min {Min(p.Min)} ({p.StrongShare.ToString("P1", C)} strong, quality {p.Quality.ToString("P1", C)}, PGR {p.Pgr.ToString("0.000", C)})";

        // A tier no score reaches: a min above every score (scores are 0–1).
        static string Min(double m) => double.IsPositiveInfinity(m) ? "1.01" : m.ToString("0.######", C);
    }
}
