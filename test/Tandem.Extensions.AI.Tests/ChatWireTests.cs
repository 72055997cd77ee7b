using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Tandem.Buffers;
using Tandem.Extensions.AI.Internal;
using Tandem.Wire;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>The request written once as OpenAI JSON, and OpenAI answers read back into M.E.AI types.</summary>
public sealed class ChatWireTests
{
    private static string Write(IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream, out string? unsupported)
    {
        using var body = new PooledBufferWriter(256);
        unsupported = ChatRequestWriter.Write(body, "route", messages, options, stream).Unsupported;
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    [Fact]
    public void Write_Conversation_IsOpenAisChatRequest_ByteForByte()
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""");
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, [new TextContent("What is in this picture, and the weather in Paris?"), new UriContent("https://example.com/cat.png", "image/png")]) { AuthorName = "ann" },
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "weather", new Dictionary<string, object?> { ["city"] = "Paris" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "18 °C, sunny")]),
        };
        var options = new ChatOptions
        {
            Instructions = "Be brief.",
            Temperature = 0.5f,
            MaxOutputTokens = 100,
            Seed = 42,
            StopSequences = ["END"],
            Tools = [AIFunctionFactory.CreateDeclaration("weather", "Weather of a city", schema.RootElement.Clone())],
            ToolMode = ChatToolMode.Auto,
            AdditionalProperties = new() { ["user"] = "u-1", ["metadata"] = new Dictionary<string, string> { ["team"] = "support" } },
        };

        var json = Write(messages, options, stream: true, out var unsupported);

        Assert.Null(unsupported);
        Assert.Equal(
            """"{"model":"route","stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","name":"ann","content":[{"type":"text","text":"What is in this picture, and the weather in Paris?"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18 °C, sunny"}],"temperature":0.5,"max_tokens":100,"seed":42,"stop":["END"],"tools":[{"type":"function","function":{"name":"weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto","user":"u-1","metadata":{"team":"support"}}"""",
            json);

        // What the routing view reads from it.
        var api = ApiRequest.Parse(Encoding.UTF8.GetBytes(json), ApiOperation.ChatCompletions, out _)!;
        Assert.Equal(("route", true, true, true, "u-1", "support", 100), (api.Model, api.Stream, api.HasTools, api.HasImages, api.User, api.Metadata!["team"], api.MaxTokens));
    }

    [Fact]
    public void Write_ContentWithNoOpenAiChatForm_IsNamed()
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, [new TextContent("listen"), new DataContent(new byte[] { 1, 2, 3 }, "audio/wav")]) };

        Write(messages, null, stream: false, out var unsupported);

        Assert.Equal("DataContent", unsupported);
    }

    [Fact]
    public void ReadResponse_ChatCompletionWithToolCall_IsAChatResponse()
    {
        var json = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18",
             "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":3}}}
            """;

        var response = ChatResponseReader.ReadResponse(Encoding.UTF8.GetBytes(json))!;

        Assert.Equal(("chatcmpl-1", "gpt-4o-mini-2024-07-18", ChatFinishReason.ToolCalls), (response.ResponseId, response.ModelId, response.FinishReason));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), response.CreatedAt);
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.Single().Contents));
        Assert.Equal(("call_9", "weather", "Oslo"), (call.CallId, call.Name, call.Arguments!["city"]?.ToString()));
        Assert.Equal((30L, 12L, 42L, 8L, 3L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount, response.Usage.CachedInputTokenCount, response.Usage.ReasoningTokenCount));
    }

    [Fact]
    public void ReadChunk_ToolCallFragments_AreHandedOverWholeWhenTheChoiceFinishes()
    {
        var reader = new ChatResponseReader();
        string[] chunks =
        [
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"weather","arguments":""}}]},"finish_reason":null}]}""",
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}""",
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Rome\"}"}}]},"finish_reason":null}]}""",
            """{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""",
        ];

        var updates = chunks.Select(c => reader.ReadChunk(Encoding.UTF8.GetBytes(c))!).ToList();

        Assert.All(updates.Take(3), u => Assert.Empty(u.Contents));
        var call = Assert.IsType<FunctionCallContent>(Assert.Single(updates[3].Contents));
        Assert.Equal(("call_1", "weather", "Rome"), (call.CallId, call.Name, call.Arguments!["city"]?.ToString()));
        Assert.Equal(ChatFinishReason.ToolCalls, updates[3].FinishReason);
        Assert.Equal(7L, Assert.IsType<UsageContent>(Assert.Single(updates[4].Contents)).Details.OutputTokenCount);
    }
}
