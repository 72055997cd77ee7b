namespace Tandem.Eval.Metrics;

/// <summary>The few statistics an eval report needs, deterministic for a given seed.</summary>
public static class Statistics
{
    /// <summary>z for a two-sided 95 % interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Wilson score interval of a proportion (95 %); well-behaved near 0 and 1 and for small n.</summary>
    public static (double Low, double High) Wilson(int successes, int n) => Tandem.Migration.Statistics.Wilson(successes, n, Z95);

    /// <summary>Mean with a normal-approximation 95 % interval (mean ± 1.96·s/√n).</summary>
    public static (double Mean, double Low, double High) MeanInterval(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var mean = values.Average();
        if (values.Count == 1)
        {
            return (mean, mean, mean);
        }

        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        var half = Z95 * Math.Sqrt(variance / values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>
    /// Paired bootstrap of the mean difference <c>candidate − baseline</c>: resamples cases with replacement
    /// <paramref name="resamples"/> times with a seeded generator and returns the 2.5th and 97.5th percentiles.
    /// </summary>
    public static (double Difference, double Low, double High) PairedBootstrap(IReadOnlyList<double> baseline, IReadOnlyList<double> candidate, int seed, int resamples = 2000)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        if (baseline.Count != candidate.Count)
        {
            throw new ArgumentException("paired samples must have the same length", nameof(candidate));
        }

        var n = baseline.Count;
        if (n == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }

        var diffs = new double[n];
        for (var i = 0; i < n; i++)
        {
            diffs[i] = candidate[i] - baseline[i];
        }

        var observed = diffs.Average();
        var random = new Random(seed);
        var means = new double[resamples];
        for (var b = 0; b < resamples; b++)
        {
            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                sum += diffs[random.Next(n)];
            }

            means[b] = sum / n;
        }

        Array.Sort(means);
        return (observed, Quantile(means, 0.025), Quantile(means, 0.975));
    }

    /// <summary>
    /// McNemar's test on paired right/wrong outcomes. <paramref name="b"/>: baseline right, candidate wrong;
    /// <paramref name="c"/>: baseline wrong, candidate right. Returns the continuity-corrected χ² statistic and the
    /// exact two-sided binomial p-value (exact at every sample size, so no small-count caveat).
    /// </summary>
    public static (double ChiSquare, double PValue) McNemar(int b, int c)
    {
        var n = b + c;
        if (n == 0)
        {
            return (0, 1);
        }

        var chi = Math.Pow(Math.Abs(b - c) - 1, 2) / n;
        if (Math.Abs(b - c) <= 1)
        {
            chi = 0;
        }

        // P(X <= min(b,c)) for X ~ Binomial(n, 1/2), summed in log space to stay finite for large n.
        var k = Math.Min(b, c);
        var logHalfN = -n * Math.Log(2);
        double tail = 0;
        var logChoose = 0.0; // log C(n, 0)
        for (var i = 0; i <= k; i++)
        {
            if (i > 0)
            {
                logChoose += Math.Log(n - i + 1) - Math.Log(i);
            }

            tail += Math.Exp(logChoose + logHalfN);
        }

        return (chi, Math.Min(1, 2 * tail));
    }

    /// <summary>Linear-interpolated quantile of sorted values (the "R-7" definition used by NumPy and Excel).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(sorted.Count - 1, lo + 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }
}
