using System.ClientModel;
using OpenAI.Chat;
using Tandem.Classification;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Routing.Encoder;
using Tandem.Simulator;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The encoder kind as a route's local first stage, end to end: <c>tandem classifier train --kind encoder</c> (the
/// real CLI, the real all-MiniLM-L6-v2 on ONNX Runtime) distils a suite whose texts carry the route's prompt template;
/// the gateway, through the official OpenAI SDK, answers a confident query locally and sends an unsure one to the LLM
/// (the simulator). The template is long enough to fill MiniLM's 128-token input on its own, so a model that
/// embedded the whole prompt could tell no query from another.
/// </summary>
public sealed class EncoderLocalStageGatewayTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: api, base_url: "{sim0}" }
        deployments:
          - { name: llm, provider: api, model: gpt-4o-mini }
        routes:
          - name: support
            deployment: llm
            capture: full
            local: { classifier: "MODEL", name: intents }   # the threshold calibrated at training
        """;

    private static readonly string Template =
        "You are the intent classifier of a bank's support desk. Read the customer's message and reply with exactly one label, " +
        "nothing else. The labels are: card_lost (the customer lost a card or had it stolen and wants it blocked or replaced), " +
        "balance (the customer asks how much money is in an account), transfer (the customer wants to send or move money). " +
        "If the message fits none of them, reply with the closest label anyway. Do not explain. Do not add punctuation. " +
        "Do not repeat the message. Labels are lower case with underscores, as written above. Messages come from the web " +
        "chat, the mobile app and the phone bot's transcripts, so expect typos, missing punctuation and several requests in " +
        "one message; in that case, label the first request only.\n\nMessage: ";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EncoderKind_ConfidentQueryAnsweredLocally_UnsureQueryGoesToTheLlm()
    {
        using var dir = new TempDir("tandem-encoder-local-");
        var suite = dir.File("labelled.csv");
        await File.WriteAllTextAsync(suite, "text,label\n" + string.Join("\n", LocalStageGatewayTests.Phrases.SelectMany(p => p.Value.Select(t => $"\"{Template}{t}\",{p.Key}"))) + "\n", Ct);
        var model = dir.File("intents.intents");
        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--kind", "encoder", "--suite", suite, "--out", model, "--calibrate", suite);
        Assert.True(code == 0, stderr);
        var classifier = EncoderIntentModelFile.Load(model);
        Assert.Contains($"encoder classifier {classifier.Version} written to {model}: 3 labels, all-MiniLM-L6-v2 (384 dimensions), template {Template.Length}+0 characters", stdout, StringComparison.Ordinal);
        Assert.Equal(Template, classifier.Prefix);
        var threshold = classifier.Calibration.Threshold.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture).Replace(".", @"\.", StringComparison.Ordinal);

        const string Unsure = "do you sell garden furniture";
        await using var llm = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Unsure] = "oos" } }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config.Replace("MODEL", model, StringComparison.Ordinal), o => o with { SentenceEncoders = MiniLmEncoder.Resolve }, [llm.V1.ToString()]);
        var chat = gateway.Chat("support");

        // Confident: a paraphrase not in the suite, answered locally.
        var confident = await chat.CompleteChatAsync([new UserChatMessage(Template + "I think somebody stole my card")], cancellationToken: Ct);
        Assert.Equal("card_lost", confident.Value.Content.Single().Text);
        Assert.Equal("local:intents", confident.Value.Model);
        Assert.Equal(classifier.Version, confident.Value.SystemFingerprint);
        Assert.Equal("local:intents", Header(confident, "x-tandem-deployment"));
        Assert.Matches($@"^local intents: card_lost \(p [01]\.\d\d\d, threshold {threshold}, {classifier.Version}\)$", Header(confident, "x-tandem-decision"));

        // Unsure: far from every intent (p about 0.8 against a threshold above 0.99 when measured): the LLM answers,
        // the classifier's guess noted first.
        var unsure = await chat.CompleteChatAsync([new UserChatMessage(Template + Unsure)], cancellationToken: Ct);
        Assert.Equal("oos", unsure.Value.Content.Single().Text);
        Assert.Equal("llm", Header(unsure, "x-tandem-deployment"));
        Assert.Matches($@"^local intents unsure: \w+ \(p 0\.\d\d\d, threshold {threshold}, {classifier.Version}\); route support -> llm$", Header(unsure, "x-tandem-decision"));
        Assert.Equal(1, llm.Stats.Received);

        await gateway.WaitForRecordsAsync(2, Ct);
        var localRecord = await gateway.RecordAsync(Header(confident, "x-request-id"), Ct);
        Assert.Equal(("local:intents", 200, 0m, "card_lost"), (localRecord.Deployment, localRecord.Status, localRecord.Cost, localRecord.ResponseContent));
        Assert.Equal("llm", (await gateway.RecordAsync(Header(unsure, "x-request-id"), Ct)).Deployment);
    }

    private static string Header(ClientResult result, string name) =>
        result.GetRawResponse().Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException("no header " + name);
}
