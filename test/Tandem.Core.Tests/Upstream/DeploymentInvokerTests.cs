using System.Net;
using System.Text;
using Polly.CircuitBreaker;
using Tandem.Upstream;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

public sealed class DeploymentInvokerTests
{
    private static string Config(string resilience = "{ retries: 1, retry_backoff: 1ms, max_retry_after: 2s }", string endpoints = "base_url: \"http://a.invalid/v1\"") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            {{endpoints}}
            timeouts: { connect: 1s, first_byte: 300ms, total: 5s, idle: 300ms }
        deployments:
          - { name: d, provider: p, model: m-upstream, resilience: {{resilience}} }
        routes:
          - { name: r, deployment: d }
        """;

    [Fact]
    public async Task SendAsync_TransientThenOk_RetriesOnTheSameDeployment_AndRecordsBothTries()
    {
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0 ? FakeUpstream.Json(503, """{"error":{"message":"busy"}}""") : FakeUpstream.Ok());
        var deployment = fake.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.True(result.IsSuccess);
        Assert.True(result.IsComplete);
        Assert.Contains("\"content\":\"hello\"", Encoding.UTF8.GetString(result.Buffered.Span), StringComparison.Ordinal);
        Assert.Equal([("d", 503, "http_503"), ("d", 200, null)], request.Trace.Attempts.Select(a => (a.Deployment, a.Status, a.Error)));
    }

    [Fact]
    public async Task SendAsync_SendsModelRewrittenAndRequestId()
    {
        var fake = new FakeUpstream();
        string? sent = null;
        string? id = null;
        fake.Script("p", async (message, _) =>
        {
            sent = await message.Content!.ReadAsStringAsync();
            id = message.Headers.GetValues("x-request-id").Single();
            return FakeUpstream.Ok();
        });
        var deployment = fake.Build(Config()).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal("""{"model":"m-upstream","stream":false,"messages":[{"role":"user","content":"hi"}]}""", sent);
        Assert.Equal("req-1", id);
    }

    [Theory]
    [InlineData(429, "1", true)]
    [InlineData(429, "9", false)]
    [InlineData(503, null, true)]
    [InlineData(500, null, true)]
    [InlineData(408, null, true)]
    [InlineData(409, null, true)]
    [InlineData(400, null, false)]
    [InlineData(401, null, false)]
    [InlineData(404, null, false)]
    [InlineData(422, null, false)]
    public async Task SendAsync_RetriesOnlyWhatAnotherTryMayFix(int status, string? retryAfter, bool retried)
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => retryAfter is null
            ? FakeUpstream.Json(status, """{"error":{"message":"no"}}""")
            : FakeUpstream.Json(status, """{"error":{"message":"no"}}""", ("Retry-After", retryAfter)));
        var deployment = fake.Build(Config()).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.False(result.IsSuccess);
        Assert.Equal(retried ? 2 : 1, fake.Calls("p"));
    }

    [Theory]
    [InlineData(503, FailureKind.ServerError, 502, "upstream_error", true)]
    [InlineData(500, FailureKind.ServerError, 502, "upstream_error", true)]
    [InlineData(409, FailureKind.ServerError, 502, "upstream_error", true)]
    [InlineData(408, FailureKind.Timeout, 504, "upstream_timeout", true)]
    [InlineData(429, FailureKind.RateLimited, 429, "rate_limit_exceeded", true)]
    [InlineData(401, FailureKind.Rejected, 502, "upstream_rejected", true)]
    [InlineData(403, FailureKind.Rejected, 502, "upstream_rejected", true)]
    [InlineData(404, FailureKind.Rejected, 502, "upstream_rejected", true)]
    [InlineData(400, FailureKind.ClientError, 400, "upstream_400", false)]
    [InlineData(422, FailureKind.ClientError, 422, "upstream_422", false)]
    public async Task SendAsync_ClassifiesEachStatusOnce(int status, FailureKind kind, int clientStatus, string code, bool mayFallBack)
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(status, """{"error":{"message":"upstream says no","type":"x"}}"""));
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        var failure = result.Failure!;
        Assert.Equal((kind, clientStatus, code, mayFallBack, status), (failure.Kind, failure.Status, failure.Code, failure.MayFallBack, failure.UpstreamStatus));
    }

    [Fact]
    public async Task SendAsync_Rejected_NeverEchoesTheUpstreamMessage()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(401, """{"error":{"message":"Incorrect API key provided: sk-abc***xyz"}}"""));
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal("Deployment 'd' failed with HTTP 401", result.Failure!.Message);
        Assert.Null(result.Failure.Body);
    }

    [Fact]
    public async Task SendAsync_ClientError_RelaysAnOpenAiBody_ButNotAnotherShape()
    {
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0
            ? FakeUpstream.Json(400, """{"error":{"message":"bad temperature","param":"temperature"}}""")
            : FakeUpstream.Json(400, """{"detail":"bad temperature"}"""));
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using (var first = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct))
        {
            Assert.Equal("""{"error":{"message":"bad temperature","param":"temperature"}}""", Encoding.UTF8.GetString(first.Failure!.Body!));
            Assert.Equal("bad temperature", first.Failure.Message);
        }

        using var second = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.Null(second.Failure!.Body);
        Assert.Equal("Deployment 'd' refused the request (HTTP 400).", second.Failure.Message);
    }

    [Fact]
    public async Task SendAsync_ContextLength_IsItsOwnKind()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(400, """{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"""));
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((FailureKind.ContextLength, 400, "context_length_exceeded", true), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.MayFallBack));
    }

    [Fact]
    public async Task SendAsync_RateLimit_CarriesRetryAfterAndRelayedHeaders()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(429, """{"error":{"message":"slow down"}}""", ("Retry-After", "9"), ("x-ratelimit-remaining-requests", "0"), ("set-cookie", "a=b")));
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal(TimeSpan.FromSeconds(9), result.Failure!.RetryAfter);
        Assert.Equal([new("Retry-After", "9"), new("x-ratelimit-remaining-requests", "0")], result.Failure.Headers.OrderBy(h => h.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Breaker_OpensOnServerErrors_NotOnRateLimits()
    {
        const string resilience = "{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 4, window: 30s, break_for: 30s } }";
        var limited = new FakeUpstream();
        limited.Script("p", _ => FakeUpstream.Json(429, """{"error":{"message":"slow"}}"""));
        var a = limited.Build(Config(resilience)).Deployments["d"];
        var failing = new FakeUpstream();
        failing.Script("p", _ => FakeUpstream.Json(503, """{"error":{"message":"down"}}"""));
        var b = failing.Build(Config(resilience)).Deployments["d"];

        for (var i = 0; i < 6; i++)
        {
            (await a.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
            (await b.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        }

        Assert.Equal(CircuitState.Closed, a.Resilience.BreakerState);
        Assert.Equal(6, limited.Calls("p"));
        Assert.Equal(CircuitState.Open, b.Resilience.BreakerState);
        Assert.Equal(4, failing.Calls("p"));
        using var refused = await b.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.Equal((FailureKind.BreakerOpen, 503, "breaker_open"), (refused.Failure!.Kind, refused.Failure.Status, refused.Failure.Code));
        Assert.NotNull(refused.Failure.RetryAfter);
        Assert.True(refused.Failure.RetryAfter <= TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task SendAsync_ConnectFailure_EjectsTheReplica_AndTheNextTryUsesTheOther()
    {
        var fake = new FakeUpstream();
        var hosts = new List<string>();
        fake.Script("p", (message, _) =>
        {
            hosts.Add(message.RequestUri!.Host);
            return message.RequestUri!.Host == "a.invalid"
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "refused"))
                : Task.FromResult(FakeUpstream.Ok());
        });
        var deployment = fake.Build(Config(endpoints: "endpoints: [\"http://a.invalid/v1\", \"http://b.invalid/v1\"]")).Deployments["d"];

        // Whichever replica comes first, the request is served by b, and a is out of rotation after its failure.
        for (var i = 0; i < 4; i++)
        {
            using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
            Assert.True(result.IsSuccess);
        }

        Assert.True(hosts.Count(h => h == "a.invalid") <= 1, string.Join(",", hosts));
        Assert.NotNull(deployment.Provider.Endpoints.Single(e => e.BaseUrl == "http://a.invalid/v1").EjectedUntil);
    }

    [Fact]
    public async Task SendAsync_NoHeadersWithinFirstByte_IsATimeout()
    {
        var fake = new FakeUpstream();
        fake.Script("p", async (_, _) =>
        {
            await Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
            return FakeUpstream.Ok();
        });
        var deployment = fake.Build(Config("{ retries: 0 }")).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((FailureKind.Timeout, 504, "upstream_timeout"), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code));
    }

    [Fact]
    public async Task SendAsync_NonStreamedBodyBreaksMidway_IsATransientFailureThatIsRetried()
    {
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0
            ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new BreakingStream("{\"id\":\"c1\",\"choi"u8.ToArray())) }
            : FakeUpstream.Ok("second"));
        var deployment = fake.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.True(result.IsSuccess);
        Assert.Contains("second", Encoding.UTF8.GetString(result.Buffered.Span), StringComparison.Ordinal);
        Assert.Equal(["interrupted", null], request.Trace.Attempts.Select(a => a.Error));
    }

    [Fact]
    public async Task CompleteAsync_StreamedAnswer_IsReadIntoFacts()
    {
        var fake = new FakeUpstream();
        const string sse = "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
            + "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n";
        fake.Script("p", _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(sse, Encoding.UTF8, "text/event-stream") });
        var deployment = fake.Build(Config()).Deployments["d"];

        var reply = await deployment.Invoker.CompleteAsync(FakeUpstream.Chat(stream: true), Ct);

        Assert.True(reply.IsSuccess);
        Assert.Equal("Hello", reply.Content);
        Assert.Equal("stop", reply.Facts.FinishReason);
        Assert.Equal((5, 2), (reply.Facts.Usage!.Value.PromptTokens, reply.Facts.Usage.Value.CompletionTokens));
    }

    [Fact]
    public async Task SendAsync_ProviderAtItsLimitWithNoQueue_IsCapacity()
    {
        var fake = new FakeUpstream();
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        fake.Script("p", async (_, _) =>
        {
            entered.TrySetResult();
            await release.Task;
            return FakeUpstream.Ok();
        });
        var config = Config("{ retries: 0 }").Replace("    timeouts:", "    max_concurrency: 1\n    max_queue: 0\n    timeouts:", StringComparison.Ordinal).Replace("first_byte: 300ms", "first_byte: 5s", StringComparison.Ordinal);
        var deployment = fake.Build(config).Deployments["d"];

        var first = deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct).AsTask();
        await entered.Task.WaitAsync(Ct);

        using var second = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        release.SetResult();
        using var firstResult = await first;

        Assert.Equal((FailureKind.Capacity, 503, "deployment_at_capacity"), (second.Failure!.Kind, second.Failure.Status, second.Failure.Code));
        Assert.Equal(TimeSpan.FromSeconds(1), second.Failure.RetryAfter);
        Assert.True(firstResult.IsSuccess);
    }
}
