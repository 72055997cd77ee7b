using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Xunit;

namespace Tandem.FunctionalTests.Providers;

/// <summary>
/// The same functional scenarios for every protocol behind the upstream seam: OpenAI's (pass-through, against the
/// simulator), Anthropic's Messages API and Google's Gemini API (translated, against the simulator's endpoints for
/// them), and the made-up "toy" protocol (translated by a test adapter that plugs in through the public adapter
/// interface only). A client using the official OpenAI SDK must not be able to tell them apart.
/// </summary>
public sealed class ProviderConformanceTests
{
    private static string Config(ConformanceUpstream primary, ConformanceUpstream? backup = null) =>
        "auth:\n  keys:\n    - name: test\n      key: " + TestGateway.Key + "\n"
        + "providers:\n" + primary.ProviderYaml("primary-host").Replace("    base_url", "    timeouts: { connect: 2s, first_byte: 5s, total: 20s, idle: 1s }\n    base_url", StringComparison.Ordinal)
        + (backup?.ProviderYaml("backup-host") ?? "")
        + "deployments:\n  - name: primary\n    provider: primary-host\n    model: model-a\n    resilience: { retries: 0 }\n"
        + (backup is null ? "" : "  - name: backup\n    provider: backup-host\n    model: model-b\n")
        + "routes:\n  - name: chat\n    deployment: primary\n" + (backup is null ? "" : "    fallbacks: [backup]\n");

    private static Task<TestGateway> StartAsync(string config) =>
        TestGateway.StartAsync(config, o => o with { Adapters = ToyAdapter.Register(Tandem.Providers.ProviderAdapters.BuiltIn) }, []);

    [Theory]
    [InlineData("openai")]
    [InlineData("toy")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task NonStreaming_SdkGetsTheAnswer_UsageIsRecorded(string protocol)
    {
        await using var upstream = await ConformanceUpstream.StartAsync(protocol);
        await using var gateway = await StartAsync(Config(upstream));

        var result = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage(ConformanceUpstream.Question)], cancellationToken: Ct);
        var completion = result.Value;

        Assert.Equal(ConformanceUpstream.Answer, completion.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(upstream.ExpectedUsage, (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount));
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id));
        var record = await gateway.RecordAsync(id!, Ct);
        Assert.Equal((200, "primary", false), (record.Status, record.Deployment, record.TokensEstimated));
        Assert.Equal(upstream.ExpectedUsage, (record.PromptTokens, record.CompletionTokens));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("toy")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task Streaming_SdkGetsTheAnswerChunkByChunk_UsageIsRecorded(string protocol)
    {
        await using var upstream = await ConformanceUpstream.StartAsync(protocol);
        await using var gateway = await StartAsync(Config(upstream));

        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        var updates = 0;
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage(ConformanceUpstream.Question)], cancellationToken: Ct))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ConformanceUpstream.Answer, text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.True(updates >= 6, $"{updates} updates");

        // The same request again, with an id to find its record by.
        var events = await EventsAsync(gateway, includeUsage: false, requestId: "stream-1");
        Assert.Equal("[DONE]", events[^1]);
        var record = await gateway.RecordAsync("stream-1", Ct);
        Assert.Equal((200, true, false), (record.Status, record.Stream, record.TokensEstimated));
        Assert.Equal(upstream.ExpectedUsage, (record.PromptTokens, record.CompletionTokens));
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("toy")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task Streaming_UsageChunkOnlyWhenTheClientAsks(string protocol)
    {
        await using var upstream = await ConformanceUpstream.StartAsync(protocol);
        await using var gateway = await StartAsync(Config(upstream));

        var without = await EventsAsync(gateway, includeUsage: false);
        var with = await EventsAsync(gateway, includeUsage: true);

        Assert.Equal("[DONE]", without[^1]);
        Assert.DoesNotContain(without, e => e.Contains("\"usage\":{", StringComparison.Ordinal));
        var usage = JsonNode.Parse(with.Single(e => e.Contains("\"usage\":{", StringComparison.Ordinal)))!;
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(upstream.ExpectedUsage, ((int)usage["usage"]!["prompt_tokens"]!, (int)usage["usage"]!["completion_tokens"]!));
    }

    [Theory]
    [InlineData("openai", "toy")]
    [InlineData("toy", "openai")]
    [InlineData("anthropic", "openai")]
    [InlineData("openai", "anthropic")]
    [InlineData("gemini", "anthropic")]
    [InlineData("anthropic", "gemini")]
    [InlineData("sagemaker", "bedrock")]
    [InlineData("bedrock", "sagemaker")]
    [InlineData("anthropic", "sagemaker")]
    [InlineData("sagemaker", "anthropic")]
    [InlineData("gemini", "bedrock")]
    public async Task ServerError_FallsBackToTheOtherProvider(string primaryProtocol, string backupProtocol)
    {
        await using var primary = await ConformanceUpstream.StartAsync(primaryProtocol);
        await using var backup = await ConformanceUpstream.StartAsync(backupProtocol);
        primary.Fault = UpstreamFault.Status503;
        await using var gateway = await StartAsync(Config(primary, backup));

        using var response = await PostAsync(gateway, stream: false);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("backup", response.Headers.GetValues("x-tandem-deployment").Single());
        Assert.Equal($"route chat -> primary; fallback: primary {primary.ServerErrorStatus} -> backup", response.Headers.GetValues("x-tandem-decision").Single());
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(ConformanceUpstream.Answer, (string?)answer["choices"]![0]!["message"]!["content"]);
        Assert.Equal(1, primary.Received);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("toy")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task RateLimited_WithoutFallback_ClientGets429WithRetryAfter(string protocol)
    {
        await using var upstream = await ConformanceUpstream.StartAsync(protocol);
        upstream.Fault = UpstreamFault.Status429;
        await using var gateway = await StartAsync(Config(upstream));

        using var response = await PostAsync(gateway, stream: false);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(upstream.RetryAfter, response.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["error"]!;
        Assert.Equal("rate_limit_exceeded", (string?)error["code"]);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("toy")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    [InlineData("sagemaker")]
    [InlineData("bedrock")]
    public async Task StreamBrokenMidway_EndsWithAnErrorEvent_NeverDone(string protocol)
    {
        await using var upstream = await ConformanceUpstream.StartAsync(protocol);
        upstream.Fault = UpstreamFault.AbortMidStream;
        await using var gateway = await StartAsync(Config(upstream));

        var events = await EventsAsync(gateway, includeUsage: false, requestId: "broken-1");

        Assert.DoesNotContain("[DONE]", events);
        Assert.Equal("stream_interrupted", (string?)JsonNode.Parse(events[^1])!["error"]!["code"]);
        var record = await gateway.RecordAsync("broken-1", Ct);
        Assert.Equal((502, "stream_interrupted"), (record.Status, record.Error));
    }

    private static async Task<HttpResponseMessage> PostAsync(TestGateway gateway, bool stream, string extra = "", string? requestId = null)
    {
        var body = $$"""{"model":"chat","stream":{{(stream ? "true" : "false")}}{{extra}},"messages":[{"role":"user","content":"{{ConformanceUpstream.Question}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (requestId is not null)
        {
            request.Headers.Add("x-request-id", requestId);
        }

        return await gateway.Http.SendAsync(request, Ct);
    }

    private static async Task<List<string>> EventsAsync(TestGateway gateway, bool includeUsage, string? requestId = null)
    {
        using var response = await PostAsync(gateway, stream: true, includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "", requestId);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var events = new List<string>();
        foreach (var line in (await response.Content.ReadAsStringAsync(Ct)).Split('\n'))
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line[6..]);
            }
        }

        return events;
    }
}
