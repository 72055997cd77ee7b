using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Gemini;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Gemini;

public sealed class GeminiStreamTranslatorTests
{
    private static byte[] Recorded(string name) => System.IO.File.ReadAllBytes(File("pydantic-ai", "gemini", name));

    private static string Delta(string e) => (string)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"]!;

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(13)]
    public void Translate_RecordedCrlfStream_ChunkByChunk(int piece)
    {
        var events = Translate(new GeminiStreamTranslator("gemini-2.0-flash-exp", Created), Recorded("test_google_model_stream.i0.sse"), piece);

        Assert.Equal(1 + 3 + 3, events.Count);
        JsonEqual("""{"id":"w1peaMz6INOvnvgPgYfPiQY","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.0-flash-exp","choices":[{"index":0,"delta":{"role":"assistant"},"logprobs":null,"finish_reason":null}]}""", events[0]);
        Assert.Equal(["The", " capital of France", " is Paris.\n"], events.Skip(1).Take(3).Select(Delta));
        JsonEqual("""{"id":"w1peaMz6INOvnvgPgYfPiQY","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.0-flash-exp","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}""", events[4]);
        // The last usage the stream reported (13 prompt, 8 candidates), not the first.
        JsonEqual("""{"prompt_tokens":13,"completion_tokens":8,"total_tokens":21}""", JsonNode.Parse(events[5])!["usage"]!.ToJsonString());
        Assert.Equal("[DONE]", events[6]);
    }

    [Fact]
    public void Translate_RecordedFunctionCallWithThoughtSignature_OneToolCallChunk_SignatureInTheId()
    {
        var events = Translate(new GeminiStreamTranslator("gemini-3-pro-preview", Created), Recorded("test_google_streaming_tool_call_thought_signature.i0.sse"));

        // Role, the call, the trailing empty text part (nothing), finish, usage, [DONE].
        Assert.Equal(5, events.Count);
        var call = JsonNode.Parse(events[1])!["choices"]![0]!["delta"]!["tool_calls"]![0]!;
        Assert.Equal((0, "function", "get_country", "{}"), ((int)call["index"]!, (string?)call["type"], (string?)call["function"]!["name"], (string?)call["function"]!["arguments"]));
        var (id, signature) = GeminiWire.SplitToolCallId((string)call["id"]!);
        Assert.Equal("call_QUVVadTSNJ6_qtsPvN7J8Q0_0", id);
        Assert.StartsWith("EpwICpkIAXLI2nxlU6gsWZaZHRYkX1orzuM8vSUFwaAt1JRxEC2hJzPAcAu3PWaKz7X+PIyTTqF+", signature, StringComparison.Ordinal);
        Assert.EndsWith("jaTjY1V7mjb2D/7NoL5owonoBDAXOk15QuFyU=", signature, StringComparison.Ordinal);
        Assert.Equal("tool_calls", (string?)JsonNode.Parse(events[2])!["choices"]![0]!["finish_reason"]);
        // 202 thinking tokens are completion tokens, and reasoning tokens.
        JsonEqual("""{"prompt_tokens":29,"completion_tokens":212,"total_tokens":241,"completion_tokens_details":{"reasoning_tokens":202}}""", JsonNode.Parse(events[3])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_RecordedThinkingStream_ThoughtsLeftOut()
    {
        var events = Translate(new GeminiStreamTranslator("gemini-2.5-pro", Created), Recorded("test_google_model_thinking_part_iter.i0.sse"), 100);

        // 23 events: 4 thought summaries, 19 answer parts.
        Assert.Equal(1 + 19 + 3, events.Count);
        var text = string.Concat(events.Skip(1).Take(19).Select(Delta));
        Assert.StartsWith("This is a great question! Safely crossing the street is all about being aware an", text, StringComparison.Ordinal);
        Assert.EndsWith(" be predictable**. Always assume a driver might not see you.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Clarifying User Goals", text, StringComparison.Ordinal);
        Assert.Equal(1938, text.Length);
        JsonEqual("""{"prompt_tokens":34,"completion_tokens":1256,"total_tokens":1290,"completion_tokens_details":{"reasoning_tokens":787}}""", JsonNode.Parse(events[^2])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_RecordedLiveUsage_TheLastReportWins()
    {
        var events = Translate(new GeminiStreamTranslator("gemini-2.5-flash", Created), Recorded("test_google_stream_usage_is_live_mid_stream.i0.sse"));

        Assert.Equal("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24\n25\n26\n27\n28\n29\n30", string.Concat(events.Skip(1).Take(3).Select(Delta)));
        JsonEqual("""{"prompt_tokens":18,"completion_tokens":115,"total_tokens":133,"completion_tokens_details":{"reasoning_tokens":35}}""", JsonNode.Parse(events[^2])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_SafetyBlock_FinishesWithContentFilter()
    {
        var sse = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Well\"}],\"role\": \"model\"}}],\"responseId\": \"r1\",\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
            + "data: {\"candidates\": [{\"content\": {},\"finishReason\": \"SAFETY\",\"safetyRatings\": [{\"category\": \"HARM_CATEGORY_HATE_SPEECH\",\"probability\": \"HIGH\",\"blocked\": true}]}],\"responseId\": \"r1\"}\r\n\r\n";

        var events = Translate(new GeminiStreamTranslator("gemini-2.5-flash", Created), Encoding.UTF8.GetBytes(sse));

        Assert.Equal("content_filter", (string?)JsonNode.Parse(events[2])!["choices"]![0]!["finish_reason"]);
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public void Translate_ErrorEvent_BecomesAnOpenAiErrorEvent()
    {
        var sse = "data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded.\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n";

        var events = Translate(new GeminiStreamTranslator("m", Created), Encoding.UTF8.GetBytes(sse));

        JsonEqual("""{"error":{"message":"The model is overloaded.","type":"upstream_error","param":null,"code":"UNAVAILABLE"}}""", Assert.Single(events));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200)]   // inside the first event
    [InlineData(686)]   // after two events, before the one with the finish reason
    public void Complete_StreamEndedBeforeAFinishReason_Throws(int cut)
    {
        var body = Recorded("test_google_model_stream.i0.sse");
        var translator = new GeminiStreamTranslator("m", Created);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        translator.Translate(body.AsSpan(0, cut), output);

        Assert.Throws<IOException>(() => translator.Complete(output));
    }
}
