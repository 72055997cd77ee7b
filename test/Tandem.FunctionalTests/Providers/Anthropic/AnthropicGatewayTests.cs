using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Anthropic;

/// <summary>
/// A gateway in front of the simulator's Anthropic Messages API, driven with the official OpenAI SDK: tool calls both
/// ways, JSON mode, stop reasons and refusals. The simulator validates requests as Anthropic does (a tool result
/// without its tool use, an unknown field, a missing max_tokens are 400s), so every answer here also proves the
/// translated request was valid.
/// </summary>
public sealed class AnthropicGatewayTests
{
    private const string ApiKey = "sk-ant-test-0123456789";

    private static string Config(string extra = "") => $$"""
        auth:
          keys:
            - name: test
              key: {{TestGateway.Key}}
        providers:
          - name: claude
            type: anthropic
            base_url: {sim0}
            api_key_env: TANDEM_TEST_ANTHROPIC_KEY
            anthropic: { version: "2023-06-01", default_max_tokens: 1000 }
        deployments:
          - name: haiku
            provider: claude
            model: claude-haiku-4-5
            resilience: { retries: 0 }
        {{extra}}
        routes:
          - name: chat
            deployment: haiku
        """;

    private static async Task<(SimulatorServer Sim, TestGateway Gateway)> StartAsync(SimulatorOptions? options = null)
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_ANTHROPIC_KEY", ApiKey);
        var sim = await SimulatorServer.StartAsync(options ?? new SimulatorOptions { RecordRequests = 10, RequiredApiKey = ApiKey }, cancellationToken: Ct);
        return (sim, await TestGateway.StartAsync(Config(), sim));
    }

    private static ChatTool WeatherTool() => ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}"""));

    [Fact]
    public async Task ToolCalls_RoundTripThroughOpenAiSdk_WithAnthropicHeaders()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var options = new ChatCompletionOptions { Tools = { WeatherTool() } };
        List<ChatMessage> messages = [new SystemChatMessage("Use tools."), new UserChatMessage("Weather in Paris?")];
        var chat = gateway.Chat("chat");

        ChatCompletion first = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("toolu_", call.Id, StringComparison.Ordinal);
        using (var args = JsonDocument.Parse(call.FunctionArguments))
        {
            Assert.Equal("simulated", args.RootElement.GetProperty("city").GetString());
            Assert.Equal(1, args.RootElement.GetProperty("days").GetInt32());
        }

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal("The tool returned its result, and here is the answer based on it.", second.Content[0].Text);

        var sent = sim.Stats.Recent[^1];
        Assert.Equal("/v1/messages", sent.Path);
        Assert.Equal(ApiKey, sent.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        var body = JsonNode.Parse(sent.Body)!;
        Assert.Equal("Use tools.", (string?)body["system"]);
        Assert.Equal(1000, (int)body["max_tokens"]!);
        Assert.Equal(call.Id, (string?)body["messages"]![1]!["content"]![0]!["id"]);
        Assert.Equal(call.Id, (string?)body["messages"]![2]!["content"]![0]!["tool_use_id"]);
    }

    [Fact]
    public async Task StreamingToolCall_ArgumentsReassembled_UsageRecorded()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var args = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Weather in Rome?")],
            new ChatCompletionOptions { Tools = { WeatherTool() } }, Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name ??= part.FunctionName;
                args.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("""{"city":"simulated","days":1}""", args.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        // Prompt: ceil((16 characters + 16) / 4) = 8 by the simulator's counting; completion: 30 characters / 4 = 7.
        Assert.Equal((8, 7), (usage!.InputTokenCount, usage.OutputTokenCount));
    }

    [Fact]
    public async Task JsonSchema_NativeStructuredOutput_AnswerFollowsTheSchema()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("verdict", BinaryData.FromString(
                """{"type":"object","properties":{"label":{"type":"string","enum":["spam","ham"]},"score":{"type":"number"}},"required":["label","score"],"additionalProperties":false}"""),
                jsonSchemaIsStrict: true),
        };

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Is this spam?")], options, Ct);

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("""{"label":"spam","score":1}""", completion.Content[0].Text);
        var format = JsonNode.Parse(sim.Stats.Recent[^1].Body)!["output_config"]!["format"]!;
        Assert.Equal("json_schema", (string?)format["type"]);
        Assert.Null(JsonNode.Parse(sim.Stats.Recent[^1].Body)!["tools"]);
    }

    [Fact]
    public async Task JsonObject_ForcedTool_AnswerIsTheToolInput_StreamedAsText()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() };

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Give me JSON")], options, Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            Assert.Empty(update.ToolCallUpdates);
            finish ??= update.FinishReason;
        }

        Assert.Equal("{}", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        var sent = JsonNode.Parse(sim.Stats.Recent[^1].Body)!;
        Assert.Equal("json_response", (string?)sent["tool_choice"]!["name"]);
    }

    [Fact]
    public async Task MaxTokensAndStopSequences_FinishReasonsMapped()
    {
        var (sim, gateway) = await StartAsync(new SimulatorOptions { OutputTokens = 12, RecordRequests = 10 });
        await using var _ = sim;
        await using var __ = gateway;
        var chat = gateway.Chat("chat");

        ChatCompletion cut = await chat.CompleteChatAsync([new UserChatMessage("Tell me")], new ChatCompletionOptions { MaxOutputTokenCount = 3 }, Ct);
        var full = (await chat.CompleteChatAsync([new UserChatMessage("Tell me")], cancellationToken: Ct)).Value.Content[0].Text;
        var words = full.Split(' ');
        var stop = " " + words[2];
        ChatCompletion stopped = await chat.CompleteChatAsync([new UserChatMessage("Tell me")], new ChatCompletionOptions { StopSequences = { stop } }, Ct);

        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Equal(string.Join(' ', words[..3]), cut.Content[0].Text);
        Assert.Equal(3, cut.Usage.OutputTokenCount);
        Assert.Equal(ChatFinishReason.Stop, stopped.FinishReason);
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], stopped.Content[0].Text);
        Assert.Equal([" " + words[2]], JsonNode.Parse(sim.Stats.Recent[^1].Body)!["stop_sequences"]!.AsArray().Select(s => (string?)s));
    }

    [Fact]
    public async Task UntranslatableParameter_400NamingIt_NothingSentUpstream()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;

        using var response = await gateway.Http.PostAsync("v1/chat/completions",
            Json("""{"model":"chat","n":3,"messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal(("n", "unsupported_parameter"), ((string?)error["param"], (string?)error["code"]));
        Assert.Equal("Unsupported parameter: 'n' cannot be expressed for deployment 'haiku', which speaks Anthropic's Messages API.", (string?)error["message"]);
        Assert.Equal(0, sim.Stats.Received);
    }

    [Fact]
    public async Task AnthropicInvalidRequest_IsRelayedAs400WithItsMessage()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var options = new ChatCompletionOptions { Tools = { WeatherTool() }, ToolChoice = ChatToolChoice.CreateFunctionChoice("no_such_tool") };

        var e = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("hi")], options, Ct));

        Assert.Equal(400, e.Status);
        Assert.Contains("tool_choice.name: Tool not found in tools", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, sim.Stats.Received);
    }
}
