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
}
