using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Routing.Learned;
using Xunit;

namespace Tandem.Eval.Tests.Classification;

/// <summary>
/// The encoder kind reads the message, not the route's prompt template: an encoder sees only the start of its input
/// (MiniLM reads 128 tokens), so a long shared instruction in front of every query would make every query embed alike.
/// </summary>
public sealed class EncoderIntentTemplateTests
{
    /// <summary>A template whose first six words hold no keyword of <see cref="FirstWordsEncoder"/>.</summary>
    internal const string Prefix = "You sort customer messages into intents. Answer balance, transfer or weather only.\nMessage: ";

    internal const string Suffix = "\nIntent:";

    internal static readonly (string Text, string Label)[] Messages =
    [
        ("how much money do I have", "balance"), ("show my balance", "balance"), ("money left on my account", "balance"), ("balance please", "balance"),
        ("send 20 euros to Ann", "transfer"), ("please send cash to Bob", "transfer"), ("transfer to savings now", "transfer"), ("a transfer to my landlord", "transfer"),
        ("will it rain today", "weather"), ("rain tomorrow in Paris?", "weather"), ("weather for the weekend", "weather"), ("what is the weather like", "weather"),
    ];

    internal static List<IntentExample> Templated() => [.. Messages.Select(m => new IntentExample(Prefix + m.Text + Suffix, m.Label))];

    [Fact]
    public void Train_TemplatedTexts_LearnsTheTemplate_AndEmbedsOnlyTheMessage()
    {
        var encoder = new FirstWordsEncoder();

        var (model, embeddings, heldOut) = EncoderIntentTrainer.Train(encoder, Templated(), Templated(), new EncoderIntentTrainerOptions(), TestContext.Current.CancellationToken);

        Assert.Equal((Prefix, Suffix), (model.Prefix, model.Suffix));

        // What was embedded is the message: "how much money do I have" has "money" in its first six words (axis 0).
        Assert.Equal(new float[] { 1, 0, 0, 0 }, embeddings[0]);
        Assert.Equal(new float[] { 0, 0, 1, 0 }, heldOut[8].Embedding);
        Assert.Equal((1.0, 1.0), (model.Calibration.Accuracy, model.Calibration.Coverage));
        Assert.Equal("balance", model.Predict(Prefix + "money on savings?" + Suffix, encoder).Label);
        Assert.Equal("transfer", model.Predict(Prefix + "send it to Carl" + Suffix, encoder).Label);
        Assert.Equal("weather", model.Predict(Prefix + "any rain at noon" + Suffix, encoder).Label);
        Assert.Equal("weather", model.Predict("any rain at noon", encoder).Label); // a query without the template is read whole
    }

    [Fact]
    public void ModelFile_CarriesTheTemplate_SoServingEmbedsWhatTrainingEmbedded()
    {
        var encoder = new FirstWordsEncoder();
        var model = EncoderIntentTrainer.Train(encoder, Templated(), Templated(), new EncoderIntentTrainerOptions(), TestContext.Current.CancellationToken).Model;
        var path = Path.Combine(Path.GetTempPath(), $"tandem-{Guid.NewGuid():N}.intents");
        try
        {
            EncoderIntentModelFile.Save(model, path);
            var loaded = EncoderIntentModelFile.Load(path);

            Assert.Equal((Prefix, Suffix, model.Version), (loaded.Prefix, loaded.Suffix, loaded.Version));
            Assert.Equal("transfer", loaded.Predict(Prefix + "send it to Carl" + Suffix, encoder).Label);
            Assert.Equal("how much money do I have", loaded.Message(Prefix + "how much money do I have" + Suffix));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_FormatOneFile_IsRefusedWithAHint()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tandem-{Guid.NewGuid():N}.intents");
        try
        {
            File.WriteAllBytes(path, [.. "TNDMIE01"u8, 1, 0, 0, 0, 0, 0, 0, 0]);

            var e = Assert.Throws<InvalidDataException>(() => EncoderIntentModelFile.Load(path));

            Assert.Equal($"'{path}' has encoder classifier format 1; this Tandem reads format 2 (train the model again)", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Reads only the first six words of its input, as MiniLM reads only its first 128 tokens, and puts the first
    /// keyword it finds on an axis: money/balance 0, send/transfer 1, rain/weather 2, none 3.
    /// </summary>
    internal sealed class FirstWordsEncoder : ISentenceEncoder
    {
        public string Name => "first-words";

        public int Dimensions => 4;

        public void Encode(string text, Span<float> embedding)
        {
            embedding.Clear();
            var words = text.Split([' ', '\n', '?', ',', '.'], StringSplitOptions.RemoveEmptyEntries).Take(6);
            var axis = words.Select(w => w switch
            {
                "money" or "balance" => 0,
                "send" or "transfer" => 1,
                "rain" or "weather" => 2,
                _ => -1,
            }).FirstOrDefault(a => a >= 0, 3);
            embedding[axis] = 1;
        }
    }
}
