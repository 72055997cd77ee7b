namespace Tandem.Eval.Classification;

/// <summary>Chance-corrected agreement between raters who each labelled the same items.</summary>
public static class Agreement
{
    /// <summary>
    /// Cohen's κ of two raters: (p_o − p_e) / (1 − p_e), where p_o is the share of items they label alike and p_e the
    /// agreement expected by chance from each rater's own label frequencies. Null when p_e is 1 (both used one label).
    /// </summary>
    /// <param name="pairs">Each item's two labels.</param>
    public static double? Cohen(IReadOnlyList<(string A, string B)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            return null;
        }

        double n = pairs.Count;
        var observed = pairs.Count(p => p.A == p.B) / n;
        var a = pairs.GroupBy(p => p.A, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count() / n, StringComparer.Ordinal);
        var b = pairs.GroupBy(p => p.B, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count() / n, StringComparer.Ordinal);
        var expected = a.Sum(p => p.Value * b.GetValueOrDefault(p.Key));
        return expected >= 1 ? null : (observed - expected) / (1 - expected);
    }

    /// <summary>
    /// Fleiss' κ of three raters or more, every item labelled by each: (P̄ − P̄e) / (1 − P̄e), where P̄ is the mean over
    /// items of the share of rater pairs that agree, (Σ_j n_ij² − n) / (n (n − 1)), and P̄e = Σ_j p_j² with p_j the
    /// share of all labels that are j. Null when P̄e is 1.
    /// </summary>
    /// <param name="items">Each item's labels, one per rater (the same count for every item).</param>
    public static double? Fleiss(IReadOnlyList<IReadOnlyList<string>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return null;
        }

        var n = items[0].Count;
        if (n < 2 || items.Any(i => i.Count != n))
        {
            throw new ArgumentException("Fleiss' kappa needs the same number (two or more) of labels for every item", nameof(items));
        }

        var perItem = items.Select(i => i.GroupBy(l => l, StringComparer.Ordinal).Sum(g => (double)g.Count() * g.Count())).ToList();
        var meanAgreement = perItem.Average(s => (s - n) / (n * (n - 1.0)));
        var total = (double)items.Count * n;
        var expected = items.SelectMany(i => i).GroupBy(l => l, StringComparer.Ordinal).Sum(g => Math.Pow(g.Count() / total, 2));
        return expected >= 1 ? null : (meanAgreement - expected) / (1 - expected);
    }

    /// <summary>The label most raters gave, or null when the top count is shared (no majority to train on).</summary>
    public static string? Majority(IEnumerable<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var counts = labels.GroupBy(l => l, StringComparer.Ordinal).Select(g => (g.Key, Count: g.Count())).OrderByDescending(g => g.Count).ToList();
        return counts.Count == 0 || (counts.Count > 1 && counts[0].Count == counts[1].Count) ? null : counts[0].Key;
    }
}
