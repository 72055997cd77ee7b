using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Tandem.Server.Telemetry;

/// <summary>The gateway's instruments (meter <c>Tandem</c>), tagged by route and deployment.</summary>
internal static class GatewayMetrics
{
    public const string MeterName = "Tandem";

    public static readonly Meter Meter = new(MeterName, "1.0");

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "tandem.requests", "{request}", "Requests served, by route, deployment and status code.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "tandem.errors", "{request}", "Requests that ended in an error, by route, deployment and error code.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram(
        "tandem.request.duration", "s", "Time from arrival to the end of the response.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public static readonly Histogram<double> Overhead = Meter.CreateHistogram(
        "tandem.gateway.overhead", "s", "Time spent in Tandem itself, not waiting on an upstream.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05] });

    public static readonly Histogram<double> TimeToFirstChunk = Meter.CreateHistogram(
        "gen_ai.client.operation.time_to_first_chunk", "s", "Time to the first streamed chunk.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>(
        "gen_ai.client.token.usage", "{token}", "Tokens used, by route, deployment and type (input, output).");

    public static readonly Counter<double> Cost = Meter.CreateCounter<double>(
        "tandem.cost", "USD", "Per-token cost of served requests, by route and deployment.");

    /// <summary>The gateway whose deployments the observable gauges report (the last one started in this process).</summary>
    private static volatile Configuration.GatewayState? _state;

    static GatewayMetrics()
    {
        Meter.CreateObservableGauge("tandem.deployment.breaker_state", ObserveBreakers, "{state}",
            "Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open, 3 isolated.");
        Meter.CreateObservableGauge("tandem.endpoint.available", ObserveEndpoints, "{endpoint}",
            "1 when a provider replica passes its health checks and is not ejected.");
        Meter.CreateObservableGauge("tandem.endpoint.outstanding", ObserveOutstanding, "{request}",
            "Requests in flight per provider replica.");
    }

    public static void Observe(Configuration.GatewayState state) => _state = state;

    /// <summary>Counts a finished request.</summary>
    public static void Record(Records.RequestRecord record, TimeSpan total)
    {
        var route = record.Route ?? "";
        var deployment = record.Deployment ?? "";
        if (Requests.Enabled)
        {
            Requests.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "status", record.Status } });
        }

        if (record.Error is not null && Errors.Enabled)
        {
            Errors.Add(1, new TagList { { "route", route }, { "deployment", deployment }, { "error", record.Error } });
        }

        if (Duration.Enabled)
        {
            Duration.Record(total.TotalSeconds, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (Overhead.Enabled)
        {
            Overhead.Record(record.OverheadMs / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (record.TtftMs is double ttft && TimeToFirstChunk.Enabled)
        {
            TimeToFirstChunk.Record(ttft / 1000.0, new TagList { { "route", route }, { "deployment", deployment } });
        }

        if (Tokens.Enabled && (record.PromptTokens > 0 || record.CompletionTokens > 0))
        {
            Tokens.Add(record.PromptTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "input" } });
            Tokens.Add(record.CompletionTokens, new TagList { { "route", route }, { "deployment", deployment }, { "gen_ai.token.type", "output" } });
        }

        if (record.Cost > 0 && Cost.Enabled)
        {
            Cost.Add((double)record.Cost, new TagList { { "route", route }, { "deployment", deployment } });
        }
    }

    private static IEnumerable<Measurement<int>> ObserveBreakers()
    {
        if (_state?.Current is not { } snapshot)
        {
            yield break;
        }

        foreach (var d in snapshot.Deployments.Values)
        {
            var value = d.Resilience.BreakerState switch
            {
                Polly.CircuitBreaker.CircuitState.HalfOpen => 1,
                Polly.CircuitBreaker.CircuitState.Open => 2,
                Polly.CircuitBreaker.CircuitState.Isolated => 3,
                _ => 0,
            };
            yield return new Measurement<int>(value, new KeyValuePair<string, object?>("deployment", d.Name));
        }
    }

    private static IEnumerable<Measurement<int>> ObserveEndpoints()
    {
        if (_state?.Current is not { } snapshot)
        {
            yield break;
        }

        var now = DateTimeOffset.UtcNow;
        foreach (var p in snapshot.Providers.Values)
        {
            foreach (var e in p.Endpoints)
            {
                yield return new Measurement<int>(e.IsAvailable(now) ? 1 : 0, new KeyValuePair<string, object?>("provider", p.Name), new KeyValuePair<string, object?>("endpoint", e.BaseUrl));
            }
        }
    }

    private static IEnumerable<Measurement<int>> ObserveOutstanding()
    {
        if (_state?.Current is not { } snapshot)
        {
            yield break;
        }

        foreach (var p in snapshot.Providers.Values)
        {
            foreach (var e in p.Endpoints)
            {
                yield return new Measurement<int>(e.Outstanding, new KeyValuePair<string, object?>("provider", p.Name), new KeyValuePair<string, object?>("endpoint", e.BaseUrl));
            }
        }
    }
}
