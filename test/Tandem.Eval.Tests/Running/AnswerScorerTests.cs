using Tandem.Eval.Running;
using Tandem.Eval.Suites;
using Xunit;

namespace Tandem.Eval.Tests.Running;

/// <summary>How an eval answer is scored: the label it names (lenient with wrapping, strict with content) and whether
/// an extraction carries every required field.</summary>
public sealed class AnswerScorerTests
{
    private static readonly Dictionary<string, string> Labels = AnswerScorer.NormalizeLabels(["card_lost", "Refund Request", "balance"]);

    [Theory]
    [InlineData("card_lost", "card_lost")]
    [InlineData("  Card Lost.  ", "card_lost")] // case, spaces for underscores, a trailing period
    [InlineData("**card-lost**", "card_lost")]
    [InlineData("`refund_request`", "Refund Request")] // the label as the suite spells it
    [InlineData("\"Refund  Request\"", "Refund Request")] // a run of spaces is one underscore
    [InlineData("Intent: balance", "balance")]
    [InlineData("label: \"balance\"!", "balance")]
    [InlineData("balance\nBecause the user asks how much money is left.", "balance")] // the first line
    [InlineData("reason: balance", null)] // only label/intent/answer/category/class prefixes are read
    [InlineData("balance please", null)] // more than a label: an invalid output, not a wrong label
    [InlineData("transfer", null)] // not a label of the suite
    [InlineData("", null)]
    public void MatchLabel_ReadsTheLabelAnAnswerNames(string answer, string? expected) =>
        Assert.Equal(expected, AnswerScorer.MatchLabel(answer, Labels));

    [Theory]
    [InlineData("{\"name\":\"Ada\",\"city\":\"London\"}", true, false)]
    [InlineData("Here: {\"name\":\"Ada\",\"city\":\"London\",\"extra\":1} done", true, false)] // inside prose
    [InlineData("{\"name\":\"Ada\"}", false, false)] // a field missing: wrong, but valid output
    [InlineData("{\"name\":\"Ada\",\"city\":null}", false, false)] // null is missing
    [InlineData("{\"name\":\"Ada\",\"city\":\"\"}", true, false)] // an empty string is a value
    [InlineData("no json here", false, true)] // no object at all: invalid
    [InlineData("[{\"name\":\"Ada\",\"city\":\"London\"}]", true, false)] // the first object found
    public void ScoreExtraction_EveryRequiredFieldWithAValue(string answer, bool correct, bool invalid) =>
        Assert.Equal((correct, invalid), AnswerScorer.ScoreExtraction(answer, ["name", "city"]));

    [Fact]
    public void Score_SetsPredictedCorrectAndInvalidByCaseKind()
    {
        var classification = new EvalCase { Id = "1", Kind = CaseKind.Classification, Label = "card_lost", Messages = [] };
        var right = new EvalRecord();
        var wrong = new EvalRecord();
        var invalid = new EvalRecord();

        AnswerScorer.Score(classification, "Card lost", Labels, right);
        AnswerScorer.Score(classification, "balance", Labels, wrong);
        AnswerScorer.Score(classification, "I cannot tell", Labels, invalid);

        Assert.Equal<(string?, bool?, bool)>(("card_lost", true, false), (right.Predicted, right.Correct, right.Invalid));
        Assert.Equal<(string?, bool?, bool)>(("balance", false, false), (wrong.Predicted, wrong.Correct, wrong.Invalid));
        Assert.Equal<(string?, bool?, bool)>((null, false, true), (invalid.Predicted, invalid.Correct, invalid.Invalid));
    }
}
