namespace Tandem.Eval.Suites;

/// <summary>
/// Takes a sample of a suite's cases for <c>--limit</c>: stratified by expected label (cases of other kinds form one
/// stratum per kind), deterministic for a seed, in file order. Taking the first N lines instead would keep only the
/// first few labels of a file grouped by label, as the public intent datasets are.
/// </summary>
public static class SuiteSampler
{
    /// <summary>
    /// Returns <paramref name="suite"/> with <paramref name="limit"/> of its cases, or the suite itself when it has no
    /// more. Each stratum gets its proportional share, rounded down; the cases left over go to the strata with the
    /// largest remainders (ties in a seeded order); within a stratum, cases are a seeded shuffle.
    /// </summary>
    public static EvalSuite Sample(EvalSuite suite, int limit, int seed)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit >= suite.Cases.Count)
        {
            return suite;
        }

        var random = new Random(seed);
        var strata = suite.Cases.Select((c, index) => (Case: c, Index: index))
            .GroupBy(x => x.Case.Kind == CaseKind.Classification ? "label:" + x.Case.Label : "kind:" + x.Case.Kind, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.ToArray())
            .ToArray();
        var total = suite.Cases.Count;
        var quotas = strata.Select(s => (long)limit * s.Length / total).Select(q => (int)q).ToArray();
        var tieOrder = Enumerable.Range(0, strata.Length).ToArray();
        random.Shuffle(tieOrder);
        var rank = new int[strata.Length];
        for (var i = 0; i < tieOrder.Length; i++)
        {
            rank[tieOrder[i]] = i;
        }

        // Largest remainder first; the seeded rank breaks ties, so equal strata take turns by seed rather than by name.
        var leftOver = limit - quotas.Sum();
        foreach (var s in Enumerable.Range(0, strata.Length)
            .OrderByDescending(s => ((long)limit * strata[s].Length) % total)
            .ThenBy(s => rank[s])
            .Take(leftOver))
        {
            quotas[s]++;
        }

        var chosen = new List<int>(limit);
        for (var s = 0; s < strata.Length; s++)
        {
            var members = strata[s];
            random.Shuffle(members);
            chosen.AddRange(members.Take(quotas[s]).Select(m => m.Index));
        }

        chosen.Sort();
        return suite with { Cases = chosen.Select(i => suite.Cases[i]).ToArray() };
    }
}
