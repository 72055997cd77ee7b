using Tandem.Classification;
using Tandem.Configuration;
using Tandem.Eval.Classification;
using Tandem.Routing;
using Tandem.Runtime;
using Xunit;
using static Tandem.Eval.Tests.Classification.EncoderIntentTemplateTests;

namespace Tandem.Eval.Tests.Classification;

public sealed class IntentEnsembleTests
{
    [Fact]
    public void Temper_RaisesToOneOverTAndNormalises()
    {
        // (0.8, 0.2) at T = 0.5: (0.64, 0.04) / 0.68.
        double[] p = [0.8, 0.2];

        IntentEnsemble.Temper(p, 0.5);

        Assert.Equal(0.64 / 0.68, p[0], 12);
        Assert.Equal(0.04 / 0.68, p[1], 12);
    }

    [Fact]
    public void Combine_AveragesTheTemperedParts()
    {
        // n-gram (0.8, 0.2) at T = 0.5 is (0.941176…, 0.058824…); encoder (0.3, 0.7) at T = 1 stays; half and half.
        double[] ngram = [0.8, 0.2];
        double[] encoder = [0.3, 0.7];

        IntentEnsemble.Combine(ngram, encoder, 0.5, 1, 0.5);

        Assert.Equal(((0.64 / 0.68) + 0.3) / 2, ngram[0], 12);
        Assert.Equal(((0.04 / 0.68) + 0.7) / 2, ngram[1], 12);
    }

    [Fact]
    public void FitTemperature_OverconfidentModel_IsSoftenedToItsHitRate()
    {
        // Always (0.99, 0.01), right 3 times in 4: the likelihood is best when the tempered 0.99 becomes 0.75, i.e.
        // 99^(1/T) = 3, T = ln 99 / ln 3 = 4.18262…
        double[][] p = [[0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.99, 0.01]];

        var t = IntentEnsembleTrainer.FitTemperature(p, [0, 0, 0, 1]);

        Assert.Equal(Math.Log(99) / Math.Log(3), t, 6);
    }

    [Fact]
    public void FitTemperature_GoldLabelsTheModelLacks_AreLeftOut()
    {
        double[][] p = [[0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.5, 0.5]];

        Assert.Equal(Math.Log(99) / Math.Log(3), IntentEnsembleTrainer.FitTemperature(p, [0, 0, 0, 1, -1]), 6);
        Assert.Equal(1.0, IntentEnsembleTrainer.FitTemperature(p, [-1, -1, -1, -1, -1]));
    }

    [Fact]
    public void Train_TemplatedTexts_BothPartsStripTheTemplate_AndTheFileRoundTrips()
    {
        var encoder = new FirstWordsEncoder();
        var trained = IntentEnsembleTrainer.Train(encoder, Templated(), Templated(), new IntentTrainerOptions(), new EncoderIntentTrainerOptions(), TestContext.Current.CancellationToken);
        var model = trained.Model;
        var path = Path.Combine(Path.GetTempPath(), $"tandem-{Guid.NewGuid():N}.intents");
        try
        {
            IntentEnsembleFile.Save(model, path);
            var loaded = IntentEnsembleFile.Load(path);

            Assert.StartsWith("ix-", model.Version, StringComparison.Ordinal);
            Assert.Equal((Prefix, Suffix), (model.Ngram.Prefix, model.Ngram.Suffix));
            Assert.Equal((Prefix, Suffix), (model.Encoder.Prefix, model.Encoder.Suffix));
            Assert.Equal(["balance", "transfer", "weather"], model.Labels);
            Assert.Equal(12, trained.HeldOut.Count(s => s.Correct));
            Assert.Equal((model.Version, model.NgramTemperature, model.EncoderTemperature, 0.5), (loaded.Version, loaded.NgramTemperature, loaded.EncoderTemperature, loaded.EncoderWeight));
            Assert.True(IntentEnsembleFile.IsEnsembleModel(path));
            Assert.False(EncoderIntentModelFile.IsEncoderModel(path));
            Assert.Equal("transfer", loaded.Predict(Prefix + "send it to Carl" + Suffix, encoder).Label);
            Assert.Equal("weather", loaded.Predict(Prefix + "any rain at noon" + Suffix, encoder).Label);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LocalStage_ServesTheEnsembleKind_ThroughTheEncoderItsPartNames()
    {
        var encoder = new FirstWordsEncoder();
        var model = IntentEnsembleTrainer.Train(encoder, Templated(), Templated(), new IntentTrainerOptions(), new EncoderIntentTrainerOptions(), TestContext.Current.CancellationToken).Model;
        var path = Path.Combine(Path.GetTempPath(), $"tandem-{Guid.NewGuid():N}.intents");
        try
        {
            IntentEnsembleFile.Save(model, path);
            var route = new RouteConfig { Name = "r", Deployment = "d", Local = new LocalStageConfig { Classifier = path, Name = "mix", Threshold = 0 } };
            var stage = LocalStage.For(route, RandomSource.Seeded(1), name => name == "first-words" ? encoder : null)!;
            var body = System.Text.Encoding.UTF8.GetBytes("{\"messages\":[{\"role\":\"user\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(Prefix + "send it to Carl" + Suffix, LocalJsonContext.Default.String) + "}]}");

            var decision = stage.Decide(body);

            Assert.Equal(model.Version, stage.ModelVersion);
            Assert.True(decision.Answered);
            Assert.Equal("transfer", decision.Prediction.Label);
            var missing = Assert.Throws<ConfigException>(() => LocalStage.For(route, RandomSource.Seeded(1), _ => null));
            Assert.Contains("the classifier reads first-words embeddings, and this gateway has no such encoder", string.Join(" ", missing.Errors), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
