using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Tandem.Providers.Anthropic;
using Tandem.Wire;
using Xunit;
using static Tandem.Core.Tests.Providers.Recordings;

namespace Tandem.Core.Tests.Providers.Anthropic;

public sealed class AnthropicRequestWriterTests
{
    private static readonly AnthropicRequestOptions Haiku = new("claude-haiku-4-5", "haiku", 4096, NativeJsonSchema: true);

    private static JsonNode Translate(string openAi, AnthropicRequestOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicRequestWriter.TryWrite(Encoding.UTF8.GetBytes(openAi), options ?? Haiku, output, out var problem), problem.Message);
        return JsonNode.Parse(output.WrittenSpan)!;
    }

    private static RequestProblem Refused(string openAi, AnthropicRequestOptions? options = null)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.False(AnthropicRequestWriter.TryWrite(Encoding.UTF8.GetBytes(openAi), options ?? Haiku, output, out var problem));
        return problem;
    }

    [Fact]
    public void TryWrite_ToolRoundTrip_MatchesTheRecordedAnthropicRequest()
    {
        // anthropic-sdk-python recorded the second call of a tool run: the user's question, the assistant's tool_use
        // and the tool's result. The same conversation in OpenAI's shape must become that body.
        var recorded = AnthropicSnapshot("771c64ff-a0af-4cd9-8080-a5a539da7cb9.json")[1]!["request"]!["body"]!;
        var tool = recorded["tools"]![0]!;
        var result = (string)recorded["messages"]![2]!["content"]![0]!["content"]!;
        var openAi = new JsonObject
        {
            ["model"] = "weather",
            ["max_tokens"] = 1024,
            ["stream"] = true,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "What is the weather in SF?" },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = null,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = "toolu_01TJoxvFknVdnV9XpWFPaRmY",
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = "{\"location\": \"San Francisco, CA\", \"units\": \"f\"}" },
                    }),
                },
                new JsonObject { ["role"] = "tool", ["tool_call_id"] = "toolu_01TJoxvFknVdnV9XpWFPaRmY", ["content"] = result }),
            ["tools"] = new JsonArray(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "get_weather", ["description"] = tool["description"]!.DeepClone(), ["parameters"] = tool["input_schema"]!.DeepClone() },
            }),
        };

        var translated = Translate(openAi.ToJsonString());

        // The Python SDK echoes the response's tool_use block back verbatim, with its "caller"; an OpenAI tool call has none.
        var expected = recorded.DeepClone();
        expected["messages"]![1]!["content"]![0]!.AsObject().Remove("caller");
        JsonEqual(expected, translated);
    }

    [Fact]
    public void TryWrite_JsonSchemaNative_MatchesTheRecordedStructuredOutputRequest()
    {
        var recorded = AnthropicSnapshot("d743d628-16aa-4c9f-ae78-51deb578f746.json")[2]!["request"]!["body"]!;
        var openAi = new JsonObject
        {
            ["model"] = "orders",
            ["max_completion_tokens"] = 1024,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Extract order: 2 Green Tea at $5.50 and 1 Coffee at $3.00. Total $14." }),
            ["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = "OrderDetails", ["strict"] = true, ["schema"] = recorded["output_config"]!["format"]!["schema"]!.DeepClone() },
            },
        };

        JsonEqual(recorded, Translate(openAi.ToJsonString(), Haiku with { Model = "claude-sonnet-4-5" }));
    }

    [Fact]
    public void TryWrite_SystemPromptAndParallelTools_MatchTheRecordedRequest()
    {
        var recorded = Cassette("anthropic", "test_multiple_parallel_tool_calls.yaml")[0]!["request"]!["parsed_body"]!;
        var tool = recorded["tools"]![0]!;
        var openAi = new JsonObject
        {
            ["model"] = "family",
            ["stream"] = false,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = recorded["system"]!.DeepClone() },
                new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Alice, Bob, Charlie and Daisy are a family. Who is the youngest?" }) }),
            ["tools"] = new JsonArray(new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = "retrieve_entity_info", ["description"] = "Get the knowledge about the given entity.", ["parameters"] = tool["input_schema"]!.DeepClone() },
            }),
            ["tool_choice"] = "auto",
        };

        JsonEqual(recorded, Translate(openAi.ToJsonString()));
    }

    [Fact]
    public void TryWrite_NoMaxTokens_SendsTheDeploymentDefault()
    {
        var body = Translate("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Haiku with { DefaultMaxTokens = 777 });

        JsonEqual("""{"model":"claude-haiku-4-5","max_tokens":777,"messages":[{"role":"user","content":"hi"}]}""", body.ToJsonString());
    }

    [Fact]
    public void TryWrite_SystemMessagesAnywhere_BecomeSystemBlocksInOrder()
    {
        var body = Translate("""
            {"model":"m","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":"hi"},
              {"role":"developer","content":[{"type":"text","text":"Answer in French.","cache_control":{"type":"ephemeral"}}]},
              {"role":"assistant","content":"Bonjour"},
              {"role":"user","content":"ça va ?"}]}
            """);

        JsonEqual("""
            [{"type":"text","text":"Be brief."},{"type":"text","text":"Answer in French.","cache_control":{"type":"ephemeral"}}]
            """, body["system"]!.ToJsonString());
        JsonEqual("""
            [{"role":"user","content":"hi"},{"role":"assistant","content":"Bonjour"},{"role":"user","content":"ça va ?"}]
            """, body["messages"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_ParallelToolResultsThenText_ShareOneUserTurn()
    {
        var body = Translate("""
            {"model":"m","messages":[
              {"role":"user","content":"Weather in Paris and Rome?"},
              {"role":"assistant","content":"Checking.","tool_calls":[
                {"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"toolu_2","type":"function","function":{"name":"weather","arguments":""}}]},
              {"role":"tool","tool_call_id":"toolu_1","content":"sunny"},
              {"role":"tool","tool_call_id":"toolu_2","content":[{"type":"text","text":"rainy"}]},
              {"role":"user","content":"And tomorrow?"}]}
            """);

        JsonEqual("""
            [{"role":"user","content":"Weather in Paris and Rome?"},
             {"role":"assistant","content":[
               {"type":"text","text":"Checking."},
               {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}},
               {"type":"tool_use","id":"toolu_2","name":"weather","input":{}}]},
             {"role":"user","content":[
               {"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
               {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"rainy"}]},
               {"type":"text","text":"And tomorrow?"}]}]
            """, body["messages"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_Images_UrlAndBase64DataUrl()
    {
        var body = Translate("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"Compare"},
              {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"high"}},
              {"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}]}
            """);

        JsonEqual("""
            [{"type":"text","text":"Compare"},
             {"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},
             {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]
            """, body["messages"]![0]!["content"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_SamplingStopUserAndToolChoice_AreTranslated()
    {
        var body = Translate("""
            {"model":"m","temperature":0.2,"top_p":0.9,"stop":"END","user":"u-42","parallel_tool_calls":false,
             "tool_choice":{"type":"function","function":{"name":"lookup"}},
             "tools":[{"type":"function","function":{"name":"lookup"}}],
             "messages":[{"role":"user","content":"hi"}],"seed":7,"stream_options":{"include_usage":true},"n":1,"logprobs":false}
            """);

        JsonEqual("""
            {"model":"claude-haiku-4-5","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],
             "stop_sequences":["END"],"temperature":0.2,"top_p":0.9,
             "tools":[{"name":"lookup","input_schema":{"type":"object","properties":{}}}],
             "tool_choice":{"type":"tool","name":"lookup","disable_parallel_tool_use":true},
             "metadata":{"user_id":"u-42"}}
            """, body.ToJsonString());
    }

    [Theory]
    [InlineData("\"required\"", """{"type":"any"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    public void TryWrite_ToolChoiceKeywords_MapToAnthropicTypes(string openAi, string anthropic)
    {
        var body = Translate("""{"model":"m","tool_choice":""" + openAi + ""","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"hi"}]}""");

        JsonEqual(anthropic, body["tool_choice"]!.ToJsonString());
    }

    [Fact]
    public void TryWrite_JsonObject_IsAForcedTool()
    {
        var body = Translate("""{"model":"m","response_format":{"type":"json_object"},"messages":[{"role":"user","content":"A JSON greeting"}]}""");

        JsonEqual("""[{"name":"json_response","description":"Answer by calling this tool: its input is your answer, a JSON object.","input_schema":{"type":"object"}}]""", body["tools"]!.ToJsonString());
        JsonEqual("""{"type":"tool","name":"json_response"}""", body["tool_choice"]!.ToJsonString());
        Assert.Null(body["output_config"]);
    }

    [Fact]
    public void TryWrite_JsonSchemaInToolMode_ForcesATool_NamedAfterTheSchema()
    {
        var body = Translate("""
            {"model":"m","messages":[{"role":"user","content":"x"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"Answer","description":"The answer.","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}
            """, Haiku with { NativeJsonSchema = false });

        JsonEqual("""[{"name":"Answer","description":"The answer.","input_schema":{"type":"object","properties":{"a":{"type":"string"}}}}]""", body["tools"]!.ToJsonString());
        JsonEqual("""{"type":"tool","name":"Answer"}""", body["tool_choice"]!.ToJsonString());
    }

    [Theory]
    [InlineData("\"n\":2", "n", "unsupported_parameter")]
    [InlineData("\"logprobs\":true", "logprobs", "unsupported_parameter")]
    [InlineData("\"top_logprobs\":3", "top_logprobs", "unsupported_parameter")]
    [InlineData("\"presence_penalty\":0.5", "presence_penalty", "unsupported_parameter")]
    [InlineData("\"logit_bias\":{\"50256\":-100}", "logit_bias", "unsupported_parameter")]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", "functions", "unsupported_parameter")]
    [InlineData("\"audio\":{\"voice\":\"alloy\"}", "audio", "unsupported_parameter")]
    [InlineData("\"temperature\":1.5", "temperature", "unsupported_value")]
    [InlineData("\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"x\"}}]", "tools[0].type", "unsupported_value")]
    [InlineData("\"response_format\":{\"type\":\"json_object\"},\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", "response_format", "unsupported_value")]
    public void TryWrite_Untranslatable_RefusedNamingTheParameter(string field, string param, string code)
    {
        var problem = Refused($$"""{"model":"m",{{field}},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal((param, code), (problem.Param, problem.Code));
        Assert.Contains("'haiku'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]""", "messages[0].content[0]")]
    [InlineData("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/tiff;base64,AAAA"}}]}]""", "messages[0].content[0].image_url.url")]
    [InlineData("""[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]""", "messages[0].content[0].image_url.url")]
    [InlineData("""[{"role":"user","content":"a"},{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"[1]"}}]}]""", "messages[1].tool_calls[0].function.arguments")]
    [InlineData("""[{"role":"tool","content":"x"}]""", "messages[0].tool_call_id")]
    [InlineData("""[{"role":"function","name":"f","content":"x"}]""", "messages[0].role")]
    public void TryWrite_UntranslatableMessage_NamesThePart(string messages, string param)
    {
        var problem = Refused($$"""{"model":"m","messages":{{messages}}}""");

        Assert.Equal(param, problem.Param);
    }

    [Fact]
    public void TryWrite_NonAsciiText_IsWrittenAsUtf8_NotEscaped()
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicRequestWriter.TryWrite(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"Ça coûte 5 € — don't <b>"}]}"""), Haiku, output, out _));

        Assert.Equal("""{"model":"claude-haiku-4-5","max_tokens":4096,"messages":[{"role":"user","content":"Ça coûte 5 € — don't <b>"}]}""", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void UsesJsonTool_JsonObjectAlways_JsonSchemaOnlyInToolMode()
    {
        Assert.True(AnthropicRequestWriter.UsesJsonTool("json_object", nativeJsonSchema: true));
        Assert.False(AnthropicRequestWriter.UsesJsonTool("json_schema", nativeJsonSchema: true));
        Assert.True(AnthropicRequestWriter.UsesJsonTool("json_schema", nativeJsonSchema: false));
        Assert.False(AnthropicRequestWriter.UsesJsonTool(null, nativeJsonSchema: false));
    }
}
