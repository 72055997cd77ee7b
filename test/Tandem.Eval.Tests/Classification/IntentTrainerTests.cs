using Tandem.Classification;
using Tandem.Eval.Classification;
using Xunit;

namespace Tandem.Eval.Tests.Classification;

public sealed class IntentTrainerTests
{
    private const string Template = "Classify the message into one label.\nMessage: ";

    private static readonly Dictionary<string, string[]> Words = new()
    {
        ["card"] = ["lost card", "card stolen", "block my card", "my card is gone", "card missing"],
        ["balance"] = ["my balance", "how much money", "account balance", "balance today", "money left"],
        ["transfer"] = ["send money", "transfer funds", "wire to a friend", "pay my landlord", "move money abroad"],
    };

    private static List<IntentExample> Data(string prefix = Template) =>
        [.. Words.SelectMany(p => p.Value.SelectMany(w => Enumerable.Range(0, 4).Select(i => new IntentExample($"{prefix}{w} {(i % 2 == 0 ? "please" : "now")}", p.Key))))];

    [Fact]
    public void Train_SameDataAndSeed_SameFileByteForByte_OtherSeedDiffers()
    {
        var data = Data();
        var options = new IntentTrainerOptions { Epochs = 3 };

        var a = IntentTrainer.Train(data, data, options);
        var b = IntentTrainer.Train(data, data, options);
        var c = IntentTrainer.Train(data, data, options with { Seed = 7 });

        Assert.Equal(a.Version, b.Version);
        Assert.Equal(IntentModelFile.Payload(a), IntentModelFile.Payload(b));
        Assert.NotEqual(a.Version, c.Version);
    }

    [Fact]
    public void Train_SeparableData_LearnsTheLabels_FindsTheTemplate_AndSavesAndLoadsTheSame()
    {
        var data = Data();

        var model = IntentTrainer.Train(data, data, new IntentTrainerOptions());

        Assert.Equal(["balance", "card", "transfer"], model.Labels);
        Assert.Equal(Template, model.Prefix);
        Assert.Equal("", model.Suffix);
        Assert.Equal("card", model.Predict(Template + "I think my card was stolen").Label);
        Assert.Equal("transfer", model.Predict("please transfer funds to mum").Label); // without the template too
        using var dir = new TempDir("tandem-intents-");
        IntentModelFile.Save(model, dir.File("m.intents"));
        var loaded = IntentModelFile.Load(dir.File("m.intents"));
        Assert.Equal(model.Version, loaded.Version);
        Assert.Equal(model.Predict("how much money is left").Confidence, loaded.Predict("how much money is left").Confidence);
        Assert.Equal(model.Calibration, loaded.Calibration);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("Intent? ", "Intent? ")]
    public void Template_SharedRun_CutBackToWhiteSpace(string prefix, string expected)
    {
        // "Intent? lost", "Intent? lock": the shared "l" is the start of a word, not the template.
        Assert.Equal((expected, ""), IntentTemplate.Find([prefix + "lost card", prefix + "lock my account"]));
    }

    [Fact]
    public void Template_Suffix_FromWhiteSpaceOn()
    {
        Assert.Equal(("Q: ", "\nAnswer:"), IntentTemplate.Find(["Q: lost card\nAnswer:", "Q: my balance\nAnswer:"]));
        Assert.Equal(("", ""), IntentTemplate.Find(["only one text"]));
    }

    [Fact]
    public void Split_SameTextAlwaysOnTheSameSide()
    {
        var data = Enumerable.Range(0, 200).Select(i => new IntentExample($"text {i % 50}", "x")).ToList();

        var (train, heldOut) = IntentTrainer.Split(data);

        Assert.Equal(200, train.Count + heldOut.Count);
        Assert.Empty(train.Select(e => e.Text).Intersect(heldOut.Select(e => e.Text)));
        Assert.NotEmpty(heldOut);
    }
}
