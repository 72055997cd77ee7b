using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

public sealed class ErrorTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> PostAsync(HttpClient http, string body, string path = "v1/chat/completions")
    {
        var response = await http.PostAsync(path, Json(body), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        var error = doc.RootElement.GetProperty("error").Clone();

        // OpenAI's shape, always all four members, never a stack trace.
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        Assert.True(response.Headers.Contains("x-request-id"));
        return (response.StatusCode, error, response);
    }

    [Fact]
    public async Task BadRequests_Get400WithParam()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var malformed = await PostAsync(gateway.Http, """{"model":"chat","messages":[""");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Equal("invalid_request_error", malformed.Error.GetProperty("type").GetString());

        var noModel = await PostAsync(gateway.Http, """{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, noModel.Status);
        Assert.Equal("model", noModel.Error.GetProperty("param").GetString());

        var noMessages = await PostAsync(gateway.Http, """{"model":"chat"}""");
        Assert.Equal(HttpStatusCode.BadRequest, noMessages.Status);
        Assert.Equal("messages", noMessages.Error.GetProperty("param").GetString());
        Assert.Equal("missing_required_parameter", noMessages.Error.GetProperty("code").GetString());
        Assert.Equal(0, sim.Stats.Received);
    }

    [Fact]
    public async Task MissingOrWrongKey_Gets401_AndTheSdkSurfacesIt()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        using var anonymous = new HttpClient { BaseAddress = gateway.App.BaseAddress };

        var missing = await PostAsync(anonymous, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("invalid_api_key", missing.Error.GetProperty("code").GetString());

        var ex = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("chat", key: "sk-wrong-key-000000").CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));
        Assert.Equal(401, ex.Status);
        Assert.Equal(0, sim.Stats.Received);
    }

    [Fact]
    public async Task UnknownModel_Gets404_AndAKeyMayNotUseOtherRoutes()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        const string config = """
            auth:
              keys:
                - name: test
                  key: sk-test-key-123456
                  routes: [chat]
            providers: [{ name: sim, base_url: "{sim0}" }]
            deployments:
              - { name: gpt, provider: sim, model: gpt-4o-mini }
              - { name: other, provider: sim, model: llama }
            routes:
              - { name: chat, deployment: gpt }
              - { name: secret, deployment: other }
            """;
        await using var gateway = await TestGateway.StartAsync(config, sim);

        var unknown = await PostAsync(gateway.Http, """{"model":"gpt-5-nope","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("model_not_found", unknown.Error.GetProperty("code").GetString());

        // Not allowed looks exactly like not existing.
        var forbidden = await PostAsync(gateway.Http, """{"model":"secret","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, forbidden.Status);
        var direct = await PostAsync(gateway.Http, """{"model":"gpt","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, direct.Status);
        Assert.Equal(0, sim.Stats.Received);

        // /v1/models lists only what the key may use.
        var models = await gateway.OpenAI().GetOpenAIModelClient().GetModelsAsync(Ct);
        Assert.Equal(["chat"], models.Value.Select(m => m.Id).ToArray());
    }

    [Fact]
    public async Task BodyOverTheLimit_Gets413_WithAndWithoutContentLength()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync("server:\n  max_body_bytes: 2000\n" + Configs.Single, sim);
        var big = """{"model":"chat","messages":[{"role":"user","content":"PAD"}]}""".Replace("PAD", new string('x', 5000), StringComparison.Ordinal);

        var sized = await PostAsync(gateway.Http, big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.Status);
        Assert.Equal("request_too_large", sized.Error.GetProperty("code").GetString());

        // Chunked upload without Content-Length: counted while reading.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Content.Headers.ContentType = new("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var response = await gateway.Http.SendAsync(chunked, Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        // Just under the limit passes.
        var ok = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, sim.Stats.Received);
    }

    [Fact]
    public async Task Upstream429_IsRelayedWithRetryAfter()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("429:1"), RetryAfterSeconds = 7 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var (status, error, response) = await PostAsync(gateway.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("500")]
    [InlineData("503")]
    public async Task Upstream5xx_Gets502(string fault)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList(fault + ":1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);

        var (status, error, _) = await PostAsync(gateway.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("upstream_error", error.GetProperty("code").GetString());
        Assert.Contains("HTTP " + fault, error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionReset_And_Unreachable_Get502()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("reset:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var reset = await PostAsync(gateway.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, reset.Status);

        // Nothing listens on port 9 (discard) of loopback here.
        await using var dead = await TestGateway.StartAsync(Configs.Single.Replace("{sim0}", "http://127.0.0.1:9/v1", StringComparison.Ordinal));
        var unreachable = await PostAsync(dead.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, unreachable.Status);
        Assert.Equal("upstream_unreachable", unreachable.Error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UpstreamStall_Gets504AfterTheFirstByteTimeout()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("stall:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single.Replace("first_byte: 5s", "first_byte: 300ms", StringComparison.Ordinal), sim);

        var (status, error, _) = await PostAsync(gateway.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        await sim.Stats.WaitForAsync(s => s.Cancelled >= 1, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task UpstreamCredentialProblems_Get502_AndNeverLeakTheCredential()
    {
        const string secret = "sk-upstream-SECRET-value-9876";
        Environment.SetEnvironmentVariable("TANDEM_TEST_UPSTREAM_KEY", secret);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { RequiredApiKey = "sk-something-else", RecordRequests = 5 }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single.Replace("    base_url: {sim0}", "    base_url: {sim0}\n    api_key_env: TANDEM_TEST_UPSTREAM_KEY", StringComparison.Ordinal), sim);

        var (status, error, response) = await PostAsync(gateway.Http, """{"model":"chat","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("upstream_rejected", error.GetProperty("code").GetString());
        Assert.Equal("Bearer " + secret, sim.Stats.Recent.Single().Headers["Authorization"]);
        var everything = string.Join("\n", gateway.Logs.Lines) + error.ToString() + string.Join("\n", response.Headers.Select(h => h.Key + string.Join(",", h.Value)));
        Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(TestGateway.Key, everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownV1Endpoint_Gets404InOpenAiShape()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        var (status, error, _) = await PostAsync(gateway.Http, "{}", "v1/assistants");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("unknown_url", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task MidStreamAbort_ReachesTheClientAsAnErrorEvent()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20, Faults = Fault.ParseList("abort:1") }, cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single, sim);
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""") };
        using var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (lines, truncated) = await Sse.ReadLinesAsync(response, Ct);
        var events = lines.Select(Sse.Data).OfType<string>().ToList();

        // Content chunks arrived, then the failure as an error event that is always delivered (the response then ends
        // normally), and never [DONE] or a finish_reason, so that no client can take the partial answer for a complete one.
        Assert.True(events.Count >= 2);
        Assert.DoesNotContain("[DONE]", events);
        Assert.False(truncated);
        Assert.DoesNotContain(events, e => e.Contains("\"finish_reason\":\"", StringComparison.Ordinal));
        using var last = JsonDocument.Parse(events[^1]);
        Assert.Equal("stream_interrupted", last.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("upstream_error", last.RootElement.GetProperty("error").GetProperty("type").GetString());

        // The official .NET SDK ignores error events (the Python and JavaScript SDKs raise them), so through it the
        // answer ends without any finish reason: the signal a .NET caller must check (README, "Errors").
        var updates = new List<OpenAI.Chat.StreamingChatCompletionUpdate>();
        await foreach (var update in gateway.Chat("chat").CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Ct))
        {
            updates.Add(update);
        }

        Assert.NotEmpty(updates);
        Assert.All(updates, u => Assert.Null(u.FinishReason));
    }
}
