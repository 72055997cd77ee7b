using System.Text.Json;
using Tandem.Routing;
using Xunit;

namespace Tandem.Core.Tests.Routing;

/// <summary>
/// The <c>features</c> scorer's documented weights, each read as the difference between two requests that differ in
/// that feature only (same text length, so the same length term): reasoning 0.30 (0.25 per cue up to 4 cues),
/// code or math 0.15, conversation 0.10 (0.25 per turn beyond the first up to 4), structure 0.10, length 0.35 on a
/// log scale that reaches 1 at 2,000 tokens.
/// </summary>
public sealed class ComplexityScorerTests
{
    private static readonly FeatureComplexityScorer Scorer = new();

    private static RequestView Request(string text, string extra = "", int userTurns = 1)
    {
        var messages = string.Join(",", Enumerable.Range(0, userTurns).Select(i => "{\"role\":\"user\",\"content\":" + JsonSerializer.Serialize(i == userTurns - 1 ? text : "x") + "}"));
        return RequestView.For("{\"model\":\"r\",\"messages\":[" + messages + "]" + extra + "}");
    }

    private static double Difference(RequestView with, RequestView without)
    {
        Assert.Equal(without.EstimatedPromptTokens, with.EstimatedPromptTokens); // the same length term on both sides
        return Scorer.Score(with) - Scorer.Score(without);
    }

    [Theory]
    [InlineData("why is it so", "wha is it so", 0.075)] // 1 cue: 0.30 × 0.25
    [InlineData("why explain compare it", "wha explaxn compaxe it", 0.225)] // 3 cues: 0.30 × 0.75
    [InlineData("why explain compare prove", "wha explaxn compaxe provx", 0.30)] // 4 cues: 0.30 × 1
    [InlineData("why explain compare prove design", "wha explaxn compaxe provx desixn", 0.30)] // 5 cues: still 0.30
    [InlineData("WHY", "WHA", 0.075)] // cues ignore case
    public void Reasoning_QuarterPerCue_UpToFour(string with, string without, double expected) =>
        Assert.Equal(expected, Difference(Request(with), Request(without)), 10);

    [Theory]
    [InlineData("see ```x```", "see '''x'''")] // a code fence
    [InlineData("{a;b};{c;d}", "(a,b),(c,d)")] // six braces and semicolons
    [InlineData("the integral equation", "the intexral exuation")] // two math cues
    public void CodeOrMath_AddsPointFifteen(string with, string without) =>
        Assert.Equal(0.15, Difference(Request(with), Request(without)), 10);

    [Theory]
    [InlineData("{a;b}{c}", "(a,b)(c)")] // five braces and semicolons: not code
    [InlineData("the integral here", "the intexral here")] // one math cue: not math
    public void CodeOrMath_BelowItsThreshold_AddsNothing(string with, string without) =>
        Assert.Equal(0.0, Difference(Request(with), Request(without)), 10);

    [Fact]
    public void CodeAndMath_Together_CountOnce()
    {
        Assert.Equal(0.15, Difference(Request("```integral equation```"), Request("'''intexral exuation'''")), 10);
    }

    [Theory]
    [InlineData(2, 0.025)] // one turn beyond the first: 0.10 × 0.25
    [InlineData(3, 0.05)]
    [InlineData(5, 0.10)] // four beyond: 0.10 × 1
    [InlineData(7, 0.10)]
    public void Conversation_QuarterPerTurnBeyondTheFirst_UpToFour(int turns, double expected)
    {
        // The earlier turns are "x" in both: compare with the same turns' text as one message would change the length,
        // so compare the score with the length term worked out from the request's own token estimate instead.
        var many = Request("hello", userTurns: turns);
        var length = 0.35 * Math.Clamp(Math.Log(1 + many.EstimatedPromptTokens) / Math.Log(2001), 0, 1);

        Assert.Equal(length + expected, Scorer.Score(many), 10);
    }

    [Theory]
    [InlineData(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", 0.10)]
    [InlineData(",\"response_format\":{\"type\":\"json_object\"}", 0.10)]
    [InlineData(",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{}}}", 0.10)]
    [InlineData(",\"response_format\":{\"type\":\"text\"}", 0.0)]
    public void Structure_ToolsOrJson_AddsPointTen(string extra, double expected)
    {
        var plain = Request("hello");
        var structured = Request("hello", extra);
        var lengthDifference = 0.35 * ((Math.Log(1 + structured.EstimatedPromptTokens) - Math.Log(1 + plain.EstimatedPromptTokens)) / Math.Log(2001));

        Assert.Equal(expected, Scorer.Score(structured) - Scorer.Score(plain) - lengthDifference, 10);
    }

    [Fact]
    public void Length_LogScaleReachingItsWeightAtTwoThousandTokens()
    {
        var shortRequest = Request("hello");
        var huge = Request(string.Join(' ', Enumerable.Repeat("token", 20_000)));

        // 0.35 × ln(1 + t) / ln(2001) for the short one; the long one is past 2,000 tokens: the whole 0.35.
        Assert.Equal(0.35 * Math.Log(1 + shortRequest.EstimatedPromptTokens) / Math.Log(2001), Scorer.Score(shortRequest), 10);
        Assert.True(huge.EstimatedPromptTokens > 2000);
        Assert.Equal(0.35, Scorer.Score(huge), 10);
        Assert.Equal("features", Scorer.Name);
    }

    [Fact]
    public void Score_EveryFeatureAtItsMaximum_IsOne()
    {
        var text = string.Join(' ', Enumerable.Repeat("why explain compare prove ```code``` integral equation", 800));

        var score = Scorer.Score(Request(text, ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", userTurns: 6));

        Assert.Equal(1.0, score, 10);
    }
}
