using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>One activity source and one meter: spans per request, attempt and shadow call; OTLP export; per-host metrics.</summary>
public sealed class TelemetryTests
{
    private const string Config = """
        auth:
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: down, base_url: "{sim0}" }
          - { name: up, base_url: "{sim1}" }
        deployments:
          - { name: primary, provider: down, model: m1, resilience: { retries: 1, retry_backoff: 1ms } }
          - { name: backup, provider: up, model: m2 }
          - { name: candidate, provider: up, model: m3 }
        routes:
          - name: chat
            deployment: primary
            fallbacks: [backup]
            migration: { to: candidate, stage: shadow, auto: false, compare: { kind: text }, evaluate_every: 1h }
        """;

    [Fact]
    public async Task Spans_RequestIsTheParentOfEveryAttempt_ShadowCallHasItsOwnSpan()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Tandem",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var down = await SimulatorServer.StartAsync(new SimulatorOptions { Faults = Fault.ParseList("503:1") }, cancellationToken: Ct);
        await using var up = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, down, up);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}""") };
        request.Headers.Add("x-request-id", "traced-1");
        using (var response = await gateway.Http.SendAsync(request, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await gateway.App.Services.GetRequiredService<Tandem.Migration.MigrationCoordinator>().WaitForShadowsAsync(TimeSpan.FromSeconds(30));
        var root = spans.Single(s => s.OperationName == "tandem chat" && (string?)s.GetTagItem("tandem.request_id") == "traced-1");
        var attempts = spans.Where(s => s.OperationName == "upstream attempt" && s.ParentSpanId == root.SpanId).ToList();

        // primary: the try and its one retry (503 both), then backup serves.
        Assert.Equal(["primary", "primary", "backup"], attempts.Select(a => (string?)a.GetTagItem("tandem.deployment")));
        Assert.Equal([503, 503, 200], attempts.Select(a => (int)a.GetTagItem("http.response.status_code")!));
        Assert.Equal((200, "backup"), ((int)root.GetTagItem("http.response.status_code")!, (string?)root.GetTagItem("tandem.deployment")));
        var shadow = spans.Single(s => s.OperationName == "shadow call" && (string?)s.GetTagItem("tandem.request_id") == "traced-1");
        Assert.Equal("candidate", (string?)shadow.GetTagItem("tandem.deployment"));
        var shadowAttempt = spans.Single(s => s.OperationName == "upstream attempt" && s.ParentSpanId == shadow.SpanId);
        Assert.Equal("shadow", (string?)shadowAttempt.GetTagItem("tandem.purpose"));
    }

    [Fact]
    public async Task Otlp_WhenConfigured_TracesArePushedToTheCollector()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var up = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var config = Configs.Single + $"\ntelemetry: {{ otlp_endpoint: \"{collector.BaseUrl}\", service_name: tandem-test }}\n";
        await using var gateway = await TestGateway.StartAsync(config, up);

        using (var response = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The request's span ends just after its response; flush until it has been exported.
        var tracer = gateway.App.Services.GetRequiredService<TracerProvider>();
        await RecordsHelpers.Until(() => tracer.ForceFlush(10_000) && collector.Bodies("/v1/traces").Contains("tandem chat", StringComparison.Ordinal), "request span exported", Ct);
        var body = collector.Bodies("/v1/traces");
        Assert.Equal("application/x-protobuf", collector.ContentType("/v1/traces"));
        // OTLP protobuf carries names and string attributes as UTF-8 bytes.
        Assert.Contains("tandem chat", body, StringComparison.Ordinal);
        Assert.Contains("upstream attempt", body, StringComparison.Ordinal);
        Assert.Contains("tandem-test", body, StringComparison.Ordinal);
    }

    /// <summary>A collector that keeps what it receives, by path.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, (string ContentType, StringBuilder Body)> _received = new();

        private FakeCollector(WebApplication app) => _app = app;

        public Uri BaseUrl { get; private set; } = null!;

        public IEnumerable<string> Paths => _received.Keys;

        public string Bodies(string path) => _received.TryGetValue(path, out var r) ? r.Body.ToString() : "";

        public string? ContentType(string path) => _received.TryGetValue(path, out var r) ? r.ContentType : null;

        public static async Task<FakeCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var collector = new FakeCollector(app);
            app.MapPost("/{**signal}", async (HttpContext ctx) =>
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms);
                var entry = collector._received.GetOrAdd(ctx.Request.Path, _ => (ctx.Request.ContentType ?? "", new StringBuilder()));
                lock (entry.Body)
                {
                    entry.Body.Append(Encoding.Latin1.GetString(ms.ToArray()));
                }

                ctx.Response.StatusCode = 200;
            });
            await app.StartAsync();
            collector.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            return collector;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
