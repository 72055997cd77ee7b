using System.Net;
using BenchmarkDotNet.Attributes;
using Tandem.Configuration;
using Tandem.Routing;
using Tandem.Runtime;
using Tandem.Upstream;
using Tandem.Wire;

namespace Tandem.Benchmarks;

/// <summary>
/// The gateway's upstream seam per request, without sockets: <see cref="FallbackChain.ServeAsync(RoutePlan, UpstreamRequest, Microsoft.Extensions.Logging.ILogger, CancellationToken)"/>
/// through the deployment's <see cref="DeploymentInvoker"/> (limiter, Polly pipeline, adapter, classification) to an
/// in-memory handler that returns a canned 2xx answer. Guards the cost the in-process client's generalisation of the
/// seam (issue 17) could add to the gateway's path: run before and after a change to Core/Upstream or FallbackChain.
/// </summary>
[MemoryDiagnoser]
public class SeamBenchmarks
{
    private const string Yaml = """
        auth: { disabled: true }
        providers:
          - { name: p, base_url: "http://upstream.invalid/v1" }
        deployments:
          - { name: d, provider: p, model: m-upstream }
        routes:
          - { name: r, deployment: d }
        """;

    private static readonly byte[] Answer = System.Text.Encoding.UTF8.GetBytes(
        """{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");

    private GatewaySnapshot _snapshot = null!;
    private RoutePlan _plan = null!;
    private ApiRequest _api = null!;
    private byte[] _body = [];

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml), null, new RuntimeServices { HttpHandler = _ => new CannedHandler() });
        _plan = _snapshot.Routes["r"].Policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""));
        _body = Samples.SmallChat;
        _api = ApiRequest.Parse(_body, ApiOperation.ChatCompletions, out _)!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var p in _snapshot.Providers.Values)
        {
            p.Dispose();
        }
    }

    /// <summary>One client request served by the first deployment of its plan (answer read whole, then released).</summary>
    [Benchmark]
    public async Task<int> ServeJson()
    {
        var request = new UpstreamRequest(ApiOperation.ChatCompletions, _api, _body, UpstreamPurpose.Client, "req-1");
        using var result = await FallbackChain.ServeAsync(_plan, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).ConfigureAwait(false);
        return result.Buffered.Length;
    }

    private sealed class CannedHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Answer) { Headers = { ContentType = new("application/json") } } });
    }
}
