using System.Diagnostics;

namespace Tandem.Telemetry;

/// <summary>Tandem's trace source: a span per request, per upstream attempt and per shadow call.</summary>
public static class TandemTelemetry
{
    /// <summary>The name of Tandem's <see cref="ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string Name = "Tandem";

    /// <summary>Tandem's activity source (spans are created only when a listener, e.g. OpenTelemetry, subscribes).</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(TandemTelemetry).Assembly.GetName().Version?.ToString());
}
