using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

public sealed class SseEventsTests
{
    [Theory]
    [InlineData("data: a\n\ndata: b\n\n", 9)]
    [InlineData("data: a\r\n\r\ndata: b", 11)]
    [InlineData("data: a\n", -1)]
    [InlineData("data: a", -1)]
    [InlineData(": keep-alive\n\n", 14)]
    public void FindEventEnd_FindsTheBlankLine(string text, int expected)
    {
        Assert.Equal(expected, SseEvents.FindEventEnd(Encoding.UTF8.GetBytes(text)));
    }

    [Fact]
    public void Inspect_RecognisesUsageOnlyChunkAndDone()
    {
        var facts = new ResponseFacts();
        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect("""data: {"id":"x","model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}"""u8, facts));
        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect("""data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"""u8, facts));
        Assert.Equal(SseDisposition.UsageOnly, SseEvents.Inspect("""data: {"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}"""u8, facts));
        Assert.Equal(SseDisposition.Done, SseEvents.Inspect("data: [DONE]"u8, facts));
        Assert.Equal("gpt-4o-2024-08-06", facts.Model);
        Assert.Equal("fp_1", facts.SystemFingerprint);
        Assert.Equal("stop", facts.FinishReason);
        Assert.Equal(new TokenUsage { PromptTokens = 10, CompletionTokens = 3, CachedTokens = 4, ReasoningTokens = 2 }, facts.Usage);
        Assert.True(facts.SawDone);
        Assert.Equal(3, facts.Chunks);
    }

    [Fact]
    public void Inspect_ContinuousUsageOnContentChunks_IsForwarded()
    {
        // vLLM's continuous_usage_stats puts usage on every chunk: those carry content and must reach the client.
        var facts = new ResponseFacts();
        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect("""data: {"choices":[{"index":0,"delta":{"content":"a"}}],"usage":{"prompt_tokens":5,"completion_tokens":1}}"""u8, facts));
        Assert.Equal(1, facts.Usage!.Value.CompletionTokens);
    }

    [Fact]
    public void Inspect_RealRecordedStream_ExtractsUsageModelAndFinishReason()
    {
        var bytes = File.ReadAllBytes(TestData.OpenAiMaxTokensStream);
        var facts = new ResponseFacts();
        var offset = 0;
        var usageOnly = 0;
        while (true)
        {
            var end = SseEvents.FindEventEnd(bytes.AsSpan(offset));
            if (end < 0)
            {
                break;
            }

            if (SseEvents.Inspect(bytes.AsSpan(offset, end), facts) == SseDisposition.UsageOnly)
            {
                usageOnly++;
            }

            offset += end;
        }

        // Read off the recording (test/TestData/openai-python): 5 events, max_tokens=1, usage 79 + 1.
        Assert.Equal(bytes.Length, offset);
        Assert.Equal(1, usageOnly);
        Assert.True(facts.SawDone);
        Assert.Equal("length", facts.FinishReason);
        Assert.Equal("gpt-4o-2024-08-06", facts.Model);
        Assert.Equal("fp_7568d46099", facts.SystemFingerprint);
        Assert.Equal(1, facts.Usage!.Value.CompletionTokens);
        Assert.Equal(79, facts.Usage.Value.PromptTokens);
    }

    [Fact]
    public void HasNonNullProperty_IgnoresNullsAndSpacing()
    {
        Assert.False(SseEvents.HasNonNullProperty("""{"usage":null}"""u8, "\"usage\""u8));
        Assert.False(SseEvents.HasNonNullProperty("""{"usage" :  null}"""u8, "\"usage\""u8));
        Assert.True(SseEvents.HasNonNullProperty("""{"usage": {"a":1}}"""u8, "\"usage\""u8));
        Assert.True(SseEvents.HasNonNullProperty("""{"x":"usage","usage":{}}"""u8, "\"usage\""u8));
    }
}
