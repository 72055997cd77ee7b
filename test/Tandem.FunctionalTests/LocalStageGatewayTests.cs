using System.ClientModel;
using System.Text;
using OpenAI.Chat;
using Tandem.Classification;
using Tandem.Cli.Commands;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Tandem.Tests.Common;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// A route's local first stage: <c>tandem classifier train</c> (the real CLI) distils a labelled suite into a
/// classifier; the gateway answers confident requests with it (deployment <c>local:intents</c>, no cost), streamed or
/// not, and sends unsure ones to the LLM (the simulator), noting the classifier's guess.
/// </summary>
public sealed class LocalStageGatewayTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: api, base_url: "{sim0}" }
        deployments:
          - name: llm
            provider: api
            model: gpt-4o-mini
            pricing: { input_per_mtok: 1.00, output_per_mtok: 4.00 }
        routes:
          - name: support
            deployment: llm
            capture: full
            local: { classifier: "MODEL", name: intents, threshold: 0.6 }
        """;

    internal const string Template = "Classify the customer's message into one of: card_lost, balance, transfer.\nReply with the label only.\n\nMessage: ";

    internal static readonly Dictionary<string, string[]> Phrases = new()
    {
        ["card_lost"] = ["I lost my card", "my card is missing", "card stolen yesterday", "cannot find my card anywhere", "someone took my card", "lost card please block it", "where is my card, I lost it", "my bank card was stolen"],
        ["balance"] = ["what is my balance", "how much money do I have", "show my account balance", "balance please", "check my balance now", "how much is left in my account", "current balance of savings", "tell me my balance"],
        ["transfer"] = ["send money to my friend", "transfer 50 euros to John", "make a transfer to savings", "how do I transfer money", "wire money abroad", "transfer funds between accounts", "send a payment to my landlord", "move money to another account"],
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Trains the three-intent classifier with the real CLI (<c>tandem classifier train</c>) and returns its file.</summary>
    internal static async Task<string> TrainAsync(TempDir dir)
    {
        var suite = dir.File("labelled.csv");
        await File.WriteAllTextAsync(suite, "text,label\n" + string.Join("\n", Phrases.SelectMany(p => p.Value.Select(t => $"\"{Template}{t}\",{p.Key}"))) + "\n", Ct);
        var model = dir.File("intents.intents");
        var (code, _, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--suite", suite, "--out", model, "--calibrate", suite);
        Assert.True(code == 0, stderr);
        return model;
    }

    [Fact]
    public async Task ConfidentQuery_AnsweredLocally_UnsureQuery_GoesToTheLlm_AndCostsShowLocalTrafficAtZero()
    {
        using var dir = new TempDir("tandem-local-");
        var suite = dir.File("labelled.csv");
        await File.WriteAllTextAsync(suite, "text,label\n" + string.Join("\n", Phrases.SelectMany(p => p.Value.Select(t => $"\"{Template}{t}\",{p.Key}"))) + "\n", Ct);
        var model = dir.File("intents.intents");
        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--suite", suite, "--out", model, "--calibrate", suite);
        Assert.True(code == 0, stderr);
        var classifier = IntentModelFile.Load(model);
        Assert.StartsWith($"classifier {classifier.Version} written to {model}: 3 labels, ", stdout, StringComparison.Ordinal);
        Assert.Equal(Template, classifier.Prefix); // the shared template was found and is stripped before features
        Assert.Equal(["balance", "card_lost", "transfer"], classifier.Labels);

        // The LLM answers the unsure query from its answer key.
        const string Unsure = "do you sell garden furniture";
        await using var llm = await SimulatorServer.StartAsync(new SimulatorOptions { Answers = new Dictionary<string, string> { [Unsure] = "oos" } }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config.Replace("MODEL", model, StringComparison.Ordinal), llm);
        var chat = gateway.Chat("support");

        // Confident: answered locally, the label as content, deployment local:intents in headers and record.
        var confident = await chat.CompleteChatAsync([new UserChatMessage(Template + "I lost my card")], cancellationToken: Ct);
        Assert.Equal("card_lost", confident.Value.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, confident.Value.FinishReason);
        Assert.Equal("local:intents", Header(confident, "x-tandem-deployment"));
        Assert.Matches($@"^local intents: card_lost \(p 0\.\d\d\d, threshold 0\.600, {classifier.Version}\)$", Header(confident, "x-tandem-decision"));
        Assert.Equal(classifier.Version, confident.Value.SystemFingerprint);
        Assert.Equal("local:intents", confident.Value.Model);

        // Streamed: the same answer as chunks, with usage when asked for.
        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(Template + "what is my balance")], new ChatCompletionOptions(), Ct))
        {
            streamed.Append(string.Concat(update.ContentUpdate.Select(c => c.Text)));
            usage ??= update.Usage;
        }

        Assert.Equal("balance", streamed.ToString());
        Assert.NotNull(usage);

        // Unsure: the LLM answers; the classifier's guess is in the decision before the route's.
        var unsure = await chat.CompleteChatAsync([new UserChatMessage(Template + Unsure)], cancellationToken: Ct);
        Assert.Equal("oos", unsure.Value.Content.Single().Text);
        Assert.Equal("llm", Header(unsure, "x-tandem-deployment"));
        Assert.Matches(@"^local intents unsure: \w+ \(p 0\.\d\d\d, threshold 0\.600, ic-[0-9a-f]{12}\); route support -> llm$", Header(unsure, "x-tandem-decision"));
        Assert.Equal(1, llm.Stats.Received);

        await gateway.WaitForRecordsAsync(3, Ct);
        var localRecord = await gateway.RecordAsync(Header(confident, "x-request-id"), Ct);
        Assert.Equal(("local:intents", 200, 0m), (localRecord.Deployment, localRecord.Status, localRecord.Cost));
        Assert.Equal("card_lost", localRecord.ResponseContent);
        Assert.True(localRecord.TokensEstimated);
        Assert.True(localRecord.PromptTokens > 0);
        var llmRecord = await gateway.RecordAsync(Header(unsure, "x-request-id"), Ct);
        Assert.Equal("llm", llmRecord.Deployment);

        // Costs by deployment: the two local answers cost nothing; had the LLM answered them, they would have cost
        // its price on their (estimated) tokens.
        var report = await CostsCommand.ComputeAsync(gateway.ConfigPath, "30d", "deployment", null, TimeProvider.System.GetUtcNow(), Ct);
        var local = report.Groups.Single(g => g.Name == "local:intents");
        Assert.Equal((2L, 0m), (local.Requests, local.Spend));
        Assert.Equal(((local.PromptTokens * 1.00m) + (local.CompletionTokens * 4.00m)) / 1_000_000m, local.BaselineSpend);
        Assert.DoesNotContain("local:intents", report.Unpriced);
        var llmGroup = report.Groups.Single(g => g.Name == "llm");
        Assert.Equal(((llmGroup.PromptTokens * 1.00m) + (llmGroup.CompletionTokens * 4.00m)) / 1_000_000m, llmGroup.Spend);
        Assert.Equal(local.BaselineSpend, report.Savings);
    }

    private static string Header(ClientResult result, string name) =>
        result.GetRawResponse().Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException("no header " + name);

    [Fact]
    public async Task Train_SuiteWithOneLabel_ExitsTwoAndSaysWhy()
    {
        using var dir = new TempDir("tandem-local-");
        var suite = dir.File("one.csv");
        await File.WriteAllTextAsync(suite, "text,label\nhello,greeting\nhi there,greeting\n", Ct);

        var (code, _, stderr) = await TandemProcess.RunAsync(null, "classifier", "train", "--suite", suite, "--out", dir.File("m.intents"), "--calibrate", suite);

        Assert.Equal(2, code);
        Assert.Contains("training needs two labels or more", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("m.intents")));
    }

    [Fact]
    public async Task Config_UnreadableClassifier_IsAConfigurationErrorNamingThePath()
    {
        using var dir = new TempDir("tandem-local-");
        var bad = dir.File("bad.intents");
        await File.WriteAllTextAsync(bad, "not a model", Ct);
        var config = Config.Replace("MODEL", bad, StringComparison.Ordinal).Replace("threshold: 0.6", "threshold: 1.5", StringComparison.Ordinal).Replace("api, base_url: \"{sim0}\"", "api, base_url: \"http://127.0.0.1:9\"", StringComparison.Ordinal);
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, config, Ct);

        var (code, stdout, stderr) = await TandemProcess.RunAsync(null, "config", "check", path);

        Assert.NotEqual(0, code);
        var output = stdout + stderr;
        Assert.Contains($"routes[0].local.classifier: cannot read the classifier: '{bad}' is not a Tandem intent classifier (no TNDMIC01 header)", output, StringComparison.Ordinal);
        Assert.Contains("routes[0].local.threshold: must be between 0 and 1", output, StringComparison.Ordinal);
    }
}
