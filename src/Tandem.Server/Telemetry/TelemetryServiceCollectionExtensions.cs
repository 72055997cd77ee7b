using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Tandem.Configuration;
using Tandem.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Wires Tandem's meter and activity source into OpenTelemetry.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Metrics of the <c>Tandem</c> meter for the Prometheus endpoint, and — when <c>telemetry.otlp_endpoint</c> is
    /// set — traces of the <c>Tandem</c> activity source and the same metrics pushed over OTLP/HTTP (protobuf).
    /// Read at start-up; changing it needs a restart.
    /// </summary>
    public static IServiceCollection AddTandemTelemetry(this IServiceCollection services, TelemetryConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(config.ServiceName));
        otel.WithMetrics(m =>
        {
            m.AddMeter(TandemTelemetry.Name).AddPrometheusExporter();
            if (config.OtlpEndpoint is { } endpoint)
            {
                m.AddOtlpExporter(o => Configure(o, endpoint, "v1/metrics", config.OtlpHeaders));
            }
        });
        if (config.OtlpEndpoint is { } traces)
        {
            // A caller's sampling decision (traceparent) is followed; ASP.NET Core's own request activity, which this
            // provider does not record, is not a reason to drop Tandem's spans: they are sampled by ratio then.
            var ratio = new TraceIdRatioBasedSampler(config.TraceSampleRatio);
            otel.WithTracing(t => t
                .AddSource(TandemTelemetry.Name)
                .SetSampler(new ParentBasedSampler(ratio, remoteParentSampled: null, remoteParentNotSampled: null, localParentSampled: null, localParentNotSampled: ratio))
                .AddOtlpExporter(o => Configure(o, traces, "v1/traces", config.OtlpHeaders)));
        }

        return services;
    }

    private static void Configure(OtlpExporterOptions options, string endpoint, string signal, IReadOnlyDictionary<string, string> headers)
    {
        options.Protocol = OtlpExportProtocol.HttpProtobuf;
        options.Endpoint = new Uri(endpoint.TrimEnd('/') + "/" + signal);
        if (headers.Count > 0)
        {
            options.Headers = string.Join(",", headers.Select(h => $"{h.Key}={h.Value}"));
        }
    }
}
