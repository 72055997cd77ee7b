using Tandem.Classification;
using Tandem.Eval.Classification;
using Tandem.Routing.Learned;
using Xunit;

namespace Tandem.Eval.Tests.Classification;

public sealed class EncoderIntentTrainerTests
{
    /// <summary>Three intents whose embeddings lie near three different axes of a 4-dimensional space.</summary>
    private static (List<float[]> Embeddings, List<string> Labels) Clusters()
    {
        var random = new Random(7);
        var embeddings = new List<float[]>();
        var labels = new List<string>();
        string[] names = ["balance", "transfer", "weather"];
        for (var i = 0; i < 60; i++)
        {
            var c = i % 3;
            var e = new float[4];
            for (var d = 0; d < 4; d++)
            {
                e[d] = (float)((random.NextDouble() - 0.5) * 0.2);
            }

            e[c] += 1;
            embeddings.Add(e);
            labels.Add(names[c]);
        }

        return (embeddings, labels);
    }

    [Fact]
    public void Train_SeparableClusters_PredictsEachAxisAsItsIntent()
    {
        var (embeddings, labels) = Clusters();

        var model = EncoderIntentTrainer.Train("fake", embeddings, labels, [], new EncoderIntentTrainerOptions());

        Assert.Equal(["balance", "transfer", "weather"], model.Labels);
        Assert.Equal("balance", model.Predict([0.9f, 0.05f, 0, 0]).Label);
        Assert.Equal("transfer", model.Predict([0, 1.1f, 0.1f, 0]).Label);
        Assert.Equal("weather", model.Predict([0.05f, 0, 0.95f, 0]).Label);
        Assert.True(model.Predict([0, 0, 1, 0]).Confidence > 0.9);
    }

    [Fact]
    public void Train_SameDataAndSeed_SameVersion_AndFileRoundTripsWithItsKind()
    {
        var (embeddings, labels) = Clusters();
        var a = EncoderIntentTrainer.Train("fake", embeddings, labels, [], new EncoderIntentTrainerOptions());
        var b = EncoderIntentTrainer.Train("fake", embeddings, labels, [], new EncoderIntentTrainerOptions());
        var other = EncoderIntentTrainer.Train("fake", embeddings, labels, [], new EncoderIntentTrainerOptions { Seed = 43 });
        var path = Path.Combine(Path.GetTempPath(), $"tandem-{Guid.NewGuid():N}.intents");
        try
        {
            EncoderIntentModelFile.Save(a, path);
            var loaded = EncoderIntentModelFile.Load(path);

            Assert.Equal(a.Version, b.Version);
            Assert.NotEqual(a.Version, other.Version);
            Assert.StartsWith("ie-", a.Version, StringComparison.Ordinal);
            Assert.True(EncoderIntentModelFile.IsEncoderModel(path));
            Assert.Equal(a.Version, loaded.Version);
            Assert.Equal("fake", loaded.Encoder);
            Assert.Equal(4, loaded.Dimensions);
            Assert.Equal(a.Weights.ToArray(), loaded.Weights.ToArray());
            Assert.Throws<InvalidDataException>(() => IntentModelFile.Load(path)); // the n-gram reader refuses the other kind
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Predict_ThroughTheEncoderItNames_AndRefusesAnother()
    {
        var (embeddings, labels) = Clusters();
        var model = EncoderIntentTrainer.Train("fake", embeddings, labels, [], new EncoderIntentTrainerOptions());

        Assert.Equal("weather", model.Predict("will it rain", new KeywordEncoder("fake")).Label);
        Assert.Equal("balance", model.Predict("how much money", new KeywordEncoder("fake")).Label);
        Assert.Throws<ArgumentException>(() => model.Predict("will it rain", new KeywordEncoder("other")));
    }

    [Fact]
    public void Train_WithHeldOut_CalibratesTheThresholdOnIt()
    {
        var (embeddings, labels) = Clusters();
        var held = embeddings.Take(30).Select((e, i) => (e, labels[i])).ToList();

        var model = EncoderIntentTrainer.Train("fake", embeddings.Skip(30).ToList(), labels.Skip(30).ToList(), held, new EncoderIntentTrainerOptions());

        // Every held-out example is classified right, so the calibration answers all of them.
        Assert.Equal(1.0, model.Calibration.Accuracy);
        Assert.Equal(1.0, model.Calibration.Coverage);
    }

    /// <summary>Maps words to the axes of <see cref="Clusters"/>.</summary>
    private sealed class KeywordEncoder(string name) : ISentenceEncoder
    {
        public string Name => name;

        public int Dimensions => 4;

        public void Encode(string text, Span<float> embedding)
        {
            embedding.Clear();
            embedding[text.Contains("rain", StringComparison.Ordinal) ? 2 : text.Contains("money", StringComparison.Ordinal) ? 0 : 1] = 1;
        }
    }
}
