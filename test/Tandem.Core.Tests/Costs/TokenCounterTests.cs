using System.Text;
using Microsoft.ML.Tokenizers;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

public sealed class TokenCounterTests
{
    [Fact]
    public void For_ModelNames_PickTheirVocabulary()
    {
        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var cl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        const string text = "Tandem counts tokens when the upstream does not: naïve café, 12345, 𝛑.";
        Assert.Equal(o200k.CountTokens(text), TokenCounter.For(null, "gpt-4o-mini-2024-07-18").CountTokens(text));
        Assert.Equal(cl100k.CountTokens(text), TokenCounter.For(null, "gpt-4-0613").CountTokens(text));
        Assert.Equal(cl100k.CountTokens(text), TokenCounter.For("cl100k", "llama-3.1-8b").CountTokens(text));
        Assert.NotEqual(o200k.CountTokens(text), cl100k.CountTokens(text));
    }

    [Fact]
    public void CountPrompt_ChatMessages_AddsOpenAiFraming()
    {
        var t = TokenCounter.For("o200k", null);
        var json = Encoding.UTF8.GetBytes("""[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi there"},{"type":"image_url","image_url":{"url":"data:xyz"}}]}]""");
        var expected = (3 + t.CountTokens("system") + t.CountTokens("Be brief.")) + (3 + t.CountTokens("user") + t.CountTokens("Hi there")) + 3;
        Assert.Equal(expected, TokenCounter.CountPrompt(t, json, chat: true));
        Assert.Equal(t.CountTokens("one two"), TokenCounter.CountPrompt(t, "\"one two\""u8, chat: false));
        Assert.Equal(0, TokenCounter.CountPrompt(t, default, chat: true));
    }
}
