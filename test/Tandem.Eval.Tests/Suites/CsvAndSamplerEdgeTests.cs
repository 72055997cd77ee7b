using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Xunit;

namespace Tandem.Eval.Tests.Suites;

/// <summary>
/// CSV rows at their edges (a quote opening the input, a quote inside a field, empty fields, a blank first line, the
/// row named by an unclosed quote), the sampler's largest remainders, strata by case kind and seeded choices within
/// and between strata, and the label prefixes and separators an answer may carry.
/// </summary>
public sealed class CsvAndSamplerEdgeTests
{
    private static string[][] Rows(string text) => [.. CsvReader.ReadRows(new StringReader(text))];

    [Fact]
    public void Csv_QuotesOnlyOpenAField_EmptyFieldsCount_BlankLinesDoNot()
    {
        Assert.Equal([["a,b", "c"]], Rows("\"a,b\",c"));
        Assert.Equal([["a\"b\"", "c"]], Rows("a\"b\",c\n"));
        Assert.Equal([["", ""]], Rows(",\n"));
        Assert.Equal([["x"]], Rows("\n\r\nx"));
    }

    [Fact]
    public void Csv_UnclosedQuote_NamesTheRowItOpensOn()
    {
        var e = Assert.Throws<FormatException>(() => Rows("h1,h2\n1,2\n3,\"open\n4,5\n"));

        Assert.Equal("CSV row 3: a quoted field is not closed", e.Message);
    }

    private static EvalCase Case(string id, CaseKind kind, string? label = null) => new()
    {
        Id = id,
        Messages = [new ChatTurn("user", id)],
        Kind = kind,
        Label = label,
        RequiredFields = kind == CaseKind.Extraction ? ["f"] : [],
        Reference = kind == CaseKind.Generation ? "r" : null,
    };

    private static EvalSuite Suite(params EvalCase[] cases) => new() { Name = "s", Cases = cases, Fingerprint = "f" };

    private static EvalSuite Labelled(params (string Label, int Count)[] labels) =>
        Suite([.. labels.SelectMany(l => Enumerable.Range(1, l.Count).Select(i => Case(l.Label + i, CaseKind.Classification, l.Label)))]);

    private static Dictionary<string, int> Counts(EvalSuite suite) =>
        suite.Cases.GroupBy(c => c.Label ?? c.Kind.ToString()).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Sampler_LeftOverCasesGoToTheLargestRemainders()
    {
        // 3 of 10 over a × 7, b × 2, c × 1: shares 2.1, 0.6, 0.3 → floors 2, 0, 0; one case left over goes to the
        // largest remainder, b (0.6), not a (0.1) nor c (0.3).
        var counts = Counts(SuiteSampler.Sample(Labelled(("a", 7), ("b", 2), ("c", 1)), 3, seed: 1));

        Assert.Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 }, counts);
    }

    [Fact]
    public void Sampler_CasesOfOtherKinds_FormOneStratumPerKind()
    {
        // 4 of 8: two labelled strata of 2 and two kinds of 2 each get 4 × 2/8 = 1.
        var suite = Suite(
            Case("c1", CaseKind.Classification, "x"), Case("c2", CaseKind.Classification, "x"),
            Case("c3", CaseKind.Classification, "y"), Case("c4", CaseKind.Classification, "y"),
            Case("e1", CaseKind.Extraction), Case("e2", CaseKind.Extraction),
            Case("g1", CaseKind.Generation), Case("g2", CaseKind.Generation));

        for (var seed = 0; seed < 5; seed++)
        {
            Assert.Equal(new Dictionary<string, int> { ["x"] = 1, ["y"] = 1, ["Extraction"] = 1, ["Generation"] = 1 }, Counts(SuiteSampler.Sample(suite, 4, seed)));
        }
    }

    [Fact]
    public void Sampler_TheSeedChoosesWithinAStratum_AndBetweenEqualStrata()
    {
        // a × 4 and b × 4, 1 of 8: each owed half a case, a tie the seed breaks; within the winner, which case is
        // the seed's too. Over 20 seeds both strata win and more than one case of a stratum is chosen.
        var suite = Labelled(("a", 4), ("b", 4));
        var chosen = Enumerable.Range(0, 20).Select(seed => SuiteSampler.Sample(suite, 1, seed).Cases.Single().Id).ToArray();

        Assert.Contains(chosen, id => id.StartsWith('a'));
        Assert.Contains(chosen, id => id.StartsWith('b'));
        Assert.True(chosen.Where(id => id.StartsWith('a')).Distinct().Count() > 1, string.Join(",", chosen));
        Assert.True(chosen.Where(id => id.StartsWith('b')).Distinct().Count() > 1, string.Join(",", chosen));
    }

    [Fact]
    public void Sampler_Guards()
    {
        Assert.Equal("suite", Assert.Throws<ArgumentNullException>(() => SuiteSampler.Sample(null!, 1, 1)).ParamName);
        Assert.Equal("limit", Assert.Throws<ArgumentOutOfRangeException>(() => SuiteSampler.Sample(Labelled(("a", 2)), -1, 1)).ParamName);
    }

    [Theory]
    [InlineData("Answer: balance", "balance")]
    [InlineData("Category: balance", "balance")]
    [InlineData("class: balance", "balance")]
    [InlineData("INTENT : balance", "balance")]
    [InlineData("-balance", null)] // a leading hyphen is a separator kept in front, not dropped
    [InlineData("card__lost", "card_lost")]
    public void MatchLabel_PrefixesAndSeparators(string answer, string? expected) =>
        Assert.Equal(expected, AnswerScorer.MatchLabel(answer, AnswerScorer.NormalizeLabels(["balance", "card_lost"])));
}
