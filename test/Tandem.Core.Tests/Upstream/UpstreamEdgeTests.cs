using System.Buffers;
using System.Text;
using Polly.CircuitBreaker;
using Tandem.Providers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>
/// Seam decisions the mutation run found unpinned: which statuses are answers (every 2xx, nothing else), an adapter
/// that cannot authenticate (a failure named for it, retried, never against the breaker), one that cannot express a
/// request or an endpoint, an answer broken before it started, a breaker refusal that gives its slot back, a client
/// that leaves while the answer is read, the error type of each status, and a Retry-After written as an ISO date.
/// </summary>
public sealed class UpstreamEdgeTests
{
    private static string Config(string type = "", string resilience = "{ retries: 0 }", string provider = "") => $$"""
        auth: { disabled: true }
        providers:
          - name: p
            {{type}}
            base_url: "http://edge.invalid/v1"
            timeouts: { connect: 1s, first_byte: 5s, total: 20s, idle: 5s }
            {{provider}}
        deployments:
          - { name: d, provider: p, model: m, resilience: {{resilience}} }
        """;

    private static (string? Error, int Status)[] Tries(UpstreamRequest request) => [.. request.Trace.Attempts.Select(a => (a.Error, a.Status))];

    [Fact]
    public async Task A201_IsAnAnswer_ReadLikeA200()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ =>
        {
            var ok = FakeUpstream.Ok("created");
            ok.StatusCode = System.Net.HttpStatusCode.Created;
            return ok;
        });
        var deployment = fake.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        Assert.True(result.IsSuccess);
        Assert.Contains("\"content\":\"created\"", Encoding.UTF8.GetString(result.Buffered.Span), StringComparison.Ordinal);
        Assert.Equal([(null, 201)], Tries(request));
    }

    [Fact]
    public async Task A300_IsNoAnswer_ItsOpenAiErrorIsRelayedAsTheRequestsOwn()
    {
        const string body = """{"error":{"message":"moved elsewhere","type":"invalid_request_error"}}""";
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(300, body));
        var deployment = fake.Build(Config()).Deployments["d"];

        using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        var failure = result.Failure!;
        Assert.Equal((FailureKind.ClientError, 300, "upstream_300", "moved elsewhere"), (failure.Kind, failure.Status, failure.Code, failure.Message));
        Assert.Equal(body, Encoding.UTF8.GetString(failure.Body!));
    }

    [Fact]
    public async Task AdapterWithoutCredentials_FailsNamedForIt_IsRetried_AndNeverOpensTheBreaker()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Ok());
        var adapters = ProviderAdapters.BuiltIn.With("edge", _ => new EdgeAdapter { CreateFails = new InvalidOperationException("no token file") });
        var deployment = fake.Build(Config("type: edge", "{ retries: 1, retry_backoff: 1ms, breaker: { failure_ratio: 0.5, min_throughput: 2, window: 60s, break_for: 60s } }"), adapters)
            .Deployments["d"];

        UpstreamRequest? last = null;
        for (var i = 0; i < 3; i++)
        {
            last = FakeUpstream.Chat();
            using var result = await deployment.Invoker.SendAsync(last, Ct);
            var failure = result.Failure!;
            Assert.Equal((FailureKind.Rejected, 502, "upstream_credentials"), (failure.Kind, failure.Status, failure.Code));
            Assert.Equal("Deployment 'd' could not authenticate its request: no token file", failure.Message);
        }

        // Each request tried twice (one retry), nothing sent; six credential failures leave the breaker closed.
        Assert.Equal([("credentials", 0), ("credentials", 0)], Tries(last!));
        Assert.Equal(0, fake.Calls("p"));
        Assert.Equal(CircuitState.Closed, deployment.Resilience.BreakerState);
    }

    [Fact]
    public async Task AdapterThatCannotExpressTheEndpointOrTheRequest_RefusesBeforeAnyCall()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Ok());
        var refusing = ProviderAdapters.BuiltIn.With("edge", _ => new EdgeAdapter { Refuses = new RequestProblem("cannot say that", "messages[0].content", null) });
        var deployment = fake.Build(Config("type: edge"), refusing).Deployments["d"];
        var embeddings = UpstreamRequest.Parse(ApiOperation.Embeddings, Encoding.UTF8.GetBytes("""{"model":"r","input":"hi"}"""), UpstreamPurpose.Client);

        using var endpoint = await deployment.Invoker.SendAsync(embeddings, Ct);
        using var body = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);

        var e = endpoint.Failure!;
        Assert.Equal((FailureKind.Untranslatable, 400, "unsupported_operation"), (e.Kind, e.Status, e.Code));
        Assert.Equal("Deployment 'd' (provider type 'edge') does not support this endpoint.", e.Message);
        // A problem without a code of its own is an unsupported field.
        var b = body.Failure!;
        Assert.Equal((FailureKind.Untranslatable, 400, "unsupported_field", "cannot say that", "messages[0].content"), (b.Kind, b.Status, b.Code, b.Message, b.Param));
        Assert.False(b.MayFallBack);
        Assert.Equal(0, fake.Calls("p"));
    }

    [Fact]
    public async Task AnswerBrokenBeforeItStarted_IsInterrupted()
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StreamContent(new BreakingStream(Encoding.UTF8.GetBytes("{\"id\":\"c1\",\"choi"))),
        });
        var deployment = fake.Build(Config()).Deployments["d"];
        var request = FakeUpstream.Chat();

        using var result = await deployment.Invoker.SendAsync(request, Ct);

        var failure = result.Failure!;
        Assert.Equal((FailureKind.Connect, 502, "upstream_interrupted"), (failure.Kind, failure.Status, failure.Code));
        Assert.Equal("Deployment 'd' broke off its answer before it started.", failure.Message);
        Assert.Equal([("interrupted", 200)], Tries(request));
    }

    [Fact]
    public async Task OpenBreaker_RefusesWithoutKeepingItsSlot()
    {
        // One slot, no queue: a refusal that kept the slot would make the next request "at capacity" instead.
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(500, """{"error":{"message":"down"}}"""));
        var deployment = fake.Build(Config(resilience: "{ retries: 0, breaker: { failure_ratio: 0.5, min_throughput: 2, window: 60s, break_for: 60s } }",
            provider: "max_concurrency: 1\n    max_queue: 0")).Deployments["d"];
        for (var i = 0; i < 2; i++)
        {
            (await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct)).Dispose();
        }

        for (var i = 0; i < 2; i++)
        {
            using var refused = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
            Assert.Equal("breaker_open", refused.Failure!.Code);
        }

        Assert.Equal(2, fake.Calls("p"));
    }

    [Fact]
    public async Task ClientLeavingWhileTheAnswerIsRead_Throws_IsTracedAsClientClosed_AndGivesTheSlotBack()
    {
        var entered = new TaskCompletionSource();
        var fake = new FakeUpstream();
        fake.Script("p", i => i == 0
            ? new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(new StallingStream(entered)) }
            : FakeUpstream.Ok());
        var deployment = fake.Build(Config(provider: "max_concurrency: 1\n    max_queue: 0")).Deployments["d"];
        var request = FakeUpstream.Chat();
        using var client = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var send = deployment.Invoker.SendAsync(request, client.Token).AsTask();
        await entered.Task.WaitAsync(Ct);
        await client.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        Assert.Equal([("client_closed", 200)], Tries(request));
        Assert.True(request.Trace.WaitTicks > 0);
        Assert.Equal(0, deployment.Provider.Endpoints[0].Outstanding);
        using var next = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
        Assert.True(next.IsSuccess); // the slot was given back
    }

    [Theory]
    [InlineData(400, ErrorTypes.InvalidRequest)]
    [InlineData(499, ErrorTypes.InvalidRequest)]
    [InlineData(429, ErrorTypes.RateLimit)]
    [InlineData(500, ErrorTypes.Upstream)]
    [InlineData(502, ErrorTypes.Upstream)]
    [InlineData(504, ErrorTypes.Timeout)]
    [InlineData(399, ErrorTypes.Upstream)]
    public void ErrorType_FollowsTheStatusTandemAnswers(int status, string type) =>
        Assert.Equal(type, new UpstreamFailure("d", FailureKind.ClientError, status, "c", "m").ErrorType);

    [Fact]
    public void RetryAfter_AnIsoDate_IsReadAsTheWaitUntilThen()
    {
        // Not the RFC 9110 form ("r"), but a date the general parser reads: 07:00:30 is 30 s after 07:00:00.
        var now = new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfter.Parse("2026-12-02T07:00:30Z", now));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfter.Parse("Wed, 02 Dec 2026 07:00:30 GMT", now));
    }

    /// <summary>OpenAI's wire, with what it can express and whether it can sign chosen by the test.</summary>
    private sealed class EdgeAdapter : IProviderAdapter
    {
        private readonly IProviderAdapter _openAi = ProviderAdapters.BuiltIn.Create(new ProviderAdapterContext(new Tandem.Configuration.ProviderConfig { Name = "x" }, null));

        public Exception? CreateFails { get; init; }

        public RequestProblem? Refuses { get; init; }

        public bool Supports(ApiOperation operation) => operation == ApiOperation.ChatCompletions;

        public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem)
        {
            if (Refuses is { } refused)
            {
                problem = refused;
                return false;
            }

            return _openAi.TryWriteBody(request, deployment, output, out problem);
        }

        public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            CreateFails is { } e ? throw e : _openAi.CreateMessageAsync(request, deployment, endpoint, body, cancellationToken);

        public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment) =>
            _openAi.ReadContent(response, body, request, deployment);

        public ProviderError ReadError(int status, ReadOnlySpan<byte> body) => _openAi.ReadError(status, body);

        public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) => _openAi.CreateHealthCheck(endpoint, path);
    }

    /// <summary>A body that never yields a byte: it signals that it is being read and waits for cancellation.</summary>
    private sealed class StallingStream(TaskCompletionSource entered) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
