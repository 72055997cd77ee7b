using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class ChatCompletionsTests
{
    [Fact]
    public async Task NonStreaming_ThroughOpenAiSdk_ReturnsAnswerAndUsage()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 7, RecordRequests = 10 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        ChatCompletion completion = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: Ct);

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(7, completion.Content[0].Text.TrimEnd('.').Split(' ').Length);
        Assert.Equal(7, completion.Usage.OutputTokenCount);
        Assert.Equal("gpt-4o-mini-2024-07-18", completion.Model);
        var received = JsonNode.Parse(sim.Stats.Recent.Single().Body)!;
        Assert.Equal("gpt-4o-mini-2024-07-18", (string?)received["model"]);
    }

    [Fact]
    public async Task Responses_CarryRequestIdRouteDeploymentAndOverheadHeaders()
    {
        // The upstream holds every answer for at least 300 ms.
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromMilliseconds(300)) }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        using var mine = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""") };
        mine.Headers.Add("x-request-id", "client-supplied-42");
        var roundTrip = System.Diagnostics.Stopwatch.StartNew();
        using var response = await gateway.Http.SendAsync(mine, Ct);
        roundTrip.Stop();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("client-supplied-42", response.Headers.GetValues("x-request-id").Single());
        Assert.Equal("chat", response.Headers.GetValues("x-tandem-route").Single());
        Assert.Equal("gpt", response.Headers.GetValues("x-tandem-deployment").Single());

        // Milliseconds with three decimals. Overhead is Tandem's own time, the upstream wait excluded: it lies within
        // the client's round trip less the 300 ms the upstream held the answer, whatever the machine's speed (the
        // server's time is inside the client's, and the upstream wait is at least the upstream's delay).
        var header = response.Headers.GetValues("x-tandem-overhead-ms").Single();
        Assert.Matches(@"^\d+\.\d{3}$", header);
        var overhead = double.Parse(header, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(overhead, 0, roundTrip.Elapsed.TotalMilliseconds - 300);

        // Without a client id Tandem makes one; a deployment may also be named directly.
        using var direct = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"gpt","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.StartsWith("req_", direct.Headers.GetValues("x-request-id").Single(), StringComparison.Ordinal);
        Assert.False(direct.Headers.Contains("x-tandem-route"));
        Assert.Equal("gpt", direct.Headers.GetValues("x-tandem-deployment").Single());
    }

    [Fact]
    public async Task Streaming_ThroughOpenAiSdk_DeliversDeltasAndUsage()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 12 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Tell me something")], cancellationToken: Ct))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.True(updates >= 12);
        Assert.Equal(12, text.ToString().TrimEnd('.').Split(' ').Length);
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(12, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Streaming_ClientDidNotAskForUsage_UpstreamIsAskedButUsageChunkIsNotRelayed()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 5, RecordRequests = 10 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var events = await StreamEventsAsync(gateway, """{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        var received = JsonNode.Parse(sim.Stats.Recent.Single().Body)!;
        Assert.True((bool)received["stream_options"]!["include_usage"]!);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events.Take(events.Count - 1).Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.NotEmpty(c["choices"]!.AsArray()));
        Assert.DoesNotContain(chunks, c => c["usage"] is JsonObject);
    }

    [Fact]
    public async Task Streaming_ClientAskedForUsage_KeepsItsOtherStreamOptionsAndGetsUsage()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 5, RecordRequests = 10 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var events = await StreamEventsAsync(gateway, """{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}""");
        var usageChunk = JsonNode.Parse(events[^2])!;
        Assert.Empty(usageChunk["choices"]!.AsArray());
        Assert.Equal(5, (int)usageChunk["usage"]!["completion_tokens"]!);

        // stream_options present but without include_usage: Tandem adds it and keeps the client's other options.
        await StreamEventsAsync(gateway, """{"model":"chat","stream":true,"stream_options":{"include_obfuscation":false},"messages":[{"role":"user","content":"hi"}]}""");
        var received = JsonNode.Parse(sim.Stats.Recent[^1].Body)!;
        Assert.True((bool)received["stream_options"]!["include_usage"]!);
        Assert.False((bool)received["stream_options"]!["include_obfuscation"]!);
    }

    [Fact]
    public async Task ToolCalls_RoundTripThroughOpenAiSdk()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 10 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var tool = ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
            BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}"""));
        var options = new ChatCompletionOptions { Tools = { tool } };
        List<ChatMessage> messages = [new UserChatMessage("Weather in Paris?")];
        var chat = gateway.Chat("chat");

        ChatCompletion first = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        using var args = JsonDocument.Parse(call.FunctionArguments);
        Assert.Equal("simulated", args.RootElement.GetProperty("city").GetString());

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c":18}"""));
        ChatCompletion second = await chat.CompleteChatAsync(messages, options, Ct);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Contains("tool", second.Content[0].Text, StringComparison.Ordinal);

        // The tool result and the assistant's tool call reached the upstream as the SDK sent them.
        var received = JsonNode.Parse(sim.Stats.Recent[^1].Body)!;
        var sent = received["messages"]!.AsArray();
        Assert.Equal("tool", (string?)sent[2]!["role"]);
        Assert.Equal(call.Id, (string?)sent[2]!["tool_call_id"]);
        Assert.Equal(call.Id, (string?)sent[1]!["tool_calls"]![0]!["id"]);
    }

    [Fact]
    public async Task StreamingToolCalls_ThroughOpenAiSdk_AssembleArguments()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var tool = ChatTool.CreateFunctionTool("lookup", "Look up an order",
            BinaryData.FromString("""{"type":"object","properties":{"order_id":{"type":"string"},"include_items":{"type":"boolean"}}}"""));
        var args = new StringBuilder();
        string? name = null;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("Where is order 7?")], new ChatCompletionOptions { Tools = { tool } }, Ct))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                name ??= part.FunctionName;
                args.Append(part.FunctionArgumentsUpdate?.ToString());
            }
        }

        Assert.Equal("lookup", name);
        using var parsed = JsonDocument.Parse(args.ToString());
        Assert.True(parsed.RootElement.GetProperty("include_items").GetBoolean());
    }

    [Fact]
    public async Task UnknownAndUnmodelledFields_ReachTheUpstreamByteForByte()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RecordRequests = 10 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        const string body = """
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi \u00e9\ud83d\ude00"}]}],
             "model":"chat","temperature":0.2,"top_p":0.9,"seed":42,"n":2,"stop":["\n\n","END"],"logprobs":true,"top_logprobs":3,
             "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],"tool_choice":"none",
             "response_format":{"type":"json_object"},"user":"user-123","metadata":{"team":"support","ticket":"T-9"},
             "top_k":40,"repetition_penalty":1.05,"chat_template_kwargs":{"enable_thinking":false},"guided_json":{"type":"object"},
             "x_vendor":{"nested":[1,2.50,{"deep":null}]} }
            """;

        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json(body), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = sim.Stats.Recent.Single().Body;
        var expected = body.Replace("\"model\":\"chat\"", "\"model\":\"gpt-4o-mini-2024-07-18\"", StringComparison.Ordinal);
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task ClientDisconnect_CancelsTheUpstreamCall()
    {
        // 5 tokens a second: the stream takes seconds, so the client leaves long before it ends.
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 200, TokensPerSecond = 5 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            var first = true;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("long story")], cancellationToken: cts.Token))
                {
                    if (first)
                    {
                        first = false;
                        await cts.CancelAsync();
                    }
                }
            });
        }

        await sim.Stats.WaitForAsync(s => s.Cancelled >= 1, TimeSpan.FromSeconds(15));
        Assert.Equal(0, sim.Stats.Completed);
    }

    [Fact]
    public async Task ClientDisconnect_NonStreaming_CancelsTheUpstreamCall()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Latency = Distribution.Fixed(TimeSpan.FromSeconds(30)) }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), cts.Token);
        await sim.Stats.WaitForAsync(s => s.Received >= 1, TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await sim.Stats.WaitForAsync(s => s.Cancelled >= 1, TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task ReplayedOpenAiRecording_IsRelayedEventForEvent()
    {
        // A real recorded gpt-4o stream (openai-python test suite, Apache-2.0; see test/TestData/openai-python).
        var recording = await File.ReadAllBytesAsync(TestData.OpenAiRefusalStream, Ct);
        await using var replay = await ReplayUpstream.StartAsync(recording, "text/event-stream");
        await using var gateway = await TestGateway.StartAsync(Configs.Single.Replace("{sim0}", replay.V1, StringComparison.Ordinal));

        // The client asked for usage: the bytes arrive exactly as recorded.
        using var withUsage = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}"""), Ct);
        var relayed = await withUsage.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(recording, relayed);

        // It did not: the same bytes less the usage-only event.
        using var withoutUsage = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}"""), Ct);
        var text = await withoutUsage.Content.ReadAsStringAsync(Ct);
        var recordedEvents = Encoding.UTF8.GetString(recording).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(14, recordedEvents.Length); // test/TestData/openai-python/README.md
        var usageEvent = Assert.Single(recordedEvents, e => e.Contains("\"choices\":[]", StringComparison.Ordinal) && e.Contains("\"usage\":{", StringComparison.Ordinal));
        Assert.Equal(string.Concat(recordedEvents.Where(e => e != usageEvent).Select(e => e + "\n\n")), text);
    }

    private static async Task<List<string>> StreamEventsAsync(TestGateway gateway, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(body) };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return Sse.Events(await response.Content.ReadAsStringAsync(Ct));
    }
}
