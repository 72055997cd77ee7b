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

    /// <summary>A streamed answer as the benchmark's simulator sends it: 25 SSE events, each arriving in its own read.</summary>
    private static readonly byte[][] Events = [.. Enumerable.Range(0, 24).Select(i => System.Text.Encoding.UTF8.GetBytes(
        $"data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} \"}},\"finish_reason\":{(i == 23 ? "\"stop\"" : "null")}}}]}}\n\n")),
        "data: [DONE]\n\n"u8.ToArray()];

    private GatewaySnapshot _snapshot = null!;
    private RoutePlan _plan = null!;
    private ApiRequest _api = null!;
    private ApiRequest _streamApi = null!;
    private byte[] _body = [];
    private byte[] _streamBody = [];
    private byte[] _buffer = new byte[16 * 1024];

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = GatewaySnapshot.Build(ConfigLoader.Parse(Yaml), null, new RuntimeServices { HttpHandler = _ => new CannedHandler() });
        _plan = _snapshot.Routes["r"].Policy.Decide(RequestView.For("""{"model":"r","messages":[{"role":"user","content":"hi"}]}"""));
        _body = Samples.SmallChat;
        _api = ApiRequest.Parse(_body, ApiOperation.ChatCompletions, out _)!;
        _streamBody = """{"model":"r","stream":true,"messages":[{"role":"user","content":"hi"}]}"""u8.ToArray();
        _streamApi = ApiRequest.Parse(_streamBody, ApiOperation.ChatCompletions, out _)!;
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
        CannedHandler.Streaming = false;
        var request = new UpstreamRequest(ApiOperation.ChatCompletions, _api, _body, UpstreamPurpose.Client, "req-1");
        using var result = await FallbackChain.ServeAsync(_plan, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).ConfigureAwait(false);
        return result.Buffered.Length;
    }

    /// <summary>
    /// One streamed request: served, then every event read through <see cref="UpstreamResult.ReadAsync"/> (the idle
    /// deadline is armed once per answer, not per read).
    /// </summary>
    [Benchmark]
    public async Task<int> ServeStream()
    {
        CannedHandler.Streaming = true;
        var request = new UpstreamRequest(ApiOperation.ChatCompletions, _streamApi, _streamBody, UpstreamPurpose.Client, "req-2");
        using var result = await FallbackChain.ServeAsync(_plan, request, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).ConfigureAwait(false);
        var total = result.Buffered.Length;
        int n;
        while ((n = await result.ReadAsync(_buffer).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total;
    }

    private sealed class CannedHandler : HttpMessageHandler
    {
        /// <summary>Whether to answer with an event stream (set by the benchmark method; benchmarks run one at a time).</summary>
        public static bool Streaming { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(Streaming
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new EventStream()) { Headers = { ContentType = new("text/event-stream") } } }
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Answer) { Headers = { ContentType = new("application/json") } } });
    }

    /// <summary>Returns one event per read, as a paced upstream does.</summary>
    private sealed class EventStream : Stream
    {
        private int _next;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_next == Events.Length)
            {
                return 0;
            }

            var e = Events[_next++];
            e.CopyTo(buffer);
            return e.Length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
