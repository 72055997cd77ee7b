using System.Text.RegularExpressions;

namespace Tandem.Configuration;

/// <summary>Checks a configuration as a whole and reports every error with its path.</summary>
public static partial class ConfigValidator
{
    /// <summary>Returns every problem found; an empty list means the configuration is usable.</summary>
    public static IReadOnlyList<string> Validate(TandemConfig config) => Validate(config, ConfigUse.Gateway);

    /// <summary>Returns every problem found for <paramref name="use"/>; an empty list means the configuration is usable.</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="use">What the configuration is loaded for.</param>
    /// <param name="providerTypes">The provider types the host can speak; null: the built-in ones.</param>
    public static IReadOnlyList<string> Validate(TandemConfig config, ConfigUse use, IReadOnlyCollection<string>? providerTypes = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();

        if (config.Server.MaxBodyBytes <= 0)
        {
            errors.Add("server.max_body_bytes: must be positive");
        }

        ValidateShutdownTimeout(config.Server, errors);
        ValidateServerHardening(config.Server, errors);
        var serving = use == ConfigUse.Gateway;
        if (serving)
        {
            ValidateAuth(config, errors);
        }

        var providers = ValidateProviders(config, errors, providerTypes ?? ProviderTypes.BuiltIn);
        var deployments = ValidateDeployments(config, providers, errors);
        ValidateAws(config, errors);
        ValidateRoutes(config, deployments, errors, serving);
        ValidateStorage(config.Storage, errors);
        ValidateTelemetry(config.Telemetry, errors);
        ValidatePrivacy(config.Privacy, errors);
        ValidateLimits(config, errors);
        return errors;
    }

    private static void CheckUrl(string value, string path, List<string> errors)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{path}: '{value}' is not an absolute http(s) URL");
        }
    }

    /// <summary>
    /// Longest duration that sockets, timers and cancellation accept everywhere (some take whole milliseconds as an
    /// <see cref="int"/>, about 24.8 days).
    /// </summary>
    internal static readonly TimeSpan LongestTimer = TimeSpan.FromDays(24);

    /// <summary>Longest retry delay and breaker window Polly accepts (its options are validated to at most one day).</summary>
    internal static readonly TimeSpan LongestResilienceDuration = TimeSpan.FromDays(1);

    private static TimeSpan? CheckDuration(string value, string path, List<string> errors) => CheckDuration(value, path, errors, LongestTimer);

    /// <summary>Checks a positive duration of at most <paramref name="max"/>; returns it when valid.</summary>
    private static TimeSpan? CheckDuration(string value, string path, List<string> errors, TimeSpan max)
    {
        var reading = ConfigLoader.ReadDuration(value, requireUnit: false, out var d);
        if (reading == DurationReading.TooLong || (reading == DurationReading.Ok && d > max))
        {
            errors.Add($"{path}: '{value}' is too long (at most {ConfigLoader.FormatDuration(max)})");
            return null;
        }

        if (reading != DurationReading.Ok || d <= TimeSpan.Zero)
        {
            errors.Add($"{path}: '{value}' is not a positive duration (e.g. 500ms, 5s, 2m)");
            return null;
        }

        return d;
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
