namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    private static void ValidateTelemetry(TelemetryConfig telemetry, List<string> errors)
    {
        if (telemetry.OtlpEndpoint is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors.Add($"telemetry.otlp_endpoint: '{endpoint}' is not an http(s) URL");
        }

        if (string.IsNullOrWhiteSpace(telemetry.ServiceName))
        {
            errors.Add("telemetry.service_name: required");
        }

        if (!(telemetry.TraceSampleRatio is >= 0 and <= 1))
        {
            errors.Add("telemetry.trace_sample_ratio: must be from 0 to 1");
        }
    }
}
