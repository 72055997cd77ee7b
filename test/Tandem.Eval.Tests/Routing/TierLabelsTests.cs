using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class TierLabelsTests : IDisposable
{
    private static readonly string[] Tiers = ["simple", "medium", "complex"];
    private readonly string _dir = Directory.CreateTempSubdirectory("tandem-tiers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mins_HalfwayBetweenTierPlaces()
    {
        // Places 0, 0.5, 1 → mins 0, 0.25, 0.75; places 0, 1/3, 2/3, 1 → 0, 1/6, 1/2, 5/6.
        Assert.Equal([0.0, 0.25, 0.75], TierLabels.Mins(3));
        Assert.Equal([0.0, 1 / 6.0, 0.5, 5 / 6.0], TierLabels.Mins(4));
        Assert.Equal([0, 1, 1, 2], new[] { 0.249, 0.25, 0.749, 0.75 }.Select(s => TierLabels.TierOf(s, TierLabels.Mins(3))));
    }

    [Fact]
    public void Read_CsvAndJsonl_MapLabelsToTheirPlace_AndAnUnknownTierNamesTheRow()
    {
        var csv = Path.Combine(_dir, "labels.csv");
        File.WriteAllText(csv, "id,prompt,label\n1,\"hi, there\",simple\n2,prove it,complex\n");
        var jsonl = Path.Combine(_dir, "labels.jsonl");
        File.WriteAllText(jsonl, "{\"text\":\"sum these\",\"tier\":\"medium\"}\n");
        var bad = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(bad, "text,tier\nq,hard\n");

        Assert.Equal([new TierExample("hi, there", 0), new TierExample("prove it", 2)], TierLabels.Read(csv, Tiers));
        Assert.Equal([new TierExample("sum these", 1)], TierLabels.Read(jsonl, Tiers));
        Assert.Equal($"{bad}: row 2: tier 'hard' is not one of simple, medium, complex", Assert.Throws<InvalidDataException>(() => TierLabels.Read(bad, Tiers)).Message);
        Assert.Equal(0.5, TierLabels.Target(1, 3));
    }

    [Fact]
    public void Train_ThreeSeparableTiers_ChoosesTheLabelledTierOnHeldOutPrompts()
    {
        string[][] words = [["hello", "thanks", "hi"], ["summarise", "list", "convert"], ["prove", "derive", "architect"]];
        var examples = Enumerable.Range(0, 600).Select(i => new TierExample($"please {words[i % 3][i / 3 % 3]} item {i}", i % 3)).ToList();

        var (model, report) = TierLabels.Train(examples, 3, new LinearRouterOptions { Bits = 14 });

        Assert.InRange(report.HeldOut, 80, 160);
        Assert.True(report.Accuracy >= 0.95, $"tier accuracy {report.Accuracy}");
        Assert.Equal([0.0, 0.25, 0.75], report.Mins);
        Assert.Equal(2, TierLabels.TierOf(model.Score("please derive the bound"), report.Mins));
        Assert.Equal(0, TierLabels.TierOf(model.Score("please hello friend"), report.Mins));
    }
}
