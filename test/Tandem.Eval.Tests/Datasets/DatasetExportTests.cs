using System.Text.Json;
using Tandem.Eval.Datasets;
using Tandem.Eval.Suites;
using Tandem.Feedback;
using Tandem.Migration;
using Tandem.Privacy;
using Tandem.Quality;
using Tandem.Records;
using Xunit;

namespace Tandem.Eval.Tests.Datasets;

public sealed class DatasetExportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static DatasetExample Example(string id, string text, int minutes, string answer = "card_lost", string? rejected = null) => new()
    {
        RequestId = id, Time = T0.AddMinutes(minutes), Prompt = [new ChatTurn("user", text)], Preferred = answer, Rejected = rejected,
    };

    [Fact]
    public void Deduplicate_ExactAfterNormalising_AndNearByBigrams_KeepsTheLatest()
    {
        var examples = new[]
        {
            Example("a", "I lost my card", 0, "lost"),
            Example("b", "i  LOST my card!", 5, "card_lost"),
            // Word bigrams: 5 shared of 6 in all, Jaccard 5/6 = 0.83 ≥ 0.8.
            Example("c", "I lost my credit card yesterday please", 1),
            Example("d", "I lost my credit card yesterday", 2),
            // 3 shared bigrams of 5 in all (0.6): kept.
            Example("e", "what is my balance", 3, "balance"),
            Example("f", "what is my balance today please", 4, "balance"),
        };

        var (kept, counts) = DatasetPreparation.Deduplicate(examples, 0.8);

        Assert.Equal(["d", "e", "f", "b"], kept.Select(k => k.RequestId));
        Assert.Equal(new DedupCounts(1, 1), counts);
        Assert.Equal("card_lost", kept.Single(k => k.RequestId == "b").Preferred);
    }

    [Fact]
    public void IsTrain_OneConversation_AlwaysOneSide_AndTheShareFollowsTheSplit()
    {
        var train = 0;
        for (var i = 0; i < 2000; i++)
        {
            var first = new DatasetExample { RequestId = "x", Prompt = [new ChatTurn("system", "Be brief."), new ChatTurn("user", $"question {i}")], Preferred = "a" };
            var later = first with { Prompt = [.. first.Prompt, new ChatTurn("assistant", "a"), new ChatTurn("user", "and then?")] };
            Assert.Equal(DatasetPreparation.IsTrain(first, 0.9), DatasetPreparation.IsTrain(later, 0.9));
            train += DatasetPreparation.IsTrain(first, 0.9) ? 1 : 0;
        }

        // Binomial(2000, 0.9): one standard deviation is 13.4 examples.
        Assert.InRange(train, 1740, 1860);
    }

    [Fact]
    public async Task Collect_CorrectionWins_ThenRating_ThenJudge_WithCounts()
    {
        var records = new Dictionary<string, RequestRecord>
        {
            ["r1"] = Record("r1", "I lost my card", "balance"),
            ["r2"] = Record("r2", "what is my balance", "balance"),
            ["r3"] = Record("r3", "freeze my card", "card_lost"),
            ["r5"] = Record("r5", "cancel my order", "cancel"),
            ["r6"] = Record("r6", "weather today", "weather"),
        };
        var feedback = new List<FeedbackEntry>
        {
            new() { Id = 1, RequestId = "r1", Author = "app", Scale = RatingScale.Thumbs, Rating = 0, Correction = "lost" },
            new() { Id = 2, RequestId = "r1", Author = "app", Correction = "card_lost" },
            new() { Id = 3, RequestId = "r2", Author = "app", Scale = RatingScale.Stars, Rating = 5 },
            new() { Id = 4, RequestId = "r3", Author = "app", Scale = RatingScale.Thumbs, Rating = 0 },
            // Not captured: the client sent the conversation with its feedback.
            new() { Id = 5, RequestId = "r4", Author = "app", Scale = RatingScale.Thumbs, Rating = 1, Messages = """[{"role":"user","content":"hi there"}]""", Answer = "greeting" },
            new() { Id = 6, RequestId = "r7", Author = "app", Scale = RatingScale.Thumbs, Rating = 1 },
        };
        var samples = new List<ShadowSample>
        {
            new() { Route = "intent", RequestId = "r5", Stage = "shadow", ServedBy = "incumbent", IncumbentAnswer = "cancel", CandidateAnswer = "order_cancel", JudgeScore = 5 },
            new() { Route = "intent", RequestId = "r6", Stage = "shadow", ServedBy = "incumbent", IncumbentAnswer = "weather", CandidateAnswer = "rain", JudgeScore = 2 },
            new() { Route = "intent", RequestId = "r2", Stage = "shadow", ServedBy = "incumbent", IncumbentAnswer = "balance", CandidateAnswer = "x", JudgeScore = 5 },
        };

        var (examples, counts) = await DatasetCollector.CollectAsync(feedback, samples, (id, _) => Task.FromResult(records.GetValueOrDefault(id)),
            new DatasetExportOptions { Route = "intent" }, Ct);

        Assert.Equal(
            [("r1", ExampleSource.Correction, "card_lost", "balance"), ("r2", ExampleSource.Rating, "balance", null), ("r4", ExampleSource.Rating, "greeting", null),
             ("r5", ExampleSource.Judge, "order_cancel", "cancel")],
            examples.Select(e => (e.RequestId, e.Source, e.Preferred, e.Rejected)).ToArray());
        Assert.Equal("hi there", examples[2].Prompt.Single().Content);
        Assert.Equal(new CollectionCounts { Requests = 6, NoConversation = 1, LowRatedWithoutCorrection = 1, NoAnswer = 0 }, counts);
    }

    [Fact]
    public void Write_SftDpoSuiteAndCard_InTheirFormats()
    {
        using var dir = new TempDir("tandem-dataset-");
        var examples = new[]
        {
            Example("r1", "I lost my card", 0, "card_lost", "balance"),
            Example("r2", "what is my balance", 1, "balance"),
            Example("r3", "mail bob@example.org", 2, "contact", "other"),
        };
        var scrubbed = DatasetPreparation.Scrub(examples, PersonalDataDetector.Default);
        Assert.Equal("mail [email]", scrubbed[2].Prompt[0].Content);

        var sft = DatasetWriter.Write(scrubbed, new DatasetExportOptions { Route = "intent", Split = 0.5, Scrub = true }, new CollectionCounts { Requests = 3 }, new DedupCounts(0, 0),
            dir.File("sft"), T0);
        var dpo = DatasetWriter.Write(scrubbed, new DatasetExportOptions { Route = "intent", Format = DatasetFormat.Dpo, Split = 0.5 }, new CollectionCounts { Requests = 3 },
            new DedupCounts(0, 0), dir.File("dpo"), T0);

        var sftLines = File.ReadAllLines(dir.File("sft/train.jsonl")).Concat(File.ReadAllLines(dir.File("sft/validation.jsonl"))).ToList();
        Assert.Equal(3, sftLines.Count);
        // SHA-256 of each conversation key ("u:" + normalised first user turn), first 8 bytes as a fraction, worked out
        // outside Tandem: "u:i lost my card" 0.192 (train), "u:what is my balance" 0.642, "u:mail email" 0.788 (validation).
        Assert.Equal((1, 2), (sft.Train, sft.Validation));
        Assert.Equal((1, 1), (dpo.Train, dpo.Validation));
        Assert.Contains("""{"messages":[{"role":"user","content":"I lost my card"},{"role":"assistant","content":"card_lost"}]}""", sftLines);
        var dpoLines = File.ReadAllLines(dir.File("dpo/train.jsonl")).Concat(File.ReadAllLines(dir.File("dpo/validation.jsonl"))).ToList();
        Assert.Contains("""{"input":{"messages":[{"role":"user","content":"I lost my card"}]},"preferred_output":[{"role":"assistant","content":"card_lost"}],"non_preferred_output":[{"role":"assistant","content":"balance"}]}""", dpoLines);

        // The held-out suite loads as a tandem eval suite with the validation conversations.
        var suite = SuiteLoader.Load(dir.File("sft/eval-suite.jsonl"), null);
        Assert.Equal(sft.Validation, suite.Cases.Count);
        Assert.All(suite.Cases, c => Assert.Equal(CaseKind.Classification, c.Kind));
        Assert.Equal(["balance", "card_lost", "contact"], suite.Labels);

        using var card = JsonDocument.Parse(File.ReadAllText(dir.File("sft/dataset-card.json")));
        Assert.Equal(("intent", "sft", "classification", "2026-11-01T09:00:00Z", "2026-11-01T09:02:00Z", true),
            (card.RootElement.GetProperty("route").GetString(), card.RootElement.GetProperty("format").GetString(), card.RootElement.GetProperty("task").GetString(),
             card.RootElement.GetProperty("date_range").GetProperty("from").GetString(), card.RootElement.GetProperty("date_range").GetProperty("to").GetString(),
             card.RootElement.GetProperty("settings").GetProperty("scrubbed").GetBoolean()));
        Assert.Equal(1, card.RootElement.GetProperty("label_balance").GetProperty("contact").GetInt32());
        Assert.Equal(1, JsonDocument.Parse(File.ReadAllText(dir.File("dpo/dataset-card.json"))).RootElement.GetProperty("left_out").GetProperty("no_rejected_answer").GetInt32());
        Assert.Contains("# Dataset " + sft.Id, File.ReadAllText(dir.File("sft/dataset-card.md")), StringComparison.Ordinal);
    }

    private static RequestRecord Record(string id, string text, string answer) => new()
    {
        Id = id, Time = T0, Route = "intent", Deployment = "llama-8b",
        PromptContent = JsonSerializer.Serialize(new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = text } }),
        ResponseContent = answer,
    };
}
