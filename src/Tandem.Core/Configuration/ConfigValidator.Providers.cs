
namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    private static HashSet<string> ValidateProviders(TandemConfig config, List<string> errors, IReadOnlyCollection<string> providerTypes)
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

            if (!providerTypes.Contains(p.Type))
            {
                errors.Add($"{path}.type: unknown provider type '{p.Type}' (expected {string.Join(" or ", providerTypes.Order(StringComparer.Ordinal).Select(t => $"'{t}'"))})");
            }

            if (p.Endpoints.Count == 0 || !string.IsNullOrEmpty(p.BaseUrl))
            {
                CheckUrl(p.BaseUrl, $"{path}.base_url", errors);
            }

            for (var j = 0; j < p.Endpoints.Count; j++)
            {
                CheckUrl(p.Endpoints[j], $"{path}.endpoints[{j}]", errors);
            }

            if (p.Balance is not ("least_outstanding" or "p2c"))
            {
                errors.Add($"{path}.balance: unknown balancing '{p.Balance}' (expected 'least_outstanding' or 'p2c')");
            }

            if (p.HealthCheck is { } hc)
            {
                CheckDuration(hc.Interval, $"{path}.health_check.interval", errors);
                CheckDuration(hc.Timeout, $"{path}.health_check.timeout", errors);
            }

            if (p.Type == ProviderTypes.AzureOpenAI && string.IsNullOrWhiteSpace(p.ApiVersion))
            {
                errors.Add($"{path}.api_version: required for azure-openai");
            }

            ValidateAnthropicGemini(p, path, errors);

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
            var firstByte = CheckDuration(p.Timeouts.FirstByte, $"{path}.timeouts.first_byte", errors);
            var total = CheckDuration(p.Timeouts.Total, $"{path}.timeouts.total", errors);
            CheckDuration(p.Timeouts.Idle, $"{path}.timeouts.idle", errors);
            if (firstByte > total)
            {
                errors.Add($"{path}.timeouts.first_byte: '{p.Timeouts.FirstByte}' is longer than timeouts.total '{p.Timeouts.Total}'; the total bounds the whole upstream exchange");
            }

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

            if (key.Team is { } team && string.IsNullOrWhiteSpace(team))
            {
                errors.Add($"{path}.team: must not be empty when set");
            }

            if (key.Key is not null && key.Key.Length < 8)
            {
                errors.Add($"{path}.key: too short (at least 8 characters)");
            }
        }

        // With an admin key, API keys can be made through the admin API (virtual keys) instead of the file.
        if (!config.Auth.Disabled && config.Auth.Keys.Count == 0 && config.Auth.AdminKeyEnv is null && config.Auth.AdminKeySha256 is null)
        {
            errors.Add("auth.keys: at least one key is required (or an admin key to create keys with, or auth.disabled: true for a local demo)");
        }

        if (config.Auth.AdminKeySha256 is not null && !Sha256Hex().IsMatch(config.Auth.AdminKeySha256))
        {
            errors.Add("auth.admin_key_sha256: must be 64 hexadecimal characters");
        }
    }

    private static void ValidateShutdownTimeout(ServerConfig server, List<string> errors)
    {
        bool parsed;
        TimeSpan timeout;
        try
        {
            parsed = ConfigLoader.TryParseDuration(server.ShutdownTimeout, out timeout);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            (parsed, timeout) = (false, default);
        }

        if (!parsed || timeout <= TimeSpan.Zero || timeout > TimeSpan.FromHours(1))
        {
            errors.Add($"server.shutdown_timeout: '{server.ShutdownTimeout}' must be a duration between 1ms and 1h, e.g. 30s");
        }

        if (!TryParseSyncInterval(server.SyncInterval, out _))
        {
            errors.Add($"server.sync_interval: '{server.SyncInterval}' must be a duration between 100ms and 1m, e.g. 2s");
        }
    }

    /// <summary><c>server.sync_interval</c>: a duration from 100 ms to 1 min.</summary>
    internal static bool TryParseSyncInterval(string? value, out TimeSpan interval)
    {
        try
        {
            return ConfigLoader.TryParseDuration(value, out interval) && interval >= TimeSpan.FromMilliseconds(100) && interval <= TimeSpan.FromMinutes(1);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            interval = default;
            return false;
        }
    }
}
