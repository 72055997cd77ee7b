using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests.Providers.Gemini;

/// <summary>
/// A gateway in front of the simulator's Gemini API and Vertex AI, driven with the official OpenAI SDK. The simulator
/// validates requests as Google does (unknown fields and schema keywords, function responses without their call),
/// and Vertex AI calls need an access token it issued for a service account key it wrote.
/// </summary>
public sealed class GeminiGatewayTests
{
    private const string ApiKey = "AIza-test-0123456789";

    private static string Config(string provider) => $$"""
        auth:
          keys:
            - name: test
              key: {{TestGateway.Key}}
        providers:
          - name: google
            type: gemini
            {{provider}}
        deployments:
          - { name: flash, provider: google, model: gemini-2.5-flash, resilience: { retries: 0 } }
          - { name: embed, provider: google, model: text-embedding-004 }
        routes:
          - { name: chat, deployment: flash }
          - { name: vectors, deployment: embed }
        """;

    private static async Task<(SimulatorServer Sim, TestGateway Gateway)> StartAsync()
    {
        Environment.SetEnvironmentVariable("TANDEM_TEST_GEMINI_KEY", ApiKey);
        var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 10, RequiredApiKey = ApiKey }, cancellationToken: Ct);
        return (sim, await TestGateway.StartAsync(Config($"base_url: {sim.BaseAddress}v1beta\n    api_key_env: TANDEM_TEST_GEMINI_KEY"), sim));
    }

    private static ChatTool WeatherTool() => ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"],"additionalProperties":false}"""));

    [Fact]
    public async Task ToolCalls_RoundTripThroughOpenAiSdk()
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
        Assert.Equal("""{"city":"simulated","days":1}""", call.FunctionArguments.ToString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Equal("The tool returned its result, and here is the answer based on it.", second.Content[0].Text);

        var sent = sim.Stats.Recent[^1];
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", sent.Path);
        Assert.Equal(ApiKey, sent.Headers["x-goog-api-key"]);
        var body = JsonNode.Parse(sent.Body)!;
        Assert.Equal("Use tools.", (string?)body["systemInstruction"]!["parts"]![0]!["text"]);
        Assert.Equal("get_weather", (string?)body["contents"]![2]!["parts"]![0]!["functionResponse"]!["name"]);
        Assert.Equal(18, (int)body["contents"]![2]!["parts"]![0]!["functionResponse"]!["response"]!["temperature_c"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"OBJECT","properties":{"city":{"type":"STRING"},"days":{"type":"INTEGER"}},"required":["city"]}"""),
            body["tools"]![0]!["functionDeclarations"]![0]!["parameters"]));
    }

    [Fact]
    public async Task Streaming_ToolCallThenText_UsageRecorded()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var name = "";
        var args = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Weather in Rome?")], new ChatCompletionOptions { Tools = { WeatherTool() } }, Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name += part.FunctionName;
                args.Append(part.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(("get_weather", """{"city":"simulated","days":1}""", ChatFinishReason.ToolCalls), (name, args.ToString(), finish));
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", sim.Stats.Recent[^1].Path);
        Assert.Equal("?alt=sse", sim.Stats.Recent[^1].Query);
    }

    [Fact]
    public async Task JsonSchema_ConvertedToGeminisSchema_AnswerFollowsIt()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("verdict", BinaryData.FromString(
                """{"type":"object","properties":{"label":{"type":"string","enum":["spam","ham"]},"score":{"type":["number","null"]}},"required":["label","score"],"additionalProperties":false}"""),
                jsonSchemaIsStrict: true),
        };

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Is this spam?")], options, Ct);

        Assert.Equal("""{"label":"spam","score":1}""", completion.Content[0].Text);
        var generation = JsonNode.Parse(sim.Stats.Recent[^1].Body)!["generationConfig"]!;
        Assert.Equal("application/json", (string?)generation["responseMimeType"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"OBJECT","properties":{"label":{"type":"STRING","enum":["spam","ham"]},"score":{"type":"NUMBER","nullable":true}},"required":["label","score"]}"""),
            generation["responseSchema"]));
    }

    [Fact]
    public async Task Embeddings_ThroughOpenAiSdk_AreTheProvidersVectors()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;

        var result = await gateway.OpenAI().GetEmbeddingClient("vectors").GenerateEmbeddingsAsync(["first text", "second text"], new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 16 }, Ct);

        Assert.Equal("/v1beta/models/text-embedding-004:batchEmbedContents", sim.Stats.Recent[^1].Path);
        // The ground truth: the provider's own answer for the same texts, asked directly.
        using var http = new HttpClient();
        using var direct = new HttpRequestMessage(HttpMethod.Post, new Uri(sim.BaseAddress, "v1beta/models/text-embedding-004:embedContent"))
        {
            Content = Json("""{"content":{"parts":[{"text":"second text"}]},"outputDimensionality":16}"""),
        };
        direct.Headers.Add("x-goog-api-key", ApiKey);
        using var response = await http.SendAsync(direct, Ct);
        var values = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["embedding"]!["values"]!.AsArray().Select(v => (float)(double)v!).ToArray();
        Assert.Equal(2, result.Value.Count);
        Assert.Equal(values, result.Value[1].ToFloats().ToArray());
    }

    [Fact]
    public async Task VertexAi_ServiceAccountToken_FetchedOnceAndReused()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 10 }, cancellationToken: Ct);
        using var dir = new TempDir();
        sim.WriteServiceAccountKey(dir.File("sa.json"));
        var env = "TANDEM_TEST_VERTEX_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(env, dir.File("sa.json"));
        await using var gateway = await TestGateway.StartAsync(
            Config($"base_url: {sim.BaseAddress}v1\n    gemini: {{ vertex: {{ project: my-project, location: europe-west4, credentials_env: {env} }} }}"), sim);
        var chat = gateway.Chat("chat");

        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage("hello")], cancellationToken: Ct);
        ChatCompletion second = await chat.CompleteChatAsync([new UserChatMessage("hello again")], cancellationToken: Ct);

        Assert.Equal((ChatFinishReason.Stop, ChatFinishReason.Stop), (first.FinishReason, second.FinishReason));
        Assert.Equal(1, sim.TokensIssued);
        var sent = sim.Stats.Recent.Where(r => r.Path.Contains(":generateContent", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, r => Assert.Equal("/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent", r.Path));
        Assert.Equal(sent[0].Headers["Authorization"], sent[1].Headers["Authorization"]);
        Assert.StartsWith("Bearer ya29.sim-1-", sent[0].Headers["Authorization"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelToolCallsFalse_400NamingIt_NothingSentUpstream()
    {
        var (sim, gateway) = await StartAsync();
        await using var _ = sim;
        await using var __ = gateway;

        using var response = await gateway.Http.PostAsync("v1/chat/completions",
            Json("""{"model":"chat","parallel_tool_calls":false,"tools":[{"type":"function","function":{"name":"f"}}],"messages":[{"role":"user","content":"hi"}]}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal(("parallel_tool_calls", "unsupported_value"), ((string?)error["param"], (string?)error["code"]));
        Assert.Equal(0, sim.Stats.Received);
    }
}
