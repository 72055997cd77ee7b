using Tandem.Eval.Suites;
using Tandem.Quality;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

/// <summary><c>--limit</c> samples across labels, deterministically (issue 18, item 14).</summary>
public sealed class SuiteSamplerTests
{
    /// <summary>A suite grouped by label, as CLINC150 and BANKING77 files are: 8 × a, then 4 × b, then 4 × c.</summary>
    private static EvalSuite Grouped(params (string Label, int Count)[] labels)
    {
        var cases = labels.SelectMany(l => Enumerable.Range(1, l.Count).Select(i => new EvalCase
        {
            Id = $"{l.Label}{i}",
            Messages = [new ChatTurn("user", $"{l.Label} text {i}")],
            Kind = CaseKind.Classification,
            Label = l.Label,
        })).ToArray();
        return new EvalSuite { Name = "grouped", Cases = cases, Fingerprint = "f" };
    }

    private static Dictionary<string, int> CountByLabel(EvalSuite suite) =>
        suite.Cases.GroupBy(c => c.Label!).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Sample_GroupedSuite_TakesEachLabelInProportion()
    {
        var suite = Grouped(("a", 8), ("b", 4), ("c", 4));
        // 4 of 16: a gets 4 × 8/16 = 2, b and c 4 × 4/16 = 1 each (the first 4 lines would all be a).
        var sample = SuiteSampler.Sample(suite, 4, seed: 42);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1, ["c"] = 1 }, CountByLabel(sample));

        // 8 of 16: 4, 2, 2.
        Assert.Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 2, ["c"] = 2 }, CountByLabel(SuiteSampler.Sample(suite, 8, seed: 7)));
    }

    [Fact]
    public void Sample_SameSeed_SameCasesInFileOrder()
    {
        var suite = Grouped(("a", 8), ("b", 4), ("c", 4));
        var first = SuiteSampler.Sample(suite, 6, seed: 3).Cases.Select(c => c.Id).ToArray();
        Assert.Equal(first, SuiteSampler.Sample(suite, 6, seed: 3).Cases.Select(c => c.Id));
        var order = suite.Cases.Select(c => c.Id).ToList();
        Assert.Equal(first.OrderBy(order.IndexOf), first);
        Assert.Equal(6, first.Distinct().Count());
    }

    [Fact]
    public void Sample_FewerCasesThanLabels_TakesOneEachFromDistinctLabels()
    {
        // 2 of 9 over three equal labels: each is owed 2/3 of a case; two labels get one, by seed.
        var suite = Grouped(("a", 3), ("b", 3), ("c", 3));
        for (var seed = 0; seed < 20; seed++)
        {
            var counts = CountByLabel(SuiteSampler.Sample(suite, 2, seed));
            Assert.Equal([1, 1], counts.Values);
        }
    }

    [Fact]
    public void Sample_NotFewerThanTheSuite_ReturnsItWhole()
    {
        var suite = Grouped(("a", 2), ("b", 1));
        Assert.Same(suite, SuiteSampler.Sample(suite, 3, seed: 1));
        Assert.Empty(SuiteSampler.Sample(suite, 0, seed: 1).Cases);
    }

    [Fact]
    public void Sample_CasesWithoutLabels_AreAStratumPerKind()
    {
        var labelled = Grouped(("a", 4)).Cases;
        var generation = Enumerable.Range(1, 4).Select(i => new EvalCase { Id = "g" + i, Messages = [new ChatTurn("user", "write")], Kind = CaseKind.Generation, Reference = "r" });
        var suite = new EvalSuite { Name = "mixed", Cases = [.. labelled, .. generation], Fingerprint = "f" };
        var sample = SuiteSampler.Sample(suite, 4, seed: 5);
        Assert.Equal(2, sample.Cases.Count(c => c.Kind == CaseKind.Generation));
        Assert.Equal(2, sample.Cases.Count(c => c.Kind == CaseKind.Classification));
    }
}
