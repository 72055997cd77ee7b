using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Tandem.Configuration;
using Tandem.Extensions.AI.Tests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.Extensions.AI.Tests;

/// <summary>The in-process client's traces and metrics: the gateway's <c>Tandem</c> activity source and meter, with the same names and tags.</summary>
public sealed class TelemetryTests
{
    /// <summary>A meter factory of the test's own, so that only this test's client is listened to.</summary>
    private sealed class TestMeters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    [Fact]
    public async Task Call_WithFallback_IsOneChatSpan_WithAnAttemptSpanPerTry_AndCountedOnTheTandemMeter()
    {
        await using var primary = await Sims.StartAsync("primary", o => o.Faults = [new Fault(FaultKind.Status503, 1.0)]);
        await using var backup = await Sims.StartAsync("backup", o => o.OutputTokens = 7);
        var spans = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Tandem",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);
        using var meters = new TestMeters();
        var requests = new ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Meter.Name == "Tandem" && instrument.Name == "tandem.requests")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        metrics.SetMeasurementEventCallback<long>((_, value, tags, _) => requests.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        metrics.Start();
        var sink = new MemorySink();
        var options = new TandemChatClientOptions { UseStorage = false, Records = sink, Route = "chat", MeterFactory = meters }
            .AddDeployment(new DeploymentConfig { Name = "primary", Model = "model-p", Resilience = new ResilienceConfig { Retries = 0 } }, Sims.Client(primary, "model-p"))
            .AddDeployment(new DeploymentConfig { Name = "backup", Model = "model-b" }, Sims.Client(backup, "model-b"))
            .AddRoute(new RouteConfig { Name = "chat", Deployment = "primary", Fallbacks = ["backup"] });
        using var client = new ChatClientBuilder(Sims.Unused).UseTandem(options).Build();

        await client.GetResponseAsync("hello", cancellationToken: Ct);

        var id = Assert.Single(sink.Records).Id;
        var chat = Assert.Single(spans, s => s.OperationName == "tandem chat" && (string?)s.GetTagItem("tandem.request_id") == id);
        // "hello" is 5 characters: the simulator bills (5 + 16 + 3) / 4 = 6 prompt tokens; it was told to answer with 7.
        Assert.Equal(
            ("chat", "backup", "route chat -> primary; fallback: primary 503 -> backup", (object)6, (object)7),
            ((string?)chat.GetTagItem("tandem.route"), (string?)chat.GetTagItem("tandem.deployment"), (string?)chat.GetTagItem("tandem.decision"),
                chat.GetTagItem("gen_ai.usage.input_tokens"), chat.GetTagItem("gen_ai.usage.output_tokens")));
        var attempts = spans.Where(s => s.OperationName == "upstream attempt" && s.ParentSpanId == chat.SpanId).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(
            [("primary", "client", (object)503, ActivityStatusCode.Error), ("backup", "client", (object)200, ActivityStatusCode.Unset)],
            attempts.Select(a => ((string?)a.GetTagItem("tandem.deployment"), (string?)a.GetTagItem("tandem.purpose"), a.GetTagItem("http.response.status_code"), a.Status)));

        var (count, tags) = Assert.Single(requests);
        Assert.Equal((1L, "chat", "backup", (object)200), (count, tags["route"], tags["deployment"], tags["status"]));
    }
}
