using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Tandem.Configuration;
using Tandem.Runtime;
using Tandem.Telemetry;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// The upstream seam's bookkeeping, visible from outside: what each try leaves in the request's trace, that every
/// failed try gives back its concurrency slot and replica, the headers sent, how a connection failure is named, the
/// total timeout across retries, what a whole answer read by CompleteAsync says, and the activity of a try.
/// </summary>
public sealed class UpstreamSeamTests
{
    private static string Config(string resilience = "{ retries: 0 }", string provider = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            base_url: "http://seam.invalid/v1"
            timeouts: { connect: 1s, first_byte: 2s, total: 10s, idle: 2s }
            {{provider}}
        deployments:
          - { name: d, provider: p, model: m, resilience: {{resilience}} }
        """;

    private static (FakeUpstream Fake, DeploymentRuntime Deployment) Build(Func<int, HttpResponseMessage> script, string resilience = "{ retries: 0 }", string provider = "")
    {
        var fake = new FakeUpstream();
        fake.Script("p", script);
        return (fake, fake.Build(Config(resilience, provider)).Deployments["d"]);
    }

    private static HttpResponseMessage WithStatus(HttpResponseMessage response, int status)
    {
        response.StatusCode = (HttpStatusCode)status;
        return response;
    }

    private static (string? Error, int Status)[] Tries(UpstreamRequest request) => [.. request.Trace.Attempts.Select(a => (a.Error, a.Status))];

    [Fact]
    public async Task FailedTries_GiveBackTheirSlotAndReplica_SoTheNextRequestIsServed()
    {
        // One slot, no queue: a failure that kept its slot would make the next request "at capacity".
        var (fake, deployment) = Build(i => i < 3 ? FakeUpstream.Json(503, """{"error":{"message":"down"}}""") : FakeUpstream.Ok(),
            "{ retries: 1, retry_backoff: 1ms }", "max_concurrency: 1\n    max_queue: 0");

        using (var failed = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct))
        {
            Assert.Equal(FailureKind.ServerError, failed.Failure!.Kind);
        }

        using var retriedThenServed = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.True(retriedThenServed.IsSuccess);
        Assert.Equal(4, fake.Calls("p"));
        Assert.Equal(1, deployment.Provider.Endpoints[0].Outstanding); // only the answer being read holds the replica
        retriedThenServed.Dispose();
        Assert.Equal(0, deployment.Provider.Endpoints[0].Outstanding);
    }

    [Fact]
    public async Task AtCapacity_IsTracedAsCapacity_AndGivesNothingBack()
    {
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        var fake = new FakeUpstream();
        fake.Script("p", async (_, _) =>
        {
            entered.TrySetResult();
            await release.Task;
            return FakeUpstream.Ok();
        });
        var deployment = fake.Build(Config(provider: "max_concurrency: 1\n    max_queue: 0")).Deployments["d"];
        var first = deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct).AsTask();
        await entered.Task.WaitAsync(Ct);

        var refusedRequest = FakeUpstream.Chat();
        using (var refused = await deployment.Invoker.SendAsync(refusedRequest, Ct))
        {
            Assert.Equal("Deployment 'd' is at its concurrency limit; retry shortly.", refused.Failure!.Message);
        }

        release.SetResult();
        (await first).Dispose();
        Assert.Equal([("capacity", 0)], Tries(refusedRequest));
        using var after = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.True(after.IsSuccess); // the refusal held no slot
    }

    [Fact]
    public async Task BreakerIsolated_IsTracedAsBreakerOpen_WithItsMessage()
    {
        var (fake, deployment) = Build(_ => FakeUpstream.Ok());
        await deployment.Resilience.IsolateAsync();
        var request = FakeUpstream.Chat();

        using var refused = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal("Deployment 'd' is unavailable (circuit open).", refused.Failure!.Message);
        Assert.Equal([("breaker_open", 0)], Tries(request));
        Assert.Equal(0, fake.Calls("p"));
    }

    [Fact]
    public async Task BreakerOpen_IsTracedAsBreakerOpen_WithoutACall()
    {
        var (fake, deployment) = Build(_ => FakeUpstream.Json(500, """{"error":{"message":"down"}}"""),
            "{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 2, window: 60s, break_for: 60s } }");
        for (var i = 0; i < 2; i++)
        {
            (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        }

        var request = FakeUpstream.Chat();
        using var refused = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal([("breaker_open", 0)], Tries(request));
        Assert.Equal(2, fake.Calls("p"));
        Assert.Equal(0, deployment.Provider.Endpoints[0].Outstanding);
    }

    [Fact]
    public async Task Headers_AcceptFollowsTheStreamFlag_ShadowCallsAreMarked_RequestIdIsSent()
    {
        var sent = new ConcurrentQueue<(string Accept, bool Shadow, string? Id)>();
        var fake = new FakeUpstream();
        fake.Script("p", (message, _) =>
        {
            sent.Enqueue((string.Join(",", message.Headers.Accept), message.Headers.Contains("x-tandem-shadow") && message.Headers.GetValues("x-tandem-shadow").Single() == "1",
                message.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null));
            return Task.FromResult(FakeUpstream.Ok());
        });
        var deployment = fake.Build(Config()).Deployments["d"];
        var body = Encoding.UTF8.GetBytes("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");

        (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        (await deployment.Invoker.SendAsync(FakeUpstream.Chat(stream: true), Ct)).Dispose();
        (await deployment.Invoker.SendAsync(UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, UpstreamPurpose.Shadow), Ct)).Dispose();

        Assert.Equal([("application/json", false, "req-1"), ("text/event-stream", false, "req-1"), ("application/json", true, null)], sent);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, "connect", true)]
    [InlineData(HttpRequestError.NameResolutionError, "dns", true)]
    [InlineData(HttpRequestError.SecureConnectionError, "tls", false)]
    [InlineData(HttpRequestError.Unknown, "connection_reset", false)]
    public async Task ConnectionFailures_AreNamed_AndOnlyUnreachableReplicasSitOut(HttpRequestError error, string label, bool ejected)
    {
        var fake = new FakeUpstream();
        fake.Script("p", (_, _) => Task.FromException<HttpResponseMessage>(new HttpRequestException(error, "no")));
        var two = fake.Build(Config(provider: "endpoints: [\"http://a.invalid/v1\", \"http://b.invalid/v1\"]")).Deployments["d"];
        var one = new FakeUpstream();
        one.Script("p", (_, _) => Task.FromException<HttpResponseMessage>(new HttpRequestException(error, "no")));
        var single = one.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var failed = await two.Invoker.SendAsync(request, Ct);
        using var alone = await single.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal([(label, 0)], Tries(request));
        Assert.Equal((FailureKind.Connect, 502, "upstream_unreachable"), (failed.Failure!.Kind, failed.Failure.Status, failed.Failure.Code));
        Assert.Equal($"Deployment 'd' could not be reached ({label}).", failed.Failure.Message);
        Assert.Equal(ejected ? 1 : 0, two.Provider.Endpoints.Count(e => e.EjectedUntil is not null));
        Assert.Null(single.Provider.Endpoints[0].EjectedUntil); // a lone replica is never taken out of rotation
    }

    [Fact]
    public async Task ConnectionBrokenBeforeAResponse_IsConnectionReset()
    {
        var fake = new FakeUpstream();
        fake.Script("p", (_, _) => Task.FromException<HttpResponseMessage>(new IOException("reset")));
        var deployment = fake.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var failed = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal([("connection_reset", 0)], Tries(request));
        Assert.Equal("upstream_unreachable", failed.Failure!.Code);
    }

    [Theory]
    [InlineData(299, null)]
    [InlineData(300, "http_300")]
    [InlineData(199, "http_199")]
    public async Task Trace_LabelsEveryStatusOutsideTwoHundreds(int status, string? label)
    {
        var (_, deployment) = Build(_ => status == 299 ? WithStatus(FakeUpstream.Ok(), 299) : FakeUpstream.Json(status, """{"error":{"message":"odd"}}"""));
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal([(label, status)], Tries(request));
        Assert.Equal(label is null, result.IsSuccess);
    }

    [Fact]
    public async Task Trace_WaitIsPositive_AndWithinTheCall()
    {
        var (_, deployment) = Build(_ => FakeUpstream.Ok());
        var request = FakeUpstream.Chat();
        var before = Stopwatch.GetTimestamp();

        using (var result = await deployment.Invoker.SendAsync(request, Ct))
        {
            Assert.True(result.IsSuccess);
        }

        var elapsed = Stopwatch.GetTimestamp() - before;
        Assert.InRange(request.Trace.WaitTicks, 1, elapsed);
        Assert.InRange(request.Trace.FirstSend, before, before + elapsed);
    }

    [Fact]
    public async Task TotalTimeout_SpentBeforeTheRetry_LeavesItNoTime()
    {
        // total 300 ms; the first try's 503 asks to wait 400 ms, which the retry does: by then the request's total is
        // spent, so the retry times out without a call (the total bounds every try of the request together).
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(503, """{"error":{"message":"busy"}}""", ("retry-after-ms", "400")));
        var deployment = fake.Build(Config("{ retries: 1, retry_backoff: 1ms, max_retry_after: 2s }").Replace("first_byte: 2s, total: 10s", "first_byte: 300ms, total: 300ms", StringComparison.Ordinal)).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.Equal((FailureKind.Timeout, "Deployment 'd' did not answer within its timeouts (first byte 0.3 s, total 0.3 s)."), (result.Failure!.Kind, result.Failure.Message));
        Assert.Equal([("http_503", 503)], Tries(request)); // the retry that had no time made no call: no attempt
        Assert.Equal(1, fake.Calls("p"));
    }

    [Fact]
    public async Task Failure_IsLogged_WithTheRequestId_OrADash()
    {
        var logs = new ListLoggerFactory();
        var deployment = GatewaySnapshot.Build(ConfigLoader.Parse(Config()), null, new RuntimeServices
        {
            HttpHandler = _ => new ScriptHandler(_ => FakeUpstream.Json(503, """{"error":{"message":"down"}}""")),
            Logging = logs,
        }).Deployments["d"];
        var body = Encoding.UTF8.GetBytes("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");

        (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        (await deployment.Invoker.SendAsync(UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, UpstreamPurpose.Judge), Ct)).Dispose();

        Assert.Equal(["Request req-1: deployment d failed: 503", "Request -: deployment d failed: 503"], logs.Messages);
    }

    [Fact]
    public async Task Activity_TagsTheTry()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == TandemTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var (_, deployment) = Build(i => i == 0 ? FakeUpstream.Json(503, """{"error":{"message":"down"}}""") : FakeUpstream.Ok(), "{ retries: 1, retry_backoff: 1ms }");
        var body = Encoding.UTF8.GetBytes("""{"model":"r","messages":[{"role":"user","content":"hi"}]}""");

        (await deployment.Invoker.SendAsync(UpstreamRequest.Parse(ApiOperation.ChatCompletions, body, UpstreamPurpose.Shadow, "traced-1"), Ct)).Dispose();

        var tries = stopped.Where(a => a.OperationName == "upstream attempt" && (string?)a.GetTagItem("server.address") == "http://seam.invalid/v1").ToList();
        Assert.Equal(2, tries.Count);
        Assert.All(tries, a => Assert.Equal(("d", "p", "shadow", ActivityKind.Client), ((string?)a.GetTagItem("tandem.deployment"), (string?)a.GetTagItem("tandem.provider"), (string?)a.GetTagItem("tandem.purpose"), a.Kind)));
        Assert.Equal([503, 200], tries.Select(a => (int)a.GetTagItem("http.response.status_code")!));
        Assert.Equal(("http_503", ActivityStatusCode.Error, "http_503"), ((string?)tries[0].GetTagItem("error.type"), tries[0].Status, tries[0].StatusDescription));
        Assert.Equal(((string?)null, ActivityStatusCode.Unset), ((string?)tries[1].GetTagItem("error.type"), tries[1].Status));
    }

    [Fact]
    public async Task Complete_StreamBrokenMidway_IsAnInterruptedFailure()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new BreakingStream("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"u8.ToArray()))
            {
                Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream") },
            },
        });
        var deployment = fake.Build(Config()).Deployments["d"];

        var reply = await deployment.Invoker.CompleteAsync(FakeUpstream.Chat(stream: true), Ct);

        Assert.Equal((FailureKind.Connect, 502, "upstream_interrupted", 200), (reply.Failure!.Kind, reply.Failure.Status, reply.Failure.Code, reply.Status));
        Assert.Equal("Deployment 'd' broke off its answer (broken).", reply.Failure.Message);
        Assert.Equal("upstream_interrupted: Deployment 'd' broke off its answer (broken).", reply.Error);
        Assert.False(reply.IsSuccess);
        Assert.True(reply.IsTransient);
    }

    [Fact]
    public async Task Complete_StreamSilentMidway_IsATimeoutFailure()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StreamContent(new StallingStream("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"u8.ToArray()))
            {
                Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/event-stream") },
            },
        });
        var deployment = fake.Build(Config().Replace("idle: 2s", "idle: 200ms", StringComparison.Ordinal)).Deployments["d"];

        var reply = await deployment.Invoker.CompleteAsync(FakeUpstream.Chat(stream: true), Ct);

        Assert.Equal((FailureKind.Timeout, 504, "upstream_timeout"), (reply.Failure!.Kind, reply.Failure.Status, reply.Failure.Code));
        Assert.Equal("Deployment 'd' broke off its answer (idle).", reply.Failure.Message);
    }

    [Fact]
    public async Task Complete_LastEventWithoutItsBlankLine_IsStillRead()
    {
        var fake = new FakeUpstream();
        const string sse = "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}";
        fake.Script("p", _ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(sse, Encoding.UTF8, "text/event-stream") });
        var deployment = fake.Build(Config()).Deployments["d"];

        var reply = await deployment.Invoker.CompleteAsync(FakeUpstream.Chat(stream: true), Ct);

        Assert.Equal(("Hi", "length", (string?)null), (reply.Content, reply.Facts.FinishReason, reply.Error));
        Assert.Equal(sse, Encoding.UTF8.GetString(reply.Body));
    }

    [Fact]
    public async Task Complete_ErrorObjectInA200_IsNoSuccess_AndNotTransient()
    {
        var (_, deployment) = Build(_ => FakeUpstream.Json(200, """{"error":{"message":"model overloaded"}}"""));

        var reply = await deployment.Invoker.CompleteAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal((false, false, "error object in the answer", "", 200), (reply.IsSuccess, reply.IsTransient, reply.Error, reply.Content, reply.Status));
    }

    [Theory]
    [InlineData(FailureKind.Capacity, true)]
    [InlineData(FailureKind.BreakerOpen, true)]
    [InlineData(FailureKind.Connect, true)]
    [InlineData(FailureKind.Timeout, true)]
    [InlineData(FailureKind.RateLimited, true)]
    [InlineData(FailureKind.ServerError, true)]
    [InlineData(FailureKind.Rejected, false)]
    [InlineData(FailureKind.ContextLength, false)]
    [InlineData(FailureKind.ClientError, false)]
    [InlineData(FailureKind.Untranslatable, false)]
    public void Reply_IsTransient_ByFailureKind(FailureKind kind, bool transient) =>
        Assert.Equal(transient, new UpstreamReply { Failure = new UpstreamFailure("d", kind, 502, "c", "m") }.IsTransient);

    [Fact]
    public void Reply_Success_HasNoErrorAndNoTransience()
    {
        var reply = new UpstreamReply { Status = 200 };

        Assert.Equal(((string?)null, false, true, ""), (reply.Error, reply.IsTransient, reply.IsSuccess, reply.Content));
    }

    [Theory]
    [InlineData(503, "{\"error\":{\"message\":\"busy now\"}}", "Deployment 'd' failed with HTTP 503: busy now")]
    [InlineData(503, "{\"detail\":\"busy\"}", "Deployment 'd' failed with HTTP 503")]
    [InlineData(408, "{}", "Deployment 'd' timed out (HTTP 408).")]
    [InlineData(429, "{}", "Deployment 'd' is rate limited; retry later.")]
    [InlineData(400, "{\"error\":{\"code\":\"context_length_exceeded\"}}", "The prompt is too long for the deployment's context window.")]
    public async Task FailureMessages_ByStatus(int status, string body, string message)
    {
        var (_, deployment) = Build(_ => FakeUpstream.Json(status, body));

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal(message, result.Failure!.Message);
    }

    [Fact]
    public async Task TimeoutMessage_ShowsSecondsToThreeDecimals()
    {
        var fake = new FakeUpstream();
        fake.Script("p", async (_, _) =>
        {
            await Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken);
            return FakeUpstream.Ok();
        });
        var deployment = fake.Build(Config().Replace("first_byte: 2s, total: 10s", "first_byte: 250.125ms, total: 10s", StringComparison.Ordinal)).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        Assert.Equal("Deployment 'd' did not answer within its timeouts (first byte 0.25 s, total 10 s).", result.Failure!.Message);
    }

    /// <summary>A body that yields some bytes and then never another, like an upstream gone silent.</summary>
    private sealed class StallingStream(byte[] start) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= start.Length)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            var n = Math.Min(buffer.Length, start.Length - _position);
            start.AsMemory(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class ScriptHandler(Func<HttpRequestMessage, HttpResponseMessage> script) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(script(request));
    }

    private sealed class ListLoggerFactory : ILoggerFactory, ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == EventIds.UpstreamFailed)
            {
                lock (_messages)
                {
                    _messages.Add(formatter(state, exception));
                }
            }
        }

        public void Dispose()
        {
        }
    }
}
