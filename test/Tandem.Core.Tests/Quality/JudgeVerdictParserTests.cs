using Tandem.Quality;
using Xunit;

namespace Tandem.Core.Tests.Quality;

public sealed class JudgeVerdictParserTests
{
    [Theory]
    [InlineData("{\"score\": 4, \"reasons\": \"mostly right\"}", 4, "mostly right")]
    [InlineData("```json\n{\"score\": 2, \"reasons\": \"wrong city\"}\n```", 2, "wrong city")]
    [InlineData("Let me think. The answer is fine.\n\n{\"score\": 5, \"reason\": \"exact\"}\nThat is my verdict.", 5, "exact")]
    [InlineData("{\"Score\": \"3\", \"reasons\": [\"vague\", \"no sources\"]}", 3, "vague; no sources")]
    [InlineData("{\"score\": 1.0}", 1, null)]
    [InlineData("{\"reasons\": \"has a { brace } in it\", \"score\": 4}", 4, "has a { brace } in it")]
    [InlineData("{\"score\": 4} and again {\"score\": 4}", 4, null)]
    [InlineData("[{\"score\": 4}]", 4, null)]
    public void TryParseScore_ValidVerdicts_ReadsScoreAndReasons(string text, int score, string? reasons)
    {
        Assert.True(JudgeVerdictParser.TryParseScore(text, out var s, out var r));
        Assert.Equal(score, s);
        Assert.Equal(reasons, r);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Score: 4 out of 5, a good answer.")]                 // no JSON: never guessed from prose
    [InlineData("{\"score\": 6, \"reasons\": \"off the scale\"}")]    // out of range
    [InlineData("{\"score\": 0}")]
    [InlineData("{\"score\": 3.5}")]                                  // not a whole number
    [InlineData("{\"score\": \"good\"}")]
    [InlineData("{\"score\": null}")]
    [InlineData("{\"score\": 4, \"reasons\": \"truncated")]             // cut off mid-object
    [InlineData("{\"verdict_text\": \"fine\"}")]                       // an object without a score
    [InlineData("{\"score\": 2} ... on reflection {\"score\": 5}")]   // two different verdicts: ambiguous
    public void TryParseScore_MalformedVerdicts_AreUnparseable(string text)
    {
        Assert.False(JudgeVerdictParser.TryParseScore(text, out _, out _));
    }

    [Theory]
    [InlineData("{\"winner\": \"A\", \"reasons\": \"more precise\"}", 'A')]
    [InlineData("```\n{\"winner\": \"b\"}\n```", 'B')]
    [InlineData("I compared both. {\"winner\": \"Answer B\"}", 'B')]
    [InlineData("{\"winner\": \"tie\"}", 'T')]
    [InlineData("{\"verdict\": \"[[A]]\"}", 'A')]
    public void TryParseWinner_ValidVerdicts_ReadsWinner(string text, char winner)
    {
        Assert.True(JudgeVerdictParser.TryParseWinner(text, out var w, out _));
        Assert.Equal(winner, w);
    }

    [Theory]
    [InlineData("Answer A is better.")]
    [InlineData("{\"winner\": \"both\"}")]
    [InlineData("{\"winner\": 1}")]
    [InlineData("{\"winner\": \"A\"} {\"winner\": \"B\"}")]
    public void TryParseWinner_MalformedVerdicts_AreUnparseable(string text)
    {
        Assert.False(JudgeVerdictParser.TryParseWinner(text, out _, out _));
    }

    [Fact]
    public void JsonObjects_Extract_SkipsBrokenSpansAndFindsLaterObjects()
    {
        var found = JsonObjects.Extract("noise {not json} more {\"a\": \"}\"} tail {\"b\": 2}").ToList();
        try
        {
            Assert.Equal(2, found.Count);
            Assert.Equal("}", found[0].RootElement.GetProperty("a").GetString());
            Assert.Equal(2, found[1].RootElement.GetProperty("b").GetInt32());
        }
        finally
        {
            found.ForEach(d => d.Dispose());
        }
    }
}
