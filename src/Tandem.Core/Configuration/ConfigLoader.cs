using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Tandem.Configuration;

/// <summary>Thrown when a configuration file cannot be used; <see cref="Errors"/> lists every problem with its path.</summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception from its list of errors.</summary>
    public ConfigException(IReadOnlyList<string> errors)
        : base("invalid configuration:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, each starting with its path (<c>routes[2].deployment: ...</c>).</summary>
    public IReadOnlyList<string> Errors { get; }
}

/// <summary>What a configuration file is loaded for; decides which sections must be usable.</summary>
public enum ConfigUse
{
    /// <summary>Serving clients: every section is checked, gateway keys included.</summary>
    Gateway,

    /// <summary>
    /// A tool that calls deployments or reads records directly (<c>tandem eval</c>, <c>tandem costs</c>): it serves no
    /// client, so the <c>auth</c> section is neither checked nor kept, and gateway keys need not be set.
    /// </summary>
    Tool,
}

/// <summary>Reads a YAML (or JSON, which is YAML) configuration file into a validated <see cref="TandemConfig"/>.</summary>
public static class ConfigLoader
{
    /// <summary>Loads and validates a file. Throws <see cref="ConfigException"/> listing every error.</summary>
    public static TandemConfig LoadFile(string path) => LoadFile(path, ConfigUse.Gateway);

    /// <summary>Loads and validates a file for <paramref name="use"/>. Throws <see cref="ConfigException"/> listing every error.</summary>
    /// <param name="path">The file.</param>
    /// <param name="use">What the configuration is loaded for.</param>
    /// <param name="providerTypes">The provider types the host can speak; null: the built-in ones.</param>
    public static TandemConfig LoadFile(string path, ConfigUse use, IReadOnlyCollection<string>? providerTypes = null) => LoadFile(path, use, providerTypes, null);

    /// <summary>
    /// Loads a file, lets <paramref name="extend"/> add to it (registered adapters' deployments) and validates the
    /// result, so that routes may name what the extension adds. Throws <see cref="ConfigException"/> listing every error.
    /// </summary>
    public static TandemConfig LoadFile(string path, ConfigUse use, IReadOnlyCollection<string>? providerTypes, Func<TandemConfig, TandemConfig>? extend)
    {
        return Parse(ReadText(path), use, providerTypes, extend);
    }

    /// <summary>
    /// Reads a file without validating it, for the settings needed before it can be validated (the storage that
    /// holds registered adapters). Throws <see cref="ConfigException"/> when it cannot be read or parsed.
    /// </summary>
    public static TandemConfig ReadUnchecked(string path) => Deserialize(ReadText(path));

    private static string ReadText(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"{path}: cannot read: {e.Message}"]);
        }

        return text;
    }

    /// <summary>Parses and validates configuration text.</summary>
    public static TandemConfig Parse(string text) => Parse(text, ConfigUse.Gateway);

    /// <summary>Parses and validates configuration text for <paramref name="use"/>.</summary>
    public static TandemConfig Parse(string text, ConfigUse use, IReadOnlyCollection<string>? providerTypes = null) => Parse(text, use, providerTypes, null);

    /// <summary>Parses configuration text, lets <paramref name="extend"/> add to it, and validates the result for <paramref name="use"/>.</summary>
    public static TandemConfig Parse(string text, ConfigUse use, IReadOnlyCollection<string>? providerTypes, Func<TandemConfig, TandemConfig>? extend)
    {
        var config = Deserialize(text);
        if (use == ConfigUse.Tool)
        {
            // A tool serves no client: its copy holds no keys, so that nothing can authenticate against it by mistake.
            config = config with { Auth = new AuthConfig { Disabled = true } };
        }

        if (extend is not null)
        {
            config = extend(config);
        }

        var errors = ConfigValidator.Validate(config, use, providerTypes);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        return config;
    }

    private static TandemConfig Deserialize(string text)
    {
        JsonNode? tree;
        try
        {
            tree = YamlToJson(text);
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            throw new ConfigException([$"line {e.Start.Line}, column {e.Start.Column}: {message}"]);
        }

        TandemConfig? config;
        try
        {
            config = tree is null ? new TandemConfig() : tree.Deserialize(ConfigJsonContext.Default.TandemConfig);
        }
        catch (JsonException e)
        {
            throw new ConfigException([$"{DisplayPath(e.Path)}: {Describe(e)}"]);
        }

        return config ?? new TandemConfig();
    }

    private static string DisplayPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "(root)";
        }

        return jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
    }

    private static string Describe(JsonException e)
    {
        var message = e.Message;
        // System.Text.Json names the CLR member; turn that into something a config author can act on.
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return "unknown setting";
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return "wrong type of value";
        }

        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>
    /// Converts YAML to a JSON tree. Plain scalars <c>true</c>/<c>false</c> become booleans, <c>null</c>/<c>~</c> null,
    /// everything else a string (numeric settings accept strings), so an unquoted <c>2024-10-21</c> stays text.
    /// </summary>
    internal static JsonNode? YamlToJson(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }

        if (stream.Documents.Count == 0)
        {
            return null;
        }

        return Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = key is YamlScalarNode s ? s.Value ?? "" : key.ToString();
                    if (obj.ContainsKey(name))
                    {
                        throw new YamlException(key.Start, key.End, $"duplicate key '{name}'");
                    }

                    obj[name] = Convert(value);
                }

                return obj;
            case YamlSequenceNode seq:
                var array = new JsonArray();
                foreach (var item in seq.Children)
                {
                    array.Add(Convert(item));
                }

                return array;
            case YamlScalarNode scalar:
                var v = scalar.Value;
                if (scalar.Style is ScalarStyle.Plain)
                {
                    switch (v)
                    {
                        case null or "" or "~" or "null" or "Null" or "NULL":
                            return null;
                        case "true" or "True" or "TRUE":
                            return JsonValue.Create(true);
                        case "false" or "False" or "FALSE":
                            return JsonValue.Create(false);
                    }
                }

                return JsonValue.Create(Expand(v ?? "", scalar));
            default:
                return null;
        }
    }

    /// <summary>
    /// Replaces <c>${NAME}</c> and <c>${NAME:-default}</c> with environment variables, so one file serves several
    /// environments. Credentials should still be named with <c>api_key_env</c>/<c>key_env</c> rather than expanded.
    /// </summary>
    private static string Expand(string value, YamlScalarNode node)
    {
        var start = value.IndexOf("${", StringComparison.Ordinal);
        if (start < 0)
        {
            return value;
        }

        var sb = new System.Text.StringBuilder();
        var pos = 0;
        while (start >= 0)
        {
            var end = value.IndexOf('}', start + 2);
            if (end < 0)
            {
                break;
            }

            sb.Append(value, pos, start - pos);
            var expr = value[(start + 2)..end];
            var sep = expr.IndexOf(":-", StringComparison.Ordinal);
            var name = sep >= 0 ? expr[..sep] : expr;
            var fallback = sep >= 0 ? expr[(sep + 2)..] : null;
            var env = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(env))
            {
                env = fallback ?? throw new YamlException(node.Start, node.End, $"environment variable '{name}' is not set");
            }

            sb.Append(env);
            pos = end + 1;
            start = value.IndexOf("${", pos, StringComparison.Ordinal);
        }

        sb.Append(value, pos, value.Length - pos);
        return sb.ToString();
    }

    /// <summary>Parses a duration such as <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, <c>1d</c> or a bare number of seconds.</summary>
    /// <returns>
    /// False, with <paramref name="value"/> zero, for anything but a finite, non-negative number that fits a
    /// <see cref="TimeSpan"/>: <c>NaNs</c>, <c>1e300s</c> and <c>-1s</c> are refused here rather than thrown later.
    /// </returns>
    public static bool TryParseDuration(string? text, out TimeSpan value) => TryParseDuration(text, requireUnit: false, out value);

    /// <summary>
    /// As <see cref="TryParseDuration(string?, out TimeSpan)"/>; with <paramref name="requireUnit"/> a bare number is
    /// refused (command-line options, where <c>800</c> could mean milliseconds or seconds).
    /// </summary>
    public static bool TryParseDuration(string? text, bool requireUnit, out TimeSpan value) =>
        ReadDuration(text, requireUnit, out value) == DurationReading.Ok;

    /// <summary>Reads a duration and says why it could not: not a duration at all, or beyond what a <see cref="TimeSpan"/> holds.</summary>
    internal static DurationReading ReadDuration(string? text, bool requireUnit, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return DurationReading.Invalid;
        }

        var t = text.Trim();
        double factorMs;
        string number;
        if (t.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            factorMs = 1;
            number = t[..^2];
        }
        else if (t.EndsWith('s') || t.EndsWith('S'))
        {
            factorMs = 1000;
            number = t[..^1];
        }
        else if (t.EndsWith('m') || t.EndsWith('M'))
        {
            factorMs = 60_000;
            number = t[..^1];
        }
        else if (t.EndsWith('h') || t.EndsWith('H'))
        {
            factorMs = 3_600_000;
            number = t[..^1];
        }
        else if (t.EndsWith('d') || t.EndsWith('D'))
        {
            factorMs = 86_400_000;
            number = t[..^1];
        }
        else if (requireUnit)
        {
            return DurationReading.Invalid;
        }
        else
        {
            factorMs = 1000;
            number = t;
        }

        // NumberStyles.Float also reads "NaN" and "Infinity": both are refused below, as are negative numbers.
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || double.IsNaN(n) || n < 0 || double.IsNegative(n))
        {
            return DurationReading.Invalid;
        }

        // 2^63 as a double: every double below it converts to a long without overflow.
        const double TicksLimit = 9_223_372_036_854_775_808.0;
        var ticks = n * factorMs * TimeSpan.TicksPerMillisecond;
        if (!(ticks < TicksLimit))
        {
            return DurationReading.TooLong;
        }

        value = TimeSpan.FromTicks((long)ticks);
        return DurationReading.Ok;
    }

    /// <summary>Writes a duration the way configuration files spell it: <c>24d</c>, <c>1h</c>, <c>90s</c>, <c>250ms</c>.</summary>
    internal static string FormatDuration(TimeSpan value) => value switch
    {
        _ when value.Ticks % TimeSpan.TicksPerDay == 0 => value.Days.ToString(CultureInfo.InvariantCulture) + "d",
        _ when value.Ticks % TimeSpan.TicksPerHour == 0 => ((long)value.TotalHours).ToString(CultureInfo.InvariantCulture) + "h",
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => ((long)value.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
        _ => value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms",
    };
}

/// <summary>The outcome of reading a duration.</summary>
internal enum DurationReading
{
    /// <summary>A finite, non-negative duration.</summary>
    Ok,

    /// <summary>Not a duration: no number, a negative number, NaN, or a missing unit where one is required.</summary>
    Invalid,

    /// <summary>A number too large for any duration (infinity or beyond <see cref="TimeSpan.MaxValue"/>).</summary>
    TooLong,
}
