using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;

namespace Tandem.Core.Tests.Classification;

public sealed class IntentClassifierTests
{
    /// <summary>
    /// A classifier built by hand: two labels, one known feature (the word "card"), IDF 2, weights (+3, −3), biases 0.
    /// "card" alone: the feature's weight is its IDF over the L2 norm of the known features, 2 / 2 = 1, so the logits
    /// are (3, −3) and p(card) = 1 / (1 + e^−6). A text without "card" has no known feature: logits (0, 0), p = 0.5.
    /// </summary>
    private static IntentClassifier HandMade(string prefix = "")
    {
        var card = Hash("card");
        return new IntentClassifier(["card", "other"], [card], [2f], [3f, -3f], [0f, 0f], new IntentCalibration(0.9, 0.99, 1, 0.5), prefix);
    }

    private static uint Hash(string word)
    {
        var sink = new FirstSink();
        IntentFeatures.Read(word, ref sink);
        return sink.First!.Value;
    }

    [Fact]
    public void Predict_HandMadeWeights_SoftmaxOfTheIdfNormalisedSum()
    {
        var model = HandMade();

        var p = model.Predict("card");
        var none = model.Predict("hello");

        Assert.Equal("card", p.Label);
        Assert.Equal(1 / (1 + Math.Exp(-6)), p.Confidence, 6);
        Assert.Equal(0.5, none.Confidence, 12);
    }

    [Fact]
    public void Message_TemplateStrippedOnlyWhenItWrapsTheText()
    {
        var model = HandMade("Label this: ");

        Assert.Equal("card", model.Message("Label this: card").ToString());
        Assert.Equal("Other: card", model.Message("Other: card").ToString());
    }

    [Fact]
    public void Load_DamagedFiles_InvalidDataNamingTheProblem()
    {
        using var dir = new TempDir("tandem-intents-");
        var good = dir.File("good.intents");
        IntentModelFile.Save(HandMade(), good);
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(dir.File("short.intents"), bytes[..^3]);
        File.WriteAllBytes(dir.File("long.intents"), [.. bytes, 0]);
        File.WriteAllText(dir.File("text.intents"), "hello");

        Assert.Equal(HandMade().Version, IntentModelFile.Load(good).Version);
        Assert.Contains("is truncated or damaged", Assert.Throws<InvalidDataException>(() => IntentModelFile.Load(dir.File("short.intents"))).Message, StringComparison.Ordinal);
        Assert.Equal($"'{dir.File("long.intents")}' has bytes after its weights", Assert.Throws<InvalidDataException>(() => IntentModelFile.Load(dir.File("long.intents"))).Message);
        Assert.Equal($"'{dir.File("text.intents")}' is not a Tandem intent classifier (no TNDMIC01 header)", Assert.Throws<InvalidDataException>(() => IntentModelFile.Load(dir.File("text.intents"))).Message);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"first"},{"role":"assistant","content":"a"},{"role":"user","content":"last one"}]}""", "last one")]
    [InlineData("""{"messages":[{"content":[{"type":"text","text":"part 1"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"part 2"}],"role":"user"}],"model":"m"}""", "part 1\npart 2")]
    [InlineData("""{"model":"m","messages":[{"role":"system","content":"only system"}]}""", null)]
    [InlineData("""{"model":"m","messages":"not an array"}""", null)]
    public void LastUserText_ReadsTheLastUserMessage(string body, string? expected)
    {
        Assert.Equal(expected, LocalStage.LastUserText(System.Text.Encoding.UTF8.GetBytes(body)));
    }

    [Fact]
    public void Decide_ConfidentUnsureAndAudited()
    {
        using var dir = new TempDir("tandem-intents-");
        var path = dir.File("cards.intents");
        IntentModelFile.Save(HandMade(), path);
        var route = new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path, Format = LocalAnswerFormats.Json, Field = "intent" } };
        var stage = LocalStage.For(route, RandomSource.Seeded(1))!;
        var version = stage.ModelVersion;

        var sure = stage.Decide("""{"messages":[{"role":"user","content":"card"}]}"""u8);
        var unsure = stage.Decide("""{"messages":[{"role":"user","content":"hello"}]}"""u8);

        Assert.Equal(("local:cards", 0.9), (stage.Deployment, stage.Threshold)); // the name from the file, the calibrated threshold
        Assert.True(sure.Answered);
        Assert.Equal($"local cards: card (p 0.998, threshold 0.900, {version})", sure.Reason);
        Assert.False(unsure.Answered);
        Assert.Equal($"local cards unsure: card (p 0.500, threshold 0.900, {version}); ", unsure.Reason);
        Assert.Equal("""{"intent":"card"}""", stage.Content("card"));

        var audited = LocalStage.For(route with { Local = route.Local with { Audit = 1 } }, RandomSource.Seeded(1))!;
        var audit = audited.Decide("""{"messages":[{"role":"user","content":"card"}]}"""u8);
        Assert.False(audit.Answered);
        Assert.StartsWith("local cards audit: card (p 0.998", audit.Reason, StringComparison.Ordinal);
    }

    private struct FirstSink : IIntentFeatureSink
    {
        public uint? First;

        public void Add(uint hash) => First ??= hash;
    }
}
