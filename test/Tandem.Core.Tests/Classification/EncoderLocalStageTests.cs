using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Routing.Learned;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Classification;

public sealed class EncoderLocalStageTests
{
    /// <summary>
    /// By hand: a 2-dimensional encoder model, labels (card, other), dimension 0 weighs (+3, −3), dimension 1 (0, 0),
    /// biases 0. "card" encodes to (1, 0): logits (3, −3), p(card) = 1 / (1 + e^−6) = 0.9975; anything else to (0, 0):
    /// p = 0.5 for both, the first label wins.
    /// </summary>
    private static EncoderIntentClassifier HandMade() =>
        new("fake-encoder", 2, ["card", "other"], [3, -3, 0, 0], [0, 0], new IntentCalibration(0.9, 0.99, 1, 0.5));

    [Fact]
    public void Decide_EncoderKindFile_ServedThroughTheNamedEncoder()
    {
        using var dir = new TempDir("tandem-intents-");
        var path = dir.File("cards.intents");
        EncoderIntentModelFile.Save(HandMade(), path);
        var route = new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path } };
        var stage = LocalStage.For(route, RandomSource.Seeded(1), name => name == "fake-encoder" ? new CardEncoder() : null)!;
        var version = stage.ModelVersion;

        var sure = stage.Decide("""{"messages":[{"role":"user","content":"card"}]}"""u8);
        var unsure = stage.Decide("""{"messages":[{"role":"user","content":"hello"}]}"""u8);

        Assert.StartsWith("ie-", version, StringComparison.Ordinal);
        Assert.Null(stage.Classifier);
        Assert.Equal(("local:cards", 0.9), (stage.Deployment, stage.Threshold));
        Assert.True(sure.Answered);
        Assert.Equal($"local cards: card (p 0.998, threshold 0.900, {version})", sure.Reason);
        Assert.False(unsure.Answered);
        Assert.Equal($"local cards unsure: card (p 0.500, threshold 0.900, {version}); ", unsure.Reason);
    }

    [Fact]
    public void Decide_EncoderKindWithATemplate_EmbedsTheMessageInsideIt()
    {
        // The same hand-made head, trained (say) on "Classify: … Label:" texts: the file carries the template, and
        // the stage embeds "card", which the encoder maps to (1, 0); the whole prompt would embed to (0, 0), p 0.5.
        using var dir = new TempDir("tandem-intents-");
        var path = dir.File("cards.intents");
        var hand = HandMade();
        EncoderIntentModelFile.Save(new EncoderIntentClassifier("fake-encoder", 2, hand.Labels, hand.Weights.ToArray(), hand.Bias.ToArray(), hand.Calibration, "Classify: ", "\nLabel:"), path);
        var route = new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path } };
        var stage = LocalStage.For(route, RandomSource.Seeded(1), name => name == "fake-encoder" ? new CardEncoder() : null)!;

        var templated = stage.Decide("""{"messages":[{"role":"user","content":"Classify: card\nLabel:"}]}"""u8);

        Assert.True(templated.Answered);
        Assert.Equal($"local cards: card (p 0.998, threshold 0.900, {stage.ModelVersion})", templated.Reason);
    }

    [Fact]
    public void For_EncoderKindWithoutItsEncoder_IsAConfigurationError()
    {
        using var dir = new TempDir("tandem-intents-");
        var path = dir.File("cards.intents");
        EncoderIntentModelFile.Save(HandMade(), path);
        var route = new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path } };

        var e = Assert.Throws<ConfigException>(() => LocalStage.For(route, RandomSource.Seeded(1), _ => null));

        Assert.Contains("fake-encoder", string.Join(" ", e.Errors), StringComparison.Ordinal);
    }

    private sealed class CardEncoder : ISentenceEncoder
    {
        public string Name => "fake-encoder";

        public int Dimensions => 2;

        public void Encode(string text, Span<float> embedding)
        {
            embedding.Clear();
            if (text == "card")
            {
                embedding[0] = 1;
            }
        }
    }
}
