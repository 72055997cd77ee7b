using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Tandem.FunctionalTests.Infrastructure;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// What the relays put on the wire for cases only an exact upstream shows: a stream that stops without its end, and
/// the upstream's rate-limit headers on an answer and on a 429.
/// </summary>
public sealed class WireRelayTests
{
    private const string Config = """
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - name: up
            base_url: {sim0}
            timeouts: { connect: 2s, first_byte: 5s, total: 20s }
        deployments:
          - { name: gpt, provider: up, model: gpt-4o-mini-2024-07-18, resilience: { retries: 0 } }
        routes:
          - { name: chat, deployment: gpt }
        """;

    private const string Hel = """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}""";
    private const string Lo = """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}""";
    private const string Stop = """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""";

    private static async Task<(HttpResponseMessage Response, List<string> Events, bool Truncated)> StreamAsync(TestGateway gateway, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add("x-request-id", id);
        var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var (lines, truncated) = await Sse.ReadLinesAsync(response, Ct);
        return (response, [.. lines.Select(Sse.Data).OfType<string>()], truncated);
    }

    private static async Task<HttpResponseMessage> PostAsync(TestGateway gateway, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add("x-request-id", id);
        return await gateway.Http.SendAsync(request, Ct);
    }

    private static string Header(HttpResponseMessage response, string name) => string.Join(",", response.Headers.GetValues(name));

    [Fact]
    public async Task Stream_EndingWithoutDoneOrFinishReason_IsIncomplete_WithAnErrorEvent_AndA502Record()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((ctx, _) => ScriptedUpstream.StreamAsync(ctx, Hel, Lo));
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        var (response, events, truncated) = await StreamAsync(gateway, "cut-1");
        using var _ = response;

        // The status was sent with the first chunk; the chunks are relayed as they came, then an error event ends the
        // response (delivered whole, not cut) and neither [DONE] nor a finish_reason appears.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(truncated);
        Assert.Equal(3, events.Count);
        Assert.Equal([Hel, Lo], events.Take(2));
        using var error = JsonDocument.Parse(events[2]);
        var e = error.RootElement.GetProperty("error");
        Assert.Equal("stream_incomplete", e.GetProperty("code").GetString());
        Assert.Equal("upstream_error", e.GetProperty("type").GetString());
        Assert.Equal("The stream from deployment 'gpt' ended before the answer was complete.", e.GetProperty("message").GetString());

        var record = await gateway.RecordAsync("cut-1", Ct);
        Assert.Equal((502, "stream_incomplete", "gpt"), (record.Status, record.Error, record.Deployment));
        Assert.Null(record.FinishReason);
    }

    [Fact]
    public async Task Stream_WithFinishReasonButNoDone_IsComplete()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((ctx, _) => ScriptedUpstream.StreamAsync(ctx, Hel, Lo, Stop));
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        var (response, events, truncated) = await StreamAsync(gateway, "fin-1");
        using var _ = response;

        Assert.False(truncated);
        Assert.Equal([Hel, Lo, Stop], events);
        var record = await gateway.RecordAsync("fin-1", Ct);
        Assert.Equal((200, null, "stop"), (record.Status, record.Error, record.FinishReason));
    }

    [Fact]
    public async Task Stream_WithDoneButNoFinishReason_IsComplete()
    {
        await using var upstream = await ScriptedUpstream.StartAsync((ctx, _) => ScriptedUpstream.StreamAsync(ctx, Hel, Lo, "[DONE]"));
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        var (response, events, _) = await StreamAsync(gateway, "done-1");
        using var __ = response;

        Assert.Equal([Hel, Lo, "[DONE]"], events);
        var record = await gateway.RecordAsync("done-1", Ct);
        Assert.Equal((200, (string?)null), (record.Status, record.Error));
    }

    private static Task RateLimitHeaders(HttpContext ctx)
    {
        var h = ctx.Response.Headers;
        h["x-ratelimit-limit-requests"] = "500";
        h["x-ratelimit-remaining-requests"] = "499";
        h["x-ratelimit-reset-requests"] = "120ms";
        h["x-ratelimit-remaining-tokens"] = "149984";
        h["openai-processing-ms"] = "42";
        h["x-request-id"] = "req_upstream_123";
        h["set-cookie"] = "__cf_bm=secret; path=/";
        h["x-internal-trace"] = "do-not-relay";
        return Task.CompletedTask;
    }

    private static void AssertRelayed(HttpResponseMessage response, string requestId)
    {
        Assert.Equal("500", Header(response, "x-ratelimit-limit-requests"));
        Assert.Equal("499", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("120ms", Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal("149984", Header(response, "x-ratelimit-remaining-tokens"));
        Assert.Equal("42", Header(response, "openai-processing-ms"));
        // The upstream's id under its own name; x-request-id stays Tandem's.
        Assert.Equal("req_upstream_123", Header(response, "x-upstream-request-id"));
        Assert.Equal(requestId, Header(response, "x-request-id"));
        Assert.False(response.Headers.Contains("set-cookie"));
        Assert.False(response.Headers.Contains("x-internal-trace"));
    }

    [Fact]
    public async Task Answer_RelaysRateLimitHeaders_JsonAndStream()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(async (ctx, _) =>
        {
            await RateLimitHeaders(ctx);
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body);
            if (body.RootElement.TryGetProperty("stream", out var stream) && stream.GetBoolean())
            {
                await ScriptedUpstream.StreamAsync(ctx, Hel, Stop, "[DONE]");
                return;
            }

            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");
        });
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        using var json = await PostAsync(gateway, "rl-json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        AssertRelayed(json, "rl-json");

        var (streamed, events, _) = await StreamAsync(gateway, "rl-sse");
        using var __ = streamed;
        Assert.Equal([Hel, Stop, "[DONE]"], events);
        AssertRelayed(streamed, "rl-sse");
    }

    [Fact]
    public async Task RateLimited_RelaysStatusBodyAndHeaders_RetryAfterInWholeSecondsFromTheMostPreciseHint()
    {
        const string body = """{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500, Used 500.","type":"requests","param":null,"code":"rate_limit_exceeded"}}""";
        await using var upstream = await ScriptedUpstream.StartAsync(async (ctx, _) =>
        {
            var h = ctx.Response.Headers;
            h["x-ratelimit-remaining-requests"] = "0";
            h["x-ratelimit-reset-requests"] = "6s";
            h["retry-after-ms"] = "1500";
            h["retry-after"] = "7";
            h["set-cookie"] = "a=b";
            ctx.Response.StatusCode = 429;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body);
        });
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        using var response = await PostAsync(gateway, "rl-429");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("0", Header(response, "x-ratelimit-remaining-requests"));
        Assert.Equal("6s", Header(response, "x-ratelimit-reset-requests"));
        Assert.Equal("1500", Header(response, "retry-after-ms"));
        // retry-after-ms (1.5 s) is read before Retry-After (7 s) and rounded up to whole seconds: 2.
        Assert.Equal("2", Header(response, "Retry-After"));
        Assert.False(response.Headers.Contains("set-cookie"));
        Assert.Equal(1, upstream.Calls); // retries: 0
        var record = await gateway.RecordAsync("rl-429", Ct);
        Assert.Equal((429, "rate_limit_exceeded"), (record.Status, record.Error));
    }

    [Fact]
    public async Task RateLimited_AbsurdRetryAfter_IsStillA429_WithTheLongestWholeSecondsHint()
    {
        // A Retry-After with more digits than a long used to overflow in the reader and fail the request with an
        // internal error; it is a rate limit like any other, its hint clamped.
        await using var upstream = await ScriptedUpstream.StartAsync(async (ctx, _) =>
        {
            ctx.Response.Headers["retry-after"] = "99999999999999999999";
            ctx.Response.StatusCode = 429;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}""");
        });
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        using var response = await PostAsync(gateway, "rl-huge");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("2147483647", Header(response, "Retry-After")); // int.MaxValue seconds
        Assert.Equal((429, "rate_limit_exceeded"), ((await gateway.RecordAsync("rl-huge", Ct)).Status, (await gateway.RecordAsync("rl-huge", Ct)).Error));
    }

    [Fact]
    public async Task RateLimited_RetryAfterSecondsOnly_IsRelayedAsIs()
    {
        await using var upstream = await ScriptedUpstream.StartAsync(async (ctx, _) =>
        {
            ctx.Response.Headers["retry-after"] = "7";
            ctx.Response.StatusCode = 429;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}""");
        });
        await using var gateway = await TestGateway.StartAsync(Config, o => o, [upstream.V1]);

        using var response = await PostAsync(gateway, "rl-7");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("7", Header(response, "Retry-After"));
        Assert.False(response.Headers.Contains("retry-after-ms"));
    }
}
