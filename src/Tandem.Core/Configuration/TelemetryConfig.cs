namespace Tandem.Configuration;

/// <summary>
/// OpenTelemetry export. Metrics are always served at <c>/metrics</c> (Prometheus text); with an OTLP endpoint, traces
/// (a span per request, per upstream attempt and per shadow call) and metrics are also pushed over OTLP/HTTP.
/// </summary>
public sealed record TelemetryConfig
{
    /// <summary>OTLP/HTTP base URL of a collector, e.g. <c>http://otel-collector:4318</c>; null exports nothing.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Extra headers for the collector (e.g. an API key), as <c>name: value</c>.</summary>
    public IReadOnlyDictionary<string, string> OtlpHeaders { get; set; } = new Dictionary<string, string>();

    /// <summary>The <c>service.name</c> resource attribute.</summary>
    public string ServiceName { get; set; } = "tandem";

    /// <summary>Share of requests traced, from 0 to 1 (a parent's decision is followed).</summary>
    public double TraceSampleRatio { get; set; } = 1.0;
}
