using System.Buffers;
using Polly.CircuitBreaker;
using Tandem.Providers;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;
using Xunit;

namespace Tandem.Core.Tests.Upstream;

/// <summary>What an adapter says an error means changes what the seam does, whatever the HTTP status.</summary>
public sealed class ProviderErrorKindTests
{
    private const string Config = """
        auth: { disabled: true }
        providers:
          - { name: p, type: says, base_url: "http://a.invalid/v1" }
        deployments:
          - name: d
            provider: p
            model: m
            resilience: { retries: 1, retry_backoff: 1ms, max_retry_after: 2s, breaker: { failure_ratio: 0.5, min_throughput: 4, window: 30s, break_for: 30s } }
        routes:
          - { name: r, deployment: d }
        """;

    [Theory]
    [InlineData(ProviderErrorKind.RateLimited, FailureKind.RateLimited, 429, "rate_limit_exceeded", true, false)]
    [InlineData(ProviderErrorKind.Overloaded, FailureKind.ServerError, 502, "upstream_error", true, true)]
    [InlineData(ProviderErrorKind.Rejected, FailureKind.Rejected, 502, "upstream_rejected", false, false)]
    [InlineData(ProviderErrorKind.ContextLength, FailureKind.ContextLength, 400, "context_length_exceeded", false, false)]
    [InlineData(ProviderErrorKind.Unspecified, FailureKind.ClientError, 400, "upstream_400", false, false)]
    public async Task A400_MeansWhatTheAdapterSays(ProviderErrorKind said, FailureKind kind, int status, string code, bool retried, bool opensBreaker)
    {
        var fake = new FakeUpstream();
        fake.Script("p", _ => FakeUpstream.Json(400, """{"message":"no"}"""));
        var adapters = ProviderAdapters.BuiltIn.With("says", _ => new SaysAdapter(said));
        var deployment = fake.Build(Config, adapters).Deployments["d"];

        for (var i = 0; i < 2; i++)
        {
            using var result = await deployment.Invoker.SendAsync(FakeUpstream.Chat(), Ct);
            Assert.Equal((kind, status, code, 400), (result.Failure!.Kind, result.Failure.Status, result.Failure.Code, result.Failure.UpstreamStatus));
        }

        // Two requests: with one retry each when the kind is transient.
        Assert.Equal(retried ? 4 : 2, fake.Calls("p"));
        Assert.Equal(opensBreaker ? CircuitState.Open : CircuitState.Closed, deployment.Resilience.BreakerState);
    }

    /// <summary>OpenAI's wire, and a fixed reading of every error.</summary>
    private sealed class SaysAdapter(ProviderErrorKind kind) : IProviderAdapter
    {
        private readonly IProviderAdapter _openAi = ProviderAdapters.BuiltIn.Create(new ProviderAdapterContext(new Tandem.Configuration.ProviderConfig { Name = "x" }, null));

        public bool Supports(ApiOperation operation) => true;

        public bool TryWriteBody(UpstreamRequest request, DeploymentRuntime deployment, IBufferWriter<byte> output, out RequestProblem problem) =>
            _openAi.TryWriteBody(request, deployment, output, out problem);

        public ValueTask<HttpRequestMessage> CreateMessageAsync(UpstreamRequest request, DeploymentRuntime deployment, UpstreamEndpoint endpoint, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            _openAi.CreateMessageAsync(request, deployment, endpoint, body, cancellationToken);

        public OpenAiContent ReadContent(HttpResponseMessage response, Stream body, UpstreamRequest request, DeploymentRuntime deployment) =>
            _openAi.ReadContent(response, body, request, deployment);

        public ProviderError ReadError(int status, ReadOnlySpan<byte> body) => new("no", kind);

        public HttpRequestMessage CreateHealthCheck(UpstreamEndpoint endpoint, string path) => _openAi.CreateHealthCheck(endpoint, path);
    }
}
