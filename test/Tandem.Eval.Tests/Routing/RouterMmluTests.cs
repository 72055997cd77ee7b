using System.Text.Json;
using Tandem.Eval.Routing;
using Tandem.Routing;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.Eval.Tests.Routing;

/// <summary>
/// The learned router on real outcomes (test/TestData/routellm-mmlu): trained on the 80 % split, it must route the
/// held-out 20 % better than the hand-weighted <c>features</c> scorer and than random routing. The exact figures are
/// in the README; here only the order is asserted, since the figures are the model's, not worked out by hand.
/// </summary>
public sealed class RouterMmluTests
{
    [Fact]
    public void Train_OnMmluOutcomes_BeatsFeaturesAndRandomOnTheHeldOutSplit()
    {
        var dir = Path.Combine(TestData.Root, "routellm-mmlu");
        var all = RouterData.Read(Path.Combine(dir, "responses"), Path.Combine(dir, "contaminated_prompts.jsonl"));
        var heldOut = all.Where(e => e.HeldOut).ToList();
        var model = LinearRouterTrainer.Train(all.Where(e => !e.HeldOut).ToList(), new LinearRouterOptions());

        var learned = RouterCurve.Build(heldOut, [.. heldOut.Select(e => model.Score(e.Text))]);
        var features = new FeatureComplexityScorer();
        var byFeatures = RouterCurve.Build(heldOut, [.. heldOut.Select(e => features.Score(RequestView.For(Body(e.Text))))]);
        var random = new Random(42);
        var byRandom = RouterCurve.Build(heldOut, [.. heldOut.Select(_ => random.NextDouble())]);

        Assert.Equal(14_037, all.Count); // 14,042 prompts less the 5 contaminated ones
        Assert.True(learned.Apgr > byFeatures.Apgr && byFeatures.Apgr > byRandom.Apgr, $"APGR learned {learned.Apgr}, features {byFeatures.Apgr}, random {byRandom.Apgr}");
        Assert.True(learned.Cpt(0.5) < byFeatures.Cpt(0.5), $"CPT(50 %) learned {learned.Cpt(0.5)}, features {byFeatures.Cpt(0.5)}");
    }

    private static string Body(string text) => $$"""{"model":"m","messages":[{"role":"user","content":{{JsonSerializer.Serialize(text)}}}]}""";
}
