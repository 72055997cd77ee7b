using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Anthropic;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Anthropic;

public sealed class AnthropicResponseReaderTests
{
    private static JsonNode Read(JsonNode anthropic, bool jsonTool = false) =>
        JsonNode.Parse(AnthropicResponseReader.ToCompletion(Encoding.UTF8.GetBytes(anthropic.ToJsonString()), jsonTool, Created))!;

    [Fact]
    public void ToCompletion_RecordedToolUse_BecomesToolCalls()
    {
        var recorded = AnthropicSnapshot("10e53c1d-51be-4c64-b5bf-99adb3fa4719.json")[0]!["response"]!["body"]!;

        JsonEqual("""
            {"id":"msg_01RMQBcKf2dxTq6qfi31BBTz","object":"chat.completion","created":1700000000,"model":"claude-haiku-4-5-20251001",
             "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
               {"id":"toolu_01A9HHF5Ezy3oBrKmSgfASm9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"units\":\"f\"}"}}]},
               "logprobs":null,"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":656,"completion_tokens":74,"total_tokens":730}}
            """, Read(recorded).ToJsonString());
    }

    [Fact]
    public void ToCompletion_RecordedTextAfterToolError_IsTheContent()
    {
        var recorded = AnthropicSnapshot("10e53c1d-51be-4c64-b5bf-99adb3fa4719.json")[1]!["response"]!["body"]!;

        var completion = Read(recorded);

        Assert.StartsWith("I apologize, but I'm getting an error when trying to fetch the weather for San Francisco.", (string?)completion["choices"]![0]!["message"]!["content"], StringComparison.Ordinal);
        Assert.Null(completion["choices"]![0]!["message"]!["tool_calls"]);
        Assert.Equal("stop", (string?)completion["choices"]![0]!["finish_reason"]);
        JsonEqual("""{"prompt_tokens":760,"completion_tokens":63,"total_tokens":823}""", completion["usage"]!.ToJsonString());
    }

    [Fact]
    public void ToCompletion_RecordedParallelToolCalls_KeepTextAndEveryCall()
    {
        var recorded = Cassette("anthropic", "test_multiple_parallel_tool_calls.yaml")[0]!["response"]!["parsed_body"]!;

        var message = Read(recorded)["choices"]![0]!["message"]!;

        Assert.StartsWith("I'll help you find out who is the youngest", (string?)message["content"], StringComparison.Ordinal);
        var calls = message["tool_calls"]!.AsArray();
        Assert.Equal(recorded["content"]!.AsArray().Count(b => (string?)b!["type"] == "tool_use"), calls.Count);
        Assert.Equal("toolu_0167cfEnoQaPviGdVXA95zcu", (string?)calls[0]!["id"]);
        Assert.All(calls, c => Assert.Equal("retrieve_entity_info", (string?)c!["function"]!["name"]));
        Assert.Equal("{\"name\":\"Alice\"}", (string?)calls[0]!["function"]!["arguments"]);
    }

    [Fact]
    public void ToCompletion_RecordedPromptCacheRead_CountsCachedTokens()
    {
        // Second call of the recorded cache test: 3 uncached input tokens, 1,111 read from the prompt cache.
        var recorded = Cassette("anthropic", "test_anthropic_cache_real_api.yaml")[0]!["response"]!["parsed_body"]!;

        JsonEqual("""{"prompt_tokens":1114,"completion_tokens":406,"total_tokens":1520,"prompt_tokens_details":{"cached_tokens":1111}}""", Read(recorded)["usage"]!.ToJsonString());
    }

    [Fact]
    public void ToCompletion_ForcedJsonTool_InputIsTheContent()
    {
        var anthropic = JsonNode.Parse("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","stop_reason":"tool_use",
             "content":[{"type":"tool_use","id":"toolu_1","name":"json_response","input":{"greeting":"hello"}}],
             "usage":{"input_tokens":10,"output_tokens":5}}
            """)!;

        var choice = Read(anthropic, jsonTool: true)["choices"]![0]!;

        Assert.Equal("{\"greeting\":\"hello\"}", (string?)choice["message"]!["content"]);
        Assert.Null(choice["message"]!["tool_calls"]);
        Assert.Equal("stop", (string?)choice["finish_reason"]);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("refusal", "content_filter")]
    [InlineData("model_context_window_exceeded", "length")]
    [InlineData("pause_turn", "stop")]
    public void ToCompletion_StopReasons_MapToFinishReasons(string stopReason, string finishReason)
    {
        var anthropic = JsonNode.Parse($$$"""{"id":"m","model":"c","stop_reason":"{{{stopReason}}}","content":[{"type":"text","text":"x"}],"usage":{"input_tokens":1,"output_tokens":1}}""")!;

        Assert.Equal(finishReason, (string?)Read(anthropic)["choices"]![0]!["finish_reason"]);
    }

    [Fact]
    public void ToCompletion_NotAMessage_ThrowsIOException()
    {
        Assert.Throws<IOException>(() => AnthropicResponseReader.ToCompletion("{\"type\":\"message\""u8.ToArray(), false, Created));
        Assert.Throws<IOException>(() => AnthropicResponseReader.ToCompletion("[]"u8.ToArray(), false, Created));
    }
}
