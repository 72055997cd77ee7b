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
        // The parts counted with the o200k vocabulary itself (Microsoft.ML.Tokenizers), not with TokenCounter:
        // "system" 1, "Be brief." 3, "user" 1, "Hi there" 2 tokens. OpenAI's chat framing adds 3 per message and 3
        // priming the reply; the image part carries no text tokens:
        //   (3 + 1 + 3) + (3 + 1 + 2) + 3 = 16.
        var o200k = TiktokenTokenizer.CreateForEncoding("o200k_base");
        Assert.Equal((1, 3, 1, 2, 2), (o200k.CountTokens("system"), o200k.CountTokens("Be brief."), o200k.CountTokens("user"), o200k.CountTokens("Hi there"), o200k.CountTokens("one two")));
        var json = Encoding.UTF8.GetBytes("""[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi there"},{"type":"image_url","image_url":{"url":"data:xyz"}}]}]""");

        var t = TokenCounter.For("o200k", null);

        Assert.Equal(16, TokenCounter.CountPrompt(t, json, chat: true));
        Assert.Equal(2, TokenCounter.CountPrompt(t, "\"one two\""u8, chat: false));
        Assert.Equal(0, TokenCounter.CountPrompt(t, default, chat: true));
    }
}
