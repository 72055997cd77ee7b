using System.Text.Json.Nodes;
using Tandem.Quality;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Core.Tests.Quality;

/// <summary>The judge against a real simulator over HTTP, through the gateway's provider code.</summary>
public sealed class LlmJudgeTests
{
    private static readonly IReadOnlyList<ChatTurn> Question = [new("user", "What is the capital of France?")];

    private static async Task<(SimulatorServer Sim, LlmJudge Judge)> StartAsync(SimulatorOptions options, JudgeOptions? judgeOptions = null)
    {
        var sim = await SimulatorServer.StartAsync(options, cancellationToken: Ct);
        var snapshot = GatewayConfigs.Snapshot(GatewayConfigs.PerUpstream(("judge", "gpt-4o-2024-08-06", null)), [sim.V1]);
        return (sim, LlmJudge.ForDeployment(snapshot.Deployments["judge"], judgeOptions));
    }

    [Fact]
    public async Task ScoreAsync_FencedVerdict_ScoredAndJsonModeRequested()
    {
        var (sim, judge) = await StartAsync(new SimulatorOptions
        {
            RecordRequests = 5,
            JudgeScript = [new ScriptedReply(JudgePrompts.AnswerMarker + "\nParis", "Here is my verdict:\n```json\n{\"score\": 5, \"reasons\": \"correct\"}\n```")],
        });
        await using var _ = sim;

        var score = await judge.ScoreAsync(new JudgeRequest(Question, "Paris", Reference: "Paris"), Ct);

        Assert.Equal(JudgeOutcome.Scored, score.Outcome);
        Assert.Equal(5, score.Score);
        Assert.Equal("correct", score.Reasons);
        var sent = JsonNode.Parse(sim.Stats.Recent.Single().Body)!;
        Assert.Equal("json_object", (string?)sent["response_format"]!["type"]);
        Assert.Equal("gpt-4o-2024-08-06", (string?)sent["model"]);
        var prompt = (string)sent["messages"]![1]!["content"]!;
        Assert.Contains("[Reference answer]\nParis", prompt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("I would rate this answer four out of five.")]
    [InlineData("{\"score\": 7, \"reasons\": \"great\"}")]
    [InlineData("{\"score\": 4, \"reasons\": \"cut off")]
    public async Task ScoreAsync_MalformedVerdict_UnparseableWithRawKept(string reply)
    {
        var (sim, judge) = await StartAsync(new SimulatorOptions { JudgeScript = [new ScriptedReply(JudgePrompts.AnswerMarker, reply)] });
        await using var _ = sim;

        var score = await judge.ScoreAsync(new JudgeRequest(Question, "Lyon"), Ct);

        Assert.Equal(JudgeOutcome.Unparseable, score.Outcome);
        Assert.Null(score.Score);
        Assert.Equal(reply, score.Raw);
    }

    [Fact]
    public async Task ScoreAsync_ProviderRejectsJsonMode_AsksAgainInPlainTextOnce()
    {
        var (sim, judge) = await StartAsync(new SimulatorOptions
        {
            RejectResponseFormat = true,
            RecordRequests = 10,
            JudgeScript = [new ScriptedReply(JudgePrompts.AnswerMarker, "{\"score\": 2, \"reasons\": \"wrong\"}")],
        });
        await using var _ = sim;

        var first = await judge.ScoreAsync(new JudgeRequest(Question, "Lyon"), Ct);
        var second = await judge.ScoreAsync(new JudgeRequest(Question, "Nice"), Ct);

        Assert.Equal(2, first.Score);
        Assert.Equal(2, second.Score);
        var bodies = sim.Stats.Recent.Select(r => JsonNode.Parse(r.Body)!).ToList();
        Assert.Equal(3, bodies.Count); // refused, retried without; then straight without
        Assert.Equal([true, false, false], bodies.Select(b => b["response_format"] is not null));
    }

    [Fact]
    public async Task ScoreAsync_JudgeUnavailable_Failed()
    {
        var (sim, judge) = await StartAsync(new SimulatorOptions { Faults = [new Fault(FaultKind.Status500, 1)] });
        await using var _ = sim;

        var score = await judge.ScoreAsync(new JudgeRequest(Question, "Paris"), Ct);

        Assert.Equal(JudgeOutcome.Failed, score.Outcome);
        Assert.Contains("500", score.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompareAsync_ConsistentJudge_DeclaresWinnerFromBothOrders()
    {
        // The judge prefers "Paris" wherever it is shown.
        var (sim, judge) = await StartAsync(new SimulatorOptions
        {
            JudgeScript =
            [
                new ScriptedReply(JudgePrompts.AnswerAMarker + "\nParis", "{\"winner\": \"A\"}"),
                new ScriptedReply(JudgePrompts.AnswerBMarker + "\nParis", "{\"winner\": \"B\"}"),
            ],
        });
        await using var _ = sim;

        var verdict = await judge.CompareAsync(new PairwiseRequest(Question, "Lyon", "Paris"), Ct);

        Assert.Equal(PairwiseWinner.Second, verdict.Winner);
    }

    [Fact]
    public async Task CompareAsync_PositionBiasedJudge_IsInconsistentNotAWin()
    {
        // The judge always prefers whatever is shown first: asking in both orders exposes it.
        var (sim, judge) = await StartAsync(new SimulatorOptions { JudgeScript = [new ScriptedReply(JudgePrompts.AnswerAMarker, "{\"winner\": \"A\"}")] });
        await using var _ = sim;

        var verdict = await judge.CompareAsync(new PairwiseRequest(Question, "Lyon", "Paris"), Ct);

        Assert.Equal(PairwiseWinner.Inconsistent, verdict.Winner);
    }

    [Fact]
    public async Task CompareAsync_OneOrderMalformed_Unparseable()
    {
        var (sim, judge) = await StartAsync(new SimulatorOptions
        {
            JudgeScript =
            [
                new ScriptedReply(JudgePrompts.AnswerAMarker + "\nLyon", "{\"winner\": \"B\"}"),
                new ScriptedReply(JudgePrompts.AnswerAMarker + "\nParis", "Paris, obviously."),
            ],
        });
        await using var _ = sim;

        var verdict = await judge.CompareAsync(new PairwiseRequest(Question, "Lyon", "Paris"), Ct);

        Assert.Equal(PairwiseWinner.Unparseable, verdict.Winner);
    }
}
