using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Anthropic;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Anthropic;

public sealed class AnthropicStreamTranslatorTests
{
    private static byte[] RecordedStream(int interaction) =>
        Encoding.UTF8.GetBytes((string)AnthropicSnapshot("771c64ff-a0af-4cd9-8080-a5a539da7cb9.json")[interaction]!["response"]!["body"]!);

    private static string Chunk(string id, string model, string delta, string? finish = null) =>
        $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{(finish is null ? "null" : "\"" + finish + "\"")}}}]}""";

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(7)]
    public void Translate_RecordedToolUseStream_ChunkByChunk(int piece)
    {
        const string Id = "msg_01R4hRKPvDP3eyHsaAgs1gBn";
        const string Model = "claude-haiku-4-5-20251001";

        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), RecordedStream(0), piece);

        // message_start, content_block_start (tool_use), six non-empty input_json_deltas, message_stop (finish, usage).
        string[] pieces = ["{\"location\":", " \"San", " Francisco, ", "CA\"", ", \"units\": ", "\"f\"}"];
        Assert.Equal(1 + 1 + pieces.Length + 3, events.Count);
        JsonEqual(Chunk(Id, Model, """{"role":"assistant"}"""), events[0]);
        JsonEqual(Chunk(Id, Model, """{"tool_calls":[{"index":0,"id":"toolu_01TJoxvFknVdnV9XpWFPaRmY","type":"function","function":{"name":"get_weather","arguments":""}}]}"""), events[1]);
        for (var i = 0; i < pieces.Length; i++)
        {
            var delta = new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = pieces[i] } }) };
            JsonEqual(Chunk(Id, Model, delta.ToJsonString()), events[2 + i]);
        }

        var arguments = string.Concat(events.Skip(1).Take(1 + pieces.Length).Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["tool_calls"]![0]!["function"]!["arguments"]!));
        Assert.Equal("{\"location\": \"San Francisco, CA\", \"units\": \"f\"}", arguments);
        JsonEqual(Chunk(Id, Model, "{}", "tool_calls"), events[^3]);
        JsonEqual($$$"""{"id":"{{{Id}}}","object":"chat.completion.chunk","created":1700000000,"model":"{{{Model}}}","choices":[],"usage":{"prompt_tokens":656,"completion_tokens":74,"total_tokens":730}}""", events[^2]);
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public void Translate_RecordedTextStream_TextUsageAndStop()
    {
        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), RecordedStream(1), 5);

        var text = string.Concat(events.Skip(1).Take(7).Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"]!));
        Assert.Equal("The weather in San Francisco, CA is currently **68°F and Sunny**. It's a nice day!", text);
        Assert.Equal(1 + 7 + 3, events.Count);
        Assert.Equal("stop", (string?)JsonNode.Parse(events[^3])!["choices"]![0]!["finish_reason"]);
        JsonEqual("""{"prompt_tokens":770,"completion_tokens":27,"total_tokens":797}""", JsonNode.Parse(events[^2])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_RecordedThinkingStream_LeavesThinkingOut()
    {
        var body = System.IO.File.ReadAllBytes(File("pydantic-ai", "anthropic", "test_anthropic_model_thinking_part_stream.i0.sse"));

        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), body);

        // 95 text deltas; 14 thinking deltas and a signature delta that OpenAI's chunks have no place for.
        Assert.Equal(1 + 95 + 3, events.Count);
        var text = string.Concat(events.Skip(1).Take(95).Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"]!));
        Assert.StartsWith("Here are the basic steps for safely crossing the street:\n\n**At intersections with traffic lights:**", text, StringComparison.Ordinal);
        Assert.EndsWith("Always prioritize safety over speed when crossing streets.", text, StringComparison.Ordinal);
        Assert.Equal(1021, text.Length);
        Assert.Equal("claude-sonnet-4-20250514", (string?)JsonNode.Parse(events[0])!["model"]);
        JsonEqual("""{"prompt_tokens":43,"completion_tokens":282,"total_tokens":325}""", JsonNode.Parse(events[^2])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_ForcedJsonTool_ArgumentsBecomeTheText()
    {
        var events = Translate(new AnthropicStreamTranslator(jsonTool: true, Created), RecordedStream(0));

        Assert.Equal(1 + 6 + 3, events.Count);
        var text = string.Concat(events.Skip(1).Take(6).Select(e => (string)JsonNode.Parse(e)!["choices"]![0]!["delta"]!["content"]!));
        Assert.Equal("{\"location\": \"San Francisco, CA\", \"units\": \"f\"}", text);
        Assert.Equal("stop", (string?)JsonNode.Parse(events[^3])!["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public void Translate_CacheReadsAndWrites_AreCountedAsPromptTokens_ReadsAsCached()
    {
        var sse = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":3,"cache_creation_input_tokens":40,"cache_read_input_tokens":1111,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}

            event: message_stop
            data: {"type":"message_stop"}


            """.Replace("\r\n", "\n", StringComparison.Ordinal);

        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), Encoding.UTF8.GetBytes(sse));

        Assert.Equal("Hi", (string?)JsonNode.Parse(events[1])!["choices"]![0]!["delta"]!["content"]);
        Assert.Equal("length", (string?)JsonNode.Parse(events[2])!["choices"]![0]!["finish_reason"]);
        JsonEqual("""{"prompt_tokens":1154,"completion_tokens":9,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1111}}""", JsonNode.Parse(events[3])!["usage"]!.ToJsonString());
    }

    [Fact]
    public void Translate_TextThenTwoToolUses_ToolCallIndexesCountToolsNotBlocks()
    {
        static string Event(string type, string data) => $"event: {type}\ndata: {data}\n\n";
        var sse = Event("message_start", """{"type":"message_start","message":{"id":"msg_p","model":"claude-haiku-4-5","usage":{"input_tokens":10,"output_tokens":1}}}""")
            + Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")
            + Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking both."}}""")
            + Event("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"weather","input":{}}}""")
            + Event("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"weather","input":{}}}""")
            + Event("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Rome\"}"}}""")
            + Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"}}""")
            + Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}""")
            + Event("message_stop", """{"type":"message_stop"}""");

        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), Encoding.UTF8.GetBytes(sse));

        var calls = events.Skip(2).Take(4).Select(e => JsonNode.Parse(e)!["choices"]![0]!["delta"]!["tool_calls"]![0]!).ToList();
        Assert.Equal([(0, "toolu_a", ""), (1, "toolu_b", ""), (1, null, "{\"city\":\"Rome\"}"), (0, null, "{\"city\":\"Paris\"}")],
            calls.Select(c => ((int)c["index"]!, (string?)c["id"], (string?)c["function"]!["arguments"])));
        Assert.Equal("tool_calls", (string?)JsonNode.Parse(events[^3])!["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public void Translate_ErrorEvent_BecomesAnOpenAiErrorEvent_WithoutDone()
    {
        var sse = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"m\",\"usage\":{\"input_tokens\":5}}}\n\n"
            + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

        var events = Translate(new AnthropicStreamTranslator(jsonTool: false, Created), Encoding.UTF8.GetBytes(sse));

        Assert.Equal(2, events.Count);
        JsonEqual("""{"error":{"message":"Overloaded","type":"upstream_error","param":null,"code":"overloaded_error"}}""", events[1]);
    }

    [Theory]
    [InlineData(40)]   // inside message_start
    [InlineData(600)]  // after a few deltas, before message_stop
    public void Complete_StreamCutBeforeMessageStop_Throws(int cut)
    {
        var body = RecordedStream(1);
        var translator = new AnthropicStreamTranslator(jsonTool: false, Created);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        translator.Translate(body.AsSpan(0, cut), output);

        Assert.Throws<IOException>(() => translator.Complete(output));
        Assert.DoesNotContain("[DONE]", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_EventThatIsNotJson_Throws()
    {
        var translator = new AnthropicStreamTranslator(jsonTool: false, Created);

        Assert.Throws<IOException>(() => translator.Translate("event: message_start\ndata: {\"type\":\n\n"u8, new System.Buffers.ArrayBufferWriter<byte>()));
    }
}
