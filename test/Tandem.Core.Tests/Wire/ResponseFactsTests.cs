using System.Text;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Wire;

/// <summary>What Tandem reads from an upstream answer: model, fingerprint, usage, finish reason, errors and text.</summary>
public sealed class ResponseFactsTests
{
    private static ResponseFacts Read(string json, bool content = false)
    {
        var facts = new ResponseFacts { Content = content ? new StringBuilder() : null };
        facts.Read(Encoding.UTF8.GetBytes(json));
        return facts;
    }

    [Fact]
    public void Read_WholeResponse_TakesEveryFact()
    {
        var facts = Read("""
            {"id":"c1","object":"chat.completion","model":"gpt-4o-2024-08-06","system_fingerprint":"fp_9",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hello","tool_calls":[{"id":"t"}]},"finish_reason":"stop"},
                        {"index":1,"message":{"role":"assistant","content":"Other"},"finish_reason":"length"}],
             "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":3}}}
            """, content: true);

        Assert.Equal(("gpt-4o-2024-08-06", "fp_9", "stop", false), (facts.Model, facts.SystemFingerprint, facts.FinishReason, facts.IsError));
        Assert.Equal(new TokenUsage { PromptTokens = 12, CompletionTokens = 5, CachedTokens = 8, ReasoningTokens = 3 }, facts.Usage);
        Assert.Equal("Hello", facts.Content!.ToString()); // the first choice only
    }

    [Fact]
    public void Read_UsageOnlyChunk_IsRecognised_OnlyWithEmptyChoicesAndAUsageObject()
    {
        var facts = new ResponseFacts();

        Assert.True(facts.Read("""{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}"""u8));
        Assert.False(facts.Read("""{"usage":{"prompt_tokens":1,"completion_tokens":2}}"""u8)); // no choices at all
        Assert.False(facts.Read("""{"choices":[],"usage":null}"""u8));
        Assert.False(facts.Read("""{"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}"""u8));
        Assert.False(facts.Read("""{"choices":{},"usage":{"prompt_tokens":1}}"""u8)); // choices not an array
    }

    [Fact]
    public void Read_FirstModelAndFingerprintWin()
    {
        var facts = new ResponseFacts();
        facts.Read("""{"model":"first","system_fingerprint":"fp_a"}"""u8);
        facts.Read("""{"model":"second","system_fingerprint":"fp_b"}"""u8);
        facts.Read("""{"model":null,"system_fingerprint":7}"""u8);

        Assert.Equal(("first", "fp_a"), (facts.Model, facts.SystemFingerprint));
    }

    [Fact]
    public void Read_NonStringModelOrFingerprint_IsIgnored()
    {
        var facts = Read("""{"model":42,"system_fingerprint":null,"choices":[{"finish_reason":7}]}""");

        Assert.Equal(((string?)null, (string?)null, (string?)null), (facts.Model, facts.SystemFingerprint, facts.FinishReason));
    }

    [Theory]
    [InlineData("""{"error":{"message":"overloaded","type":"server_error"}}""", true)]
    [InlineData("""{"error":null,"choices":[]}""", false)] // some servers send an explicit null
    [InlineData("""{"error":"text"}""", false)]
    [InlineData("""{"choices":[{"index":0,"message":{"content":"error"}}]}""", false)]
    public void Read_ErrorObject_MarksTheAnswerAsAnError(string json, bool isError) =>
        Assert.Equal(isError, Read(json).IsError);

    [Theory]
    [InlineData("""{"prompt_tokens":7,"completion_tokens":2}""", 7, 2, 0, 0)]
    [InlineData("""{"input_tokens":7,"output_tokens":2}""", 7, 2, 0, 0)] // the input/output spelling
    [InlineData("""{"prompt_tokens":"7","completion_tokens":2.5}""", 0, 0, 0, 0)] // not integers: unknown
    [InlineData("""{"prompt_tokens":10,"prompt_tokens_details":{"cached_tokens":4,"audio_tokens":1},"completion_tokens_details":{"reasoning_tokens":6}}""", 10, 0, 4, 6)]
    public void Read_Usage_CountsByName(string usage, int prompt, int completion, int cached, int reasoning) =>
        Assert.Equal(new TokenUsage { PromptTokens = prompt, CompletionTokens = completion, CachedTokens = cached, ReasoningTokens = reasoning },
            Read("{\"usage\":" + usage + ",\"model\":\"after-usage\"}").Usage);

    [Fact]
    public void Read_UsageThatIsNotAnObject_IsSkipped_AndTheRestStillRead()
    {
        var facts = Read("""{"usage":[1,2],"model":"m"}""");

        Assert.Null(facts.Usage);
        Assert.Equal("m", facts.Model);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"text\"")]
    [InlineData("{\"model\":")]
    public void Read_NotAnObject_LearnsNothing(string json)
    {
        var facts = new ResponseFacts();

        Assert.False(facts.Read(Encoding.UTF8.GetBytes(json)));
        Assert.Null(facts.Model);
    }

    [Fact]
    public void Read_StreamDeltas_AndLegacyCompletionText_AreConcatenated()
    {
        var facts = new ResponseFacts { Content = new StringBuilder() };
        facts.Read("""{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"""u8);
        facts.Read("""{"choices":[{"index":0,"delta":{"content":"lo","tool_calls":[{"index":0}]}},{"index":1,"delta":{"content":"X"}}]}"""u8);
        facts.Read("""{"choices":[{"index":0,"delta":{"content":null},"finish_reason":"stop"}]}"""u8);
        var legacy = new ResponseFacts { Content = new StringBuilder() };
        legacy.Read("""{"choices":[{"index":0,"text":"Once upon","finish_reason":null}]}"""u8);
        legacy.Read("""{"choices":[{"index":0,"text":" a time","finish_reason":"length"}]}"""u8);

        Assert.Equal(("Hello", "stop"), (facts.Content.ToString(), facts.FinishReason));
        Assert.Equal(("Once upon a time", "length"), (legacy.Content.ToString(), legacy.FinishReason));
    }

    [Fact]
    public void Read_ContentWanted_IsAskedOnce_AndDecidesWhetherTextIsKept()
    {
        var asked = 0;
        var keep = new ResponseFacts { ContentWanted = () => { asked++; return true; } };
        var drop = new ResponseFacts { ContentWanted = () => false };

        keep.Read("""{"choices":[{"index":0,"message":{"content":"a"}}]}"""u8);
        keep.Read("""{"choices":[{"index":0,"message":{"content":"b"}}]}"""u8);
        drop.Read("""{"choices":[{"index":0,"message":{"content":"a"}}]}"""u8);

        Assert.Equal((1, "ab"), (asked, keep.Content!.ToString()));
        Assert.Null(drop.Content);
        Assert.Null(drop.ContentWanted);
    }

    [Theory]
    [InlineData("data: {\"a\":1}", "{\"a\":1}")]
    [InlineData("data:{\"a\":1}\n", "{\"a\":1}")] // no space after the colon
    [InlineData("event: message\r\ndata: x\r\n\r\n", "x")]
    [InlineData("id: 3\ndata: first\ndata: second\n\n", "first")]
    [InlineData(": comment\n\n", "")]
    [InlineData("data:", "")]
    public void DataOf_TheFirstDataLine(string sseEvent, string data) =>
        Assert.Equal(data, Encoding.UTF8.GetString(SseEvents.DataOf(Encoding.UTF8.GetBytes(sseEvent))));

    [Fact]
    public void Inspect_EventWithoutData_IsForwardedAndNotCounted()
    {
        var facts = new ResponseFacts();

        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect(": keep-alive\n\n"u8, facts));
        Assert.Equal(0, facts.Chunks);
        Assert.False(facts.SawDone);
    }

    [Fact]
    public void Inspect_ErrorEvent_MarksTheStreamAsFailed()
    {
        var facts = new ResponseFacts();
        SseEvents.Inspect("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n"u8, facts);
        SseEvents.Inspect("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}\n\n"u8, facts);

        Assert.Equal(SseDisposition.Forward, SseEvents.Inspect("data: {\"error\":{\"message\":\"boom\"}}\n\n"u8, facts));
        Assert.True(facts.IsError);
        Assert.Equal(3, facts.Chunks);
    }

    [Fact]
    public void Inspect_LaterChunksWithoutFacts_AreNotParsed_ButCaptureReadsThemAll()
    {
        // Without capture only the first chunk and chunks naming usage, a finish reason or an error are parsed: a later
        // chunk's model is not read. With capture every chunk is parsed for its text.
        var plain = new ResponseFacts();
        SseEvents.Inspect("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"u8, plain);
        SseEvents.Inspect("data: {\"model\":\"late\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}"u8, plain);
        var captured = new ResponseFacts { Content = new StringBuilder() };
        SseEvents.Inspect("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}"u8, captured);
        SseEvents.Inspect("data: {\"model\":\"late\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"}}]}"u8, captured);

        Assert.Null(plain.Model);
        Assert.Equal(("late", "ab"), (captured.Model, captured.Content.ToString()));
    }

    [Theory]
    [InlineData("data: a\n\r\ndata: b", 10)] // "\n\r\n" also ends an event
    [InlineData("data: a\r\ndata: b\r\n\r\n", 20)]
    [InlineData("data: a\n\r", -1)] // the end may still be coming
    [InlineData("\n\n", 2)]
    [InlineData("", -1)]
    public void FindEventEnd_LineEndVariants(string text, int expected) =>
        Assert.Equal(expected, SseEvents.FindEventEnd(Encoding.UTF8.GetBytes(text)));
}
