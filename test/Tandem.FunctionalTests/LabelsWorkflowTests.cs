using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using Tandem.Classification;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Storage;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The labelling workflow through the real CLI against a gateway's storage: a classification route's traffic is
/// captured (redacted); <c>tandem classifier train --route</c> distils the LLM's answers; <c>tandem labels sample</c>
/// exports a masked batch; <c>tandem labels import</c> reports κ, stores a new version per import and writes training
/// data that <c>tandem classifier train --suite</c> reads.
/// </summary>
public sealed class LabelsWorkflowTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: api, base_url: "{sim0}" }
        deployments:
          - { name: llm, provider: api, model: gpt-4o-mini }
        routes:
          - { name: intents, deployment: llm, capture: redacted }
        """;

    private static readonly Dictionary<string, string> Answers = new()
    {
        ["I lost my card"] = "card_lost",
        ["my card was stolen"] = "card_lost",
        ["card missing, mail me at jo@example.com"] = "card_lost",
        ["what is my balance"] = "balance",
        ["how much money do I have"] = "balance",
        ["balance please"] = "balance",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordsToClassifier_SampleMasked_ImportTwiceVersioned_TrainingDataTrains()
    {
        using var dir = new TempDir("tandem-labels-");
        await using var llm = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = Answers }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, llm);
        foreach (var text in Answers.Keys)
        {
            var answer = await gateway.Chat("intents").CompleteChatAsync([new UserChatMessage(text)], cancellationToken: Ct);
            Assert.Equal(Answers[text], answer.Value.Content.Single().Text);
        }

        await gateway.WaitForRecordsAsync(Answers.Count, Ct);

        // Distil the route: the LLM's answers are the labels.
        var model = dir.File("route.intents");
        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--route", "intents", "-c", gateway.ConfigPath, "--out", model);
        Assert.True(code == 0, stderr);
        Assert.Contains("trained on ", stdout, StringComparison.Ordinal);
        Assert.Contains(" of 6 captured requests of route intents answered by the LLM", stdout, StringComparison.Ordinal);
        Assert.Equal(["balance", "card_lost"], IntentModelFile.Load(model).Labels);

        // A random batch of all six, masked; the email never leaves the gateway's storage unmasked.
        var batch = dir.File("batch.csv");
        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "labels", "sample", "--route", "intents", "-c", gateway.ConfigPath, "--n", "10", "--strategy", "random", "--out", batch);
        Assert.True(code == 0, stderr);
        Assert.Equal($"wrote 6 items (random, from 6 captured requests of route intents, personal data masked) to {batch}", stdout.Trim());
        var rows = (await File.ReadAllLinesAsync(batch, Ct)).ToList();
        Assert.Equal("id,text,label", rows[0]);
        Assert.Equal(7, rows.Count);
        Assert.Contains(rows, r => r.EndsWith(",\"card missing, mail me at [email]\",", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, r => r.Contains("jo@example.com", StringComparison.Ordinal));

        // Uncertainty needs a classifier: the one just trained.
        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "labels", "sample", "--route", "intents", "-c", gateway.ConfigPath, "--n", "2", "--strategy", "uncertainty", "--classifier", model, "--out", dir.File("unsure.csv"));
        Assert.True(code == 0, stderr);
        Assert.Equal(3, (await File.ReadAllLinesAsync(dir.File("unsure.csv"), Ct)).Length);

        // The same with an encoder classifier (the kind the docs recommend): the file's header picks how it is read.
        var encoderModel = dir.File("route-encoder.intents");
        (code, _, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--route", "intents", "-c", gateway.ConfigPath, "--kind", "encoder", "--out", encoderModel);
        Assert.True(code == 0, stderr);
        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "labels", "sample", "--route", "intents", "-c", gateway.ConfigPath, "--n", "6", "--strategy", "uncertainty", "--classifier", encoderModel, "--out", dir.File("unsure-encoder.csv"));
        Assert.True(code == 0, stderr);
        var encoderRows = await File.ReadAllLinesAsync(dir.File("unsure-encoder.csv"), Ct);
        Assert.Equal(7, encoderRows.Length);
        Assert.Contains(encoderRows, r => r.EndsWith(",\"card missing, mail me at [email]\",", StringComparison.Ordinal));
        (code, _, stderr) = await TandemProcess.RunAsync(null, "labels", "sample", "--route", "intents", "-c", gateway.ConfigPath, "--strategy", "disagreement", "--out", dir.File("x.csv"));
        Assert.Equal(2, code);
        Assert.Contains("the disagreement strategy scores with a classifier", stderr, StringComparison.Ordinal);

        // Two raters label the batch: they differ on one item of six.
        var ids = rows.Skip(1).Select(r => r[..r.IndexOf(',', StringComparison.Ordinal)]).ToList();
        var texts = rows.Skip(1).Select(r => r[(r.IndexOf(',', StringComparison.Ordinal) + 1)..^1]).ToList();
        string Label(int i) => texts[i].Contains("card", StringComparison.Ordinal) ? "card_lost" : "balance";
        await File.WriteAllLinesAsync(dir.File("ann.csv"), ["id,text,label", .. ids.Select((id, i) => $"{id},{texts[i]},{Label(i)}")], Ct);
        await File.WriteAllLinesAsync(dir.File("bob.csv"), ["id,text,label", .. ids.Select((id, i) => $"{id},{texts[i]},{(i == 0 ? "other" : Label(i))}")], Ct);

        // By hand: p_o = 5/6. Ann: card_lost 3/6, balance 3/6. Bob: the first item "other" (1/6), the rest as Ann.
        var first = Label(0);
        double bobCard = first == "card_lost" ? 2 : 3, bobBalance = first == "balance" ? 2 : 3;
        var pe = (3.0 / 6 * bobCard / 6) + (3.0 / 6 * bobBalance / 6);
        var kappa = ((5.0 / 6) - pe) / (1 - pe);
        var training = dir.File("training.csv");
        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "labels", "import", dir.File("ann.csv"), dir.File("bob.csv"), "--route", "intents", "-c", gateway.ConfigPath, "--out", training);
        Assert.True(code == 0, stderr);
        Assert.Contains($"2 raters (ann, bob), 6 items labelled by all: Cohen's kappa {kappa.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}, raw agreement 83.3 %", stdout, StringComparison.Ordinal);
        Assert.Contains($"label set v1 stored for route intents: 5 agreed labels (1 items without a majority left out) written to {training}", stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await TandemProcess.RunAsync(null, "labels", "import", dir.File("ann.csv"), dir.File("bob.csv"), "--route", "intents", "-c", gateway.ConfigPath, "--out", training);
        Assert.True(code == 0, stderr);
        Assert.Contains("label set v2 stored", stdout, StringComparison.Ordinal);

        var database = gateway.App.Services.GetRequiredService<StorageDatabase>();
        var sets = await database.Labels.SetsAsync("intents", Ct);
        Assert.Equal([1L, 2L], sets.Select(s => s.Version));
        Assert.Equal(("cohen", 2, 5, "ann.csv, bob.csv"), (sets[0].KappaKind, sets[0].Raters, sets[0].Items, sets[0].Source));
        Assert.Equal(kappa, sets[0].Kappa!.Value, 12);
        Assert.Equal(12, (await database.Labels.LabelsAsync(1, Ct)).Count);

        // The training data is a suite the classifier trains on.
        (code, _, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--suite", training, "--calibrate", training, "--out", dir.File("labelled.intents"));
        Assert.True(code == 0, stderr);
        Assert.Equal(["balance", "card_lost"], IntentModelFile.Load(dir.File("labelled.intents")).Labels);
    }
}
