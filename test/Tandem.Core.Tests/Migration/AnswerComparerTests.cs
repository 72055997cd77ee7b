using Tandem.Configuration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Core.Tests.Migration;

/// <summary>
/// How two answers are judged to agree, by route type: classification labels (normalised first line, a JSON field or a
/// regular expression), structured output field by field, free text by word overlap.
/// </summary>
public sealed class AnswerComparerTests
{
    private static AnswerComparer Labels(string label = "normalized") => new(new CompareConfig { Kind = "classification", Label = label });

    [Theory]
    [InlineData("Refund", "refund")]
    [InlineData("  Refund_Request! ", "refund_request")]
    [InlineData("\"Card-Lost.\"", "card_lost")]
    [InlineData("Hello,   World", "hello_world")] // the comma goes, the run of spaces is one separator
    [InlineData("a - b", "a_b")] // space, dash, space: one separator
    [InlineData("a\t_b", "a_b")]
    [InlineData("__x__", "x")] // no separator at either end
    [InlineData("a.b", "ab")] // punctuation is dropped, not a separator
    [InlineData("Ünïcode 42", "ünïcode_42")]
    [InlineData("!!!", "")]
    [InlineData("", "")]
    public void Normalize_LowerCase_PunctuationOut_SeparatorsToOneUnderscore(string text, string expected) =>
        Assert.Equal(expected, AnswerComparer.Normalize(text));

    [Theory]
    [InlineData("Billing", "billing")]
    [InlineData("\n  Billing \nBecause the customer asked about an invoice.", "billing")] // first line of the trimmed answer
    [InlineData("Card lost\r\nmore", "card_lost")]
    [InlineData("...", null)] // nothing left: no label
    [InlineData("   ", null)]
    public void Label_Normalized_ReadsTheFirstLine(string answer, string? expected) =>
        Assert.Equal(expected, Labels().Label(answer));

    [Theory]
    [InlineData("{\"intent\": \"Card Lost\"}", "card_lost")]
    [InlineData("Sure! ```json\n{\"intent\": \"refund\", \"confidence\": 0.9}\n``` Hope that helps.", "refund")] // the object inside prose or a fence
    [InlineData("{\"intent\": \"caf\\u00e9 au lait\"}", "café_au_lait")] // the string's value, escapes decoded
    [InlineData("{\"intent\": 42}", "42")] // a non-string value by its JSON text
    [InlineData("{\"intent\": true}", "true")]
    [InlineData("{\"intent\": {\"a\": 1}}", "a_1")] // {"a": 1} → the colon goes, the space separates
    [InlineData("{\"other\": \"refund\"}", null)] // no such field
    [InlineData("[\"refund\"]", null)] // not an object
    [InlineData("{\"intent\": ", null)] // not JSON
    [InlineData("refund", null)]
    public void Label_JsonField_ReadsThatField(string answer, string? expected) =>
        Assert.Equal(expected, Labels("json:intent").Label(answer));

    [Theory]
    [InlineData("regex:Intent: (\\w+)", "The Intent: Refund, surely", "refund")] // the first group
    [InlineData("regex:\\d+", "order 1234 and 99", "1234")] // no group: the whole first match
    [InlineData("regex:(x)?y", "y", "y")] // the group did not take part: the whole match
    [InlineData("regex:Intent: (\\w+)", "no label here", null)]
    public void Label_Regex_FirstGroupElseWholeMatch(string label, string answer, string? expected) =>
        Assert.Equal(expected, Labels(label).Label(answer));

    [Fact]
    public void Compare_Classification_AgreesOnEqualLabels_NeverOnTwoMissingOnes()
    {
        var comparer = Labels();

        Assert.Equal(new Comparison(true, "card_lost", "card_lost", null), comparer.Compare("Card lost.", " card-lost\nsure"));
        Assert.Equal(new Comparison(false, "card_lost", "refund", null), comparer.Compare("Card lost", "Refund"));
        Assert.Equal(new Comparison(false, null, null, null), comparer.Compare("...", "!!!"));
        Assert.Equal(new Comparison(false, "refund", null, null), comparer.Compare("refund", "?"));
    }

    [Fact]
    public void Compare_UnknownKind_IsClassification()
    {
        var comparer = new AnswerComparer(new CompareConfig { Kind = "something-else" });

        Assert.Equal(new Comparison(true, "yes", "yes", null), comparer.Compare("Yes", "yes!"));
    }

    [Theory]
    [InlineData("{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", 1.0)] // same fields, any order
    [InlineData("{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":3}", 0.5)] // 1 of 2 equal
    [InlineData("{\"a\":1}", "{\"a\":1,\"c\":0}", 0.5)] // fields of both: a equal, c only on one side
    [InlineData("{\"a\":{\"x\":[1,2]},\"b\":\"s\"}", "{\"a\":{\"x\":[1,2]},\"b\":\"s\"}", 1.0)] // nested values compared whole
    [InlineData("{\"a\":{\"x\":[1,2]}}", "{\"a\":{\"x\":[2,1]}}", 0.0)]
    [InlineData("{}", "{}", 1.0)] // nothing to differ on
    [InlineData("[1,2]", "[1,2]", 1.0)] // not objects: equal or not as a whole
    [InlineData("[1,2]", "[2,1]", 0.0)]
    [InlineData("{\"a\":1}", "[1]", 0.0)]
    [InlineData("{\"a\":1", "{\"a\":1}", 0.0)] // not JSON
    [InlineData("Here it is: {\"a\":1,\"b\":2} done", "```json\n{\"a\":1,\"b\":2}\n```", 1.0)]
    public void StructuredSimilarity_AllFields_ShareEqual(string a, string b, double expected) =>
        Assert.Equal(expected, AnswerComparer.StructuredSimilarity(a, b, []));

    [Fact]
    public void StructuredSimilarity_NamedFields_OnlyThoseCount()
    {
        const string a = "{\"name\":\"Ada\",\"city\":\"London\",\"note\":\"x\"}";
        const string b = "{\"name\":\"Ada\",\"city\":\"Paris\",\"note\":\"y\"}";

        Assert.Equal(1.0, AnswerComparer.StructuredSimilarity(a, b, ["name"]));
        Assert.Equal(0.5, AnswerComparer.StructuredSimilarity(a, b, ["name", "city"]));
        // A named field missing on both sides is not equal: 1 of 2.
        Assert.Equal(0.5, AnswerComparer.StructuredSimilarity(a, b, ["name", "zip"]));
        Assert.Equal(0.25, AnswerComparer.StructuredSimilarity(a, b, ["name", "city", "note", "zip"]));
    }

    [Fact]
    public void Compare_Structured_AgreesOnlyWhenEveryComparedFieldIsEqual()
    {
        var all = new AnswerComparer(new CompareConfig { Kind = "structured" });
        var nameOnly = new AnswerComparer(new CompareConfig { Kind = "structured", Fields = ["name"] });
        const string a = "{\"name\":\"Ada\",\"age\":36}";
        const string b = "{\"name\":\"Ada\",\"age\":37}";

        Assert.Equal(new Comparison(false, null, null, 0.5), all.Compare(a, b));
        Assert.Equal(new Comparison(true, null, null, 1.0), nameOnly.Compare(a, b));
        Assert.Equal(new Comparison(true, null, null, 1.0), all.Compare(a, "{\"age\":36,\"name\":\"Ada\"}"));
    }

    [Theory]
    [InlineData("The cat sat", "the cat ran", 0.5)] // {the, cat, sat} ∩ {the, cat, ran} = 2 of 4
    [InlineData("The cat sat.", "the CAT, sat!", 1.0)]
    [InlineData("a a b", "b a", 1.0)] // word sets, not counts
    [InlineData("The cat", "a dog", 0.0)]
    [InlineData("one two three", "one", 1.0 / 3.0)]
    [InlineData("", "", 1.0)] // both empty: the same
    [InlineData("!!!", "...", 1.0)] // no words on either side
    [InlineData("word", "", 0.0)]
    [InlineData("Yes.", "yes", 1.0)] // punctuation leaves no empty word behind
    public void TokenJaccard_WordSetOverlap(string a, string b, double expected) =>
        Assert.Equal(expected, AnswerComparer.TokenJaccard(a, b), 12);

    [Fact]
    public void Compare_Text_AgreesFromMinSimilarity_BoundIncluded()
    {
        var half = new AnswerComparer(new CompareConfig { Kind = "text", MinSimilarity = 0.5 });
        var strict = new AnswerComparer(new CompareConfig { Kind = "text", MinSimilarity = 0.6 });

        // Jaccard 2 / 4 = 0.5.
        Assert.Equal(new Comparison(true, null, null, 0.5), half.Compare("The cat sat", "the cat ran"));
        Assert.Equal(new Comparison(false, null, null, 0.5), strict.Compare("The cat sat", "the cat ran"));
    }

    [Fact]
    public void ExtractJson_TakesFromTheFirstOpeningToTheLastClosingBrace()
    {
        Assert.Equal("{\"a\":{\"b\":1}}", AnswerComparer.ExtractJson("x {\"a\":{\"b\":1}} y"));
        Assert.Equal("[1]", AnswerComparer.ExtractJson("  [1] "));
        Assert.Equal("} {", AnswerComparer.ExtractJson(" } { ")); // no closing brace after the opening one
        Assert.Equal("{\"a\":1}", AnswerComparer.ExtractJson("{\"a\":1} and thanks")); // an object at the very start
    }
}
