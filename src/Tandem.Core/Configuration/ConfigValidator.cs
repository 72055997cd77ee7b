using System.Text.RegularExpressions;

namespace Tandem.Configuration;

/// <summary>Checks a configuration as a whole and reports every error with its path.</summary>
public static partial class ConfigValidator
{
    /// <summary>Returns every problem found; an empty list means the configuration is usable.</summary>
    public static IReadOnlyList<string> Validate(TandemConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();

        if (config.Server.MaxBodyBytes <= 0)
        {
            errors.Add("server.max_body_bytes: must be positive");
        }

        ValidateAuth(config, errors);
        var providers = ValidateProviders(config, errors);
        var deployments = ValidateDeployments(config, providers, errors);
        ValidateRoutes(config, deployments, errors);
        ValidateStorage(config.Storage, errors);
        return errors;
    }

    private static void ValidateStorage(StorageConfig s, List<string> errors)
    {
        if (s.Provider is not (StorageProviders.Sqlite or StorageProviders.Postgres))
        {
            errors.Add($"storage.provider: unknown provider '{s.Provider}' (expected '{StorageProviders.Sqlite}' or '{StorageProviders.Postgres}')");
        }

        if (s.Provider == StorageProviders.Sqlite && string.IsNullOrWhiteSpace(s.Path))
        {
            errors.Add("storage.path: required for sqlite");
        }

        if (s.Provider == StorageProviders.Postgres)
        {
            if (string.IsNullOrWhiteSpace(s.ConnectionStringEnv))
            {
                errors.Add("storage.connection_string_env: required for postgres");
            }
            else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.ConnectionStringEnv)))
            {
                errors.Add($"storage.connection_string_env: environment variable '{s.ConnectionStringEnv}' is not set");
            }

            if (s.Schema is not null && !Identifier().IsMatch(s.Schema))
            {
                errors.Add($"storage.schema: '{s.Schema}' must be a plain identifier (letters, digits, underscore)");
            }
        }

        if (s.QueueCapacity <= 0)
        {
            errors.Add("storage.queue_capacity: must be positive");
        }

        if (s.BatchSize <= 0)
        {
            errors.Add("storage.batch_size: must be positive");
        }
        else if (s.QueueCapacity > 0 && s.BatchSize > s.QueueCapacity)
        {
            errors.Add("storage.batch_size: must not exceed storage.queue_capacity");
        }

        if (s.RetentionDays <= 0)
        {
            errors.Add("storage.retention_days: must be positive");
        }

        if (s.RollupRetentionDays < s.RetentionDays)
        {
            errors.Add("storage.rollup_retention_days: must be at least storage.retention_days");
        }

        if (s.EndUserSaltEnv is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(s.EndUserSaltEnv)))
        {
            errors.Add($"storage.end_user_salt_env: environment variable '{s.EndUserSaltEnv}' is not set");
        }
    }

    private static void ValidatePricing(PricingConfig p, string path, List<string> errors)
    {
        NonNegative(p.InputPerMtok, path + ".input_per_mtok", errors);
        NonNegative(p.CachedInputPerMtok, path + ".cached_input_per_mtok", errors);
        NonNegative(p.OutputPerMtok, path + ".output_per_mtok", errors);
        NonNegative(p.ReasoningPerMtok, path + ".reasoning_per_mtok", errors);
        NonNegative(p.FixedMonthly, path + ".fixed_monthly", errors);
        NonNegative(p.MarginalPerMtok, path + ".marginal_per_mtok", errors);
        if (p.CapacityTokensPerSecond is double c && !(c > 0 && double.IsFinite(c)))
        {
            errors.Add($"{path}.capacity_tokens_per_second: must be positive");
        }

        if (p.FixedMonthlyBreakdown is { } parts)
        {
            foreach (var (name, value) in parts)
            {
                NonNegative(value, $"{path}.fixed_monthly_breakdown.{name}", errors);
            }

            if (p.FixedMonthly is decimal total && parts.Values.Sum() != total)
            {
                errors.Add($"{path}.fixed_monthly_breakdown: parts add up to {parts.Values.Sum()}, not fixed_monthly {total}");
            }
        }

        var fixedMonthly = p.FixedMonthly ?? p.FixedMonthlyBreakdown?.Values.Sum();
        var tokenPriced = p.InputPerMtok is not null || p.OutputPerMtok is not null || p.CachedInputPerMtok is not null || p.ReasoningPerMtok is not null;
        if (tokenPriced && fixedMonthly is not null)
        {
            errors.Add($"{path}: set either token prices (input_per_mtok, output_per_mtok…) or fixed_monthly, not both");
        }
        else if (tokenPriced && (p.InputPerMtok is null || p.OutputPerMtok is null))
        {
            errors.Add($"{path}: token pricing needs both input_per_mtok and output_per_mtok");
        }
        else if (!tokenPriced && fixedMonthly is null)
        {
            errors.Add($"{path}: set input_per_mtok and output_per_mtok, or fixed_monthly");
        }

        if (p.MarginalPerMtok is not null && fixedMonthly is null)
        {
            errors.Add($"{path}.marginal_per_mtok: only with fixed_monthly");
        }

        if (p.CapacityTokensPerSecond is not null && fixedMonthly is null)
        {
            errors.Add($"{path}.capacity_tokens_per_second: only with fixed_monthly");
        }
    }

    private static void NonNegative(decimal? value, string path, List<string> errors)
    {
        if (value is < 0)
        {
            errors.Add($"{path}: must be ≥ 0");
        }
    }

    private static void ValidateAuth(TandemConfig config, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Auth.Keys.Count; i++)
        {
            var key = config.Auth.Keys[i];
            var path = $"auth.keys[{i}]";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                errors.Add($"{path}.name: required");
            }
            else if (!names.Add(key.Name))
            {
                errors.Add($"{path}.name: duplicate key name '{key.Name}'");
            }

            var sources = (key.KeySha256 is null ? 0 : 1) + (key.KeyEnv is null ? 0 : 1) + (key.Key is null ? 0 : 1);
            if (sources != 1)
            {
                errors.Add($"{path}: set exactly one of key_sha256, key_env or key");
            }

            if (key.KeySha256 is not null && !Sha256Hex().IsMatch(key.KeySha256))
            {
                errors.Add($"{path}.key_sha256: must be 64 hexadecimal characters");
            }

            if (key.KeyEnv is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(key.KeyEnv)))
            {
                errors.Add($"{path}.key_env: environment variable '{key.KeyEnv}' is not set");
            }

            if (key.Key is not null && key.Key.Length < 8)
            {
                errors.Add($"{path}.key: too short (at least 8 characters)");
            }
        }

        if (!config.Auth.Disabled && config.Auth.Keys.Count == 0)
        {
            errors.Add("auth.keys: at least one key is required (or set auth.disabled: true for a local demo)");
        }

        if (config.Auth.AdminKeySha256 is not null && !Sha256Hex().IsMatch(config.Auth.AdminKeySha256))
        {
            errors.Add("auth.admin_key_sha256: must be 64 hexadecimal characters");
        }
    }

    private static HashSet<string> ValidateProviders(TandemConfig config, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Providers.Count; i++)
        {
            var p = config.Providers[i];
            var path = $"providers[{i}]";
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                errors.Add($"{path}.name: required");
            }
            else if (!names.Add(p.Name))
            {
                errors.Add($"{path}.name: duplicate provider '{p.Name}'");
            }

            if (p.Type is not (ProviderTypes.OpenAI or ProviderTypes.AzureOpenAI))
            {
                errors.Add($"{path}.type: unknown provider type '{p.Type}' (expected '{ProviderTypes.OpenAI}' or '{ProviderTypes.AzureOpenAI}')");
            }

            if (!Uri.TryCreate(p.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{path}.base_url: '{p.BaseUrl}' is not an absolute http(s) URL");
            }

            if (p.Type == ProviderTypes.AzureOpenAI && string.IsNullOrWhiteSpace(p.ApiVersion))
            {
                errors.Add($"{path}.api_version: required for azure-openai");
            }

            if (p.ApiKeyEnv is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(p.ApiKeyEnv)))
            {
                errors.Add($"{path}.api_key_env: environment variable '{p.ApiKeyEnv}' is not set");
            }

            if (p.MaxConcurrency <= 0)
            {
                errors.Add($"{path}.max_concurrency: must be positive");
            }

            if (p.MaxQueue < 0)
            {
                errors.Add($"{path}.max_queue: must be zero or more");
            }

            CheckDuration(p.Timeouts.Connect, $"{path}.timeouts.connect", errors);
            CheckDuration(p.Timeouts.FirstByte, $"{path}.timeouts.first_byte", errors);
            CheckDuration(p.Timeouts.Total, $"{path}.timeouts.total", errors);
            foreach (var header in p.Headers.Keys)
            {
                if (header.Length == 0 || header.Any(c => c <= ' ' || c >= 127 || c == ':'))
                {
                    errors.Add($"{path}.headers: '{header}' is not a valid header name");
                }
            }
        }

        return names;
    }

    private static HashSet<string> ValidateDeployments(TandemConfig config, HashSet<string> providers, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Deployments.Count; i++)
        {
            var d = config.Deployments[i];
            var path = $"deployments[{i}]";
            if (string.IsNullOrWhiteSpace(d.Name))
            {
                errors.Add($"{path}.name: required");
            }
            else if (!names.Add(d.Name))
            {
                errors.Add($"{path}.name: duplicate deployment '{d.Name}'");
            }

            if (string.IsNullOrWhiteSpace(d.Provider))
            {
                errors.Add($"{path}.provider: required");
            }
            else if (!providers.Contains(d.Provider))
            {
                errors.Add($"{path}.provider: unknown provider '{d.Provider}'");
            }

            if (string.IsNullOrWhiteSpace(d.Model))
            {
                errors.Add($"{path}.model: required");
            }

            if (d.Pricing is not null)
            {
                ValidatePricing(d.Pricing, path + ".pricing", errors);
            }

            if (d.Usage is not (UsageModes.Reported or UsageModes.Estimate))
            {
                errors.Add($"{path}.usage: unknown mode '{d.Usage}' (expected '{UsageModes.Reported}' or '{UsageModes.Estimate}')");
            }

            if (d.Tokenizer is not null and not ("o200k" or "cl100k"))
            {
                errors.Add($"{path}.tokenizer: unknown tokenizer '{d.Tokenizer}' (expected 'o200k' or 'cl100k')");
            }
        }

        return names;
    }

    private static void ValidateRoutes(TandemConfig config, HashSet<string> deployments, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Routes.Count; i++)
        {
            var r = config.Routes[i];
            var path = $"routes[{i}]";
            if (string.IsNullOrWhiteSpace(r.Name))
            {
                errors.Add($"{path}.name: required");
            }
            else if (!names.Add(r.Name))
            {
                errors.Add($"{path}.name: duplicate route '{r.Name}'");
            }
            else if (deployments.Contains(r.Name))
            {
                errors.Add($"{path}.name: '{r.Name}' is also a deployment name; route and deployment names must differ");
            }

            if (string.IsNullOrWhiteSpace(r.Deployment))
            {
                errors.Add($"{path}.deployment: required");
            }
            else if (!deployments.Contains(r.Deployment))
            {
                errors.Add($"{path}.deployment: unknown deployment '{r.Deployment}'");
            }

            if (r.Capture is not (CaptureModes.Off or CaptureModes.Redacted or CaptureModes.Full))
            {
                errors.Add($"{path}.capture: unknown mode '{r.Capture}' (expected 'off', 'redacted' or 'full')");
            }
        }

        for (var i = 0; i < config.Auth.Keys.Count; i++)
        {
            var allowed = config.Auth.Keys[i].Routes;
            for (var j = 0; j < allowed.Count; j++)
            {
                var name = allowed[j];
                if (name != "*" && !names.Contains(name) && !deployments.Contains(name))
                {
                    errors.Add($"auth.keys[{i}].routes[{j}]: unknown route or deployment '{name}'");
                }
            }
        }
    }

    private static void CheckDuration(string value, string path, List<string> errors)
    {
        if (!ConfigLoader.TryParseDuration(value, out var d) || d <= TimeSpan.Zero)
        {
            errors.Add($"{path}: '{value}' is not a positive duration (e.g. 500ms, 5s, 2m)");
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
