using Tandem.Eval.Classification;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.Eval.Tests.Classification;

public sealed class AgreementTests
{
    /// <summary>
    /// By hand: 10 items, A = a a a a a a b b b b, B = a a a a b b b b b a. They agree on 7 (4 a, 3 b): p_o = 0.7.
    /// A says a 6 times, b 4; B says a 5, b 5: p_e = 0.6 × 0.5 + 0.4 × 0.5 = 0.5. κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    /// </summary>
    [Fact]
    public void Cohen_WorkedExample_IsPointFour()
    {
        var a = "aaaaaabbbb";
        var b = "aaaabbbbba";
        var pairs = a.Zip(b, (x, y) => (x.ToString(), y.ToString())).ToList();

        Assert.Equal(0.4, Agreement.Cohen(pairs)!.Value, 12);
    }

    [Fact]
    public void Cohen_PerfectAndOneLabelOnly_OneAndUndefined()
    {
        Assert.Equal(1.0, Agreement.Cohen([("x", "x"), ("y", "y")])!.Value, 12);
        Assert.Null(Agreement.Cohen([("x", "x"), ("x", "x")])); // chance agreement is 1: κ is undefined
    }

    /// <summary>
    /// By hand: 3 raters, 4 items: (x x x), (x x y), (y y y), (x y y). Per item the share of agreeing rater pairs,
    /// (Σ n_j² − 3) / 6: 1, 1/3, 1, 1/3, mean P̄ = 2/3. Label shares: x 6/12, y 6/12, so P̄e = 0.5.
    /// κ = (2/3 − 1/2) / (1 − 1/2) = 1/3.
    /// </summary>
    [Fact]
    public void Fleiss_WorkedExample_IsOneThird()
    {
        IReadOnlyList<IReadOnlyList<string>> items = [["x", "x", "x"], ["x", "x", "y"], ["y", "y", "y"], ["x", "y", "y"]];

        Assert.Equal(1.0 / 3, Agreement.Fleiss(items)!.Value, 12);
    }

    [Fact]
    public void Fleiss_UnequalRaterCounts_Throws()
    {
        Assert.Throws<ArgumentException>(() => Agreement.Fleiss([["x", "x", "x"], ["x", "y"]]));
    }

    [Fact]
    public void Majority_TopCountShared_IsNull()
    {
        Assert.Equal("b", Agreement.Majority(["a", "b", "b"]));
        Assert.Null(Agreement.Majority(["a", "b"]));
    }

    [Fact]
    public void Import_ThreeRaterFiles_FleissKappaAgreedLabelsAndEveryLabel()
    {
        using var dir = new TempDir("tandem-labels-");
        // The Fleiss example above as files, plus an item one rater left blank (not scored, but its labels are kept).
        File.WriteAllText(dir.File("ann.csv"), "id,text,label\nr1,lost card,x\nr2,\"balance, please\",x\nr3,send money,y\nr4,hello,x\nr5,bye,x\n");
        File.WriteAllText(dir.File("bob.csv"), "id,text,label\nr1,lost card,x\nr2,\"balance, please\",x\nr3,send money,y\nr4,hello,y\nr5,bye,\n");
        File.WriteAllText(dir.File("cy.csv"), "id,text,label\nr1,lost card,x\nr2,\"balance, please\",y\nr3,send money,y\nr4,hello,y\nr5,bye,x\n");

        var result = LabelImport.Read([dir.File("ann.csv"), dir.File("bob.csv"), dir.File("cy.csv")]);

        Assert.Equal(["ann", "bob", "cy"], result.Raters);
        Assert.Equal(("fleiss", 4), (result.KappaKind, result.Scored));
        Assert.Equal(1.0 / 3, result.Kappa!.Value, 12);
        Assert.Equal(0.5, result.RawAgreement);
        Assert.Equal(["r1 lost card x", "r2 balance, please x", "r3 send money y", "r4 hello y"], result.Agreed.Select(a => $"{a.Item} {a.Text} {a.Label}"));
        Assert.Equal(14, result.Labels.Count); // 5 + 4 + 5 non-empty labels
    }

    [Fact]
    public void Import_TwoRaters_CohenKappa_OneFile_RefusedWithReason()
    {
        using var dir = new TempDir("tandem-labels-");
        var a = "aaaaaabbbb";
        var b = "aaaabbbbba";
        File.WriteAllText(dir.File("a.csv"), "id,text,label\n" + string.Concat(a.Select((l, i) => $"q{i},text {i},{l}\n")));
        File.WriteAllText(dir.File("b.csv"), "id,text,label\n" + string.Concat(b.Select((l, i) => $"q{i},text {i},{l}\n")));

        var result = LabelImport.Read([dir.File("a.csv"), dir.File("b.csv")]);

        Assert.Equal(("cohen", 10), (result.KappaKind, result.Scored));
        Assert.Equal(0.4, result.Kappa!.Value, 12);
        Assert.Equal(7, result.Agreed.Count); // two raters who differ have no majority
        Assert.Equal(3, result.NoMajority);
        var one = Assert.Throws<InvalidDataException>(() => LabelImport.Read([dir.File("a.csv")]));
        Assert.Equal("agreement needs the files of two raters or more", one.Message);
    }

    [Fact]
    public void Import_ItemLabelledTwice_NamesFileAndRow()
    {
        using var dir = new TempDir("tandem-labels-");
        File.WriteAllText(dir.File("a.csv"), "id,text,label\nq1,t,x\nq1,t,y\n");
        File.WriteAllText(dir.File("b.csv"), "id,text,label\nq1,t,x\n");

        var e = Assert.Throws<InvalidDataException>(() => LabelImport.Read([dir.File("a.csv"), dir.File("b.csv")]));

        Assert.Equal($"{dir.File("a.csv")}: row 3: item 'q1' is labelled twice", e.Message);
    }
}
