using Tandem.Eval.Routing;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

public sealed class LinearRouterTrainerTests
{
    private static readonly string[] Hard = ["prove", "derive", "integral", "theorem", "eigenvalue", "lemma"];
    private static readonly string[] Easy = ["capital", "colour", "weather", "holiday", "breakfast", "animal"];

    /// <summary>400 prompts: those with a "hard" word needed the strong model, the others did not.</summary>
    private static List<RouterExample> Separable() =>
        [.. Enumerable.Range(0, 400).Select(i => i % 2 == 0
            ? new RouterExample($"please {Hard[i % Hard.Length]} case {i}", WeakGood: false, StrongGood: true)
            : new RouterExample($"what {Easy[i % Easy.Length]} is number {i}", WeakGood: true, StrongGood: true))];

    [Fact]
    public void Train_SameDataAndSeed_SameModelByteForByte_OtherSeedDiffers()
    {
        var data = Separable();
        var options = new LinearRouterOptions { Bits = 12, Epochs = 3 };

        var a = LinearRouterTrainer.Train(data, options);
        var b = LinearRouterTrainer.Train(data, options);
        var c = LinearRouterTrainer.Train(data, options with { Seed = 7 });

        Assert.Equal(a.Version, b.Version);
        Assert.True(a.Weights.SequenceEqual(b.Weights));
        Assert.NotEqual(a.Version, c.Version);
    }

    [Fact]
    public void Train_SeparableData_ScoresHeldOutPromptsOnTheRightSide()
    {
        var data = Separable();
        var model = LinearRouterTrainer.Train(data.Where(e => !e.HeldOut).ToList(), new LinearRouterOptions { Bits = 14 });
        var heldOut = data.Where(e => e.HeldOut).ToList();

        var report = LinearRouterTrainer.Report(model, 400 - heldOut.Count, heldOut);

        Assert.InRange(heldOut.Count, 50, 110); // 20 % of 400 by hash, give or take
        Assert.Equal(1.0, report.Accuracy);
        Assert.Equal(1.0, report.Auc);
        Assert.True(model.Score("please prove the lemma") > 0.5);
        Assert.True(model.Score("what animal is a cat") < 0.5);
    }

    [Fact]
    public void Auc_TiesCountHalf()
    {
        // Positives 0.3 and 0.6, negatives 0.5 and 0.3: pairs (0.3,0.5)=0, (0.3,0.3)=1/2, (0.6,0.5)=1, (0.6,0.3)=1 → 2.5/4.
        Assert.Equal(0.625, LinearRouterTrainer.Auc([(0.3, true), (0.6, true), (0.5, false), (0.3, false)]));
    }

    [Fact]
    public void HeldOut_DependsOnThePromptAlone_AndTakesAboutAFifth()
    {
        var prompts = Enumerable.Range(0, 10_000).Select(i => "question " + i).ToList();
        var held = prompts.Count(p => new RouterExample(p, true, null).HeldOut);

        // Binomial(10,000, 0.2): sd 40; the prompts are fixed, so the count is too.
        Assert.InRange(held, 1840, 2160);
        Assert.Equal(new RouterExample("same text", true, true).HeldOut, new RouterExample("same text", false, null).HeldOut);
    }
}
