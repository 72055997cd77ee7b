using System.Text;
using Microsoft.ML.Tokenizers;
using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// Which vocabulary a model gets, and how a prompt is counted when the upstream reports no usage. Expected counts are
/// the vocabularies' own (Microsoft.ML.Tokenizers), summed by the documented framing rules.
/// </summary>
public sealed class TokenCounterRulesTests
{
    private static readonly Tokenizer O200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
    private static readonly Tokenizer Cl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    // A text the two vocabularies count differently, so that the chosen one shows.
    private const string Probe = "Tandem counts tokens when the upstream does not: naïve café, 12345, 𝛑.";

    [Theory]
    [InlineData("gpt-4o-mini", true)]
    [InlineData("GPT-4o", true)]
    [InlineData("gpt-4.1-nano", true)]
    [InlineData("gpt-5", true)]
    [InlineData("o1-preview", true)]
    [InlineData("o3-mini", true)]
    [InlineData("o4-mini", true)]
    [InlineData("openai/gpt-4o", true)] // a provider prefix is ignored
    [InlineData("azure/openai/gpt-4-0613", false)]
    [InlineData("gpt-4-turbo", false)]
    [InlineData("gpt-3.5-turbo", false)]
    [InlineData("text-embedding-3-small", false)]
    [InlineData("llama-3.1-8b", true)] // anything else: o200k, an estimate
    [InlineData(null, true)]
    public void For_ModelId_PicksTheVocabulary(string? model, bool o200k)
    {
        var expected = (o200k ? O200k : Cl100k).CountTokens(Probe);

        Assert.NotEqual(O200k.CountTokens(Probe), Cl100k.CountTokens(Probe));
        Assert.Equal(expected, TokenCounter.For(null, model).CountTokens(Probe));
    }

    [Theory]
    [InlineData("o200k", "gpt-4-0613", true)] // the setting wins over the model
    [InlineData("cl100k", "gpt-4o", false)]
    public void For_TokenizerSetting_WinsOverTheModel(string tokenizer, string model, bool o200k)
    {
        var deployment = new DeploymentConfig { Name = "d", Model = model, Tokenizer = tokenizer };

        Assert.Equal((o200k ? O200k : Cl100k).CountTokens(Probe), TokenCounter.For(deployment).CountTokens(Probe));
        Assert.Throws<ArgumentNullException>("deployment", () => TokenCounter.For(null!));
    }

    [Fact]
    public void CountText_EmptyOrNull_IsZero()
    {
        Assert.Equal(0, TokenCounter.CountText(O200k, null));
        Assert.Equal(0, TokenCounter.CountText(O200k, ""));
        Assert.Equal(O200k.CountTokens(Probe), TokenCounter.CountText(O200k, Probe));
        Assert.Throws<ArgumentNullException>("tokenizer", () => TokenCounter.CountText(null!, "x"));
    }

    private static int Chat(string messagesJson) => TokenCounter.CountPrompt(O200k, Encoding.UTF8.GetBytes(messagesJson), chat: true);

    [Fact]
    public void CountPrompt_NameCostsOneMoreThanItsText()
    {
        // (3 + "user" + "hi") + (1 + "ada") + 3 priming the reply.
        var expected = 3 + O200k.CountTokens("user") + O200k.CountTokens("hi") + 1 + O200k.CountTokens("ada") + 3;

        Assert.Equal(expected, Chat("""[{"role":"user","name":"ada","content":"hi"}]"""));
    }

    [Fact]
    public void CountPrompt_ToolCalls_CountEveryString_OtherFieldsNone()
    {
        // tool_calls: every string of it, joined by spaces: "c1 function get_weather {\"city\":\"Paris\"}".
        var toolStrings = O200k.CountTokens("c1 function get_weather {\"city\":\"Paris\"}");
        var expected = 3 + O200k.CountTokens("assistant") + toolStrings + 3;

        Assert.Equal(expected, Chat("""[{"role":"assistant","content":null,"refusal":"not counted","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}]"""));
    }

    [Fact]
    public void CountPrompt_ContentParts_OnlyTheirText()
    {
        // Parts: "a b" and "c" joined by a space; the image URL and the part types are not text.
        var expected = 3 + O200k.CountTokens("user") + O200k.CountTokens("a b c") + 3;

        Assert.Equal(expected, Chat("""[{"role":"user","content":[{"type":"text","text":"a b"},{"type":"image_url","image_url":{"url":"https://x/y.png"}},{"type":"text","text":"c"}]}]"""));
    }

    [Fact]
    public void CountPrompt_NotChat_CountsEveryString()
    {
        Assert.Equal(O200k.CountTokens("once upon a time"), TokenCounter.CountPrompt(O200k, "\"once upon a time\""u8, chat: false));
        Assert.Equal(O200k.CountTokens("one two"), TokenCounter.CountPrompt(O200k, "[\"one\",\"two\"]"u8, chat: false));
        // A chat count of something that is not a messages array: its strings.
        Assert.Equal(O200k.CountTokens("one two"), TokenCounter.CountPrompt(O200k, "[\"one\",\"two\"]"u8, chat: false));
        Assert.Equal(O200k.CountTokens("lone"), TokenCounter.CountPrompt(O200k, "\"lone\""u8, chat: true));
        Assert.Equal(0, TokenCounter.CountPrompt(O200k, "42"u8, chat: false));
    }

    [Fact]
    public void CountPrompt_EmptyArrayOrBrokenJson_CountsWhatItRead()
    {
        Assert.Equal(0, Chat("[]")); // no message: no priming either
        // The message breaks off inside its content: 3 + "user" so far, and no priming.
        Assert.Equal(3 + O200k.CountTokens("user"), Chat("""[{"role":"user","content":"hi there"""));
        Assert.Throws<ArgumentNullException>("tokenizer", () => TokenCounter.CountPrompt(null!, "[]"u8, chat: true));
    }

    [Fact]
    public void CountPrompt_NestedObjectsInAMessage_AreNotTakenForItsFields()
    {
        // A nested "role" inside metadata-like fields is skipped with its parent; only the message's own fields count.
        var expected = 3 + O200k.CountTokens("user") + O200k.CountTokens("hi") + 3;

        Assert.Equal(expected, Chat("""[{"role":"user","extra":{"role":"system","content":"ignored text"},"content":"hi"}]"""));
    }
}
