using System.Text.RegularExpressions;
using Tandem.Privacy;

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
        return errors;
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
    }

    private static void ValidateStorage(StorageConfig s, List<string> errors)
    {
        if (s.EngineSet && s.EngineAlias is not null && s.EngineAlias != s.Engine)
        {
            errors.Add($"storage.provider: '{s.EngineAlias}' contradicts storage.engine '{s.Engine}' (provider is the old name of engine: keep only engine)");
        }

        var key = s.EngineSet || s.EngineAlias is null ? "storage.engine" : "storage.provider";
        if (s.Engine is not (StorageEngines.Sqlite or StorageEngines.Postgres))
        {
            errors.Add($"{key}: unknown engine '{s.Engine}' (expected '{StorageEngines.Sqlite}' or '{StorageEngines.Postgres}')");
        }

        if (s.Engine == StorageEngines.Sqlite && string.IsNullOrWhiteSpace(s.Path))
        {
            errors.Add("storage.path: required for sqlite");
        }

        if (s.Engine == StorageEngines.Postgres)
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

            if (d.ContextWindow is <= 0)
            {
                errors.Add($"{path}.context_window: must be positive");
            }

            var r = d.Resilience;
            if (r.Retries is < 0 or > 10)
            {
                errors.Add($"{path}.resilience.retries: must be between 0 and 10");
            }

            CheckDuration(r.RetryBackoff, $"{path}.resilience.retry_backoff", errors, LongestResilienceDuration);
            CheckDuration(r.MaxRetryAfter, $"{path}.resilience.max_retry_after", errors, LongestResilienceDuration);
            if (r.Breaker.FailureRatio is <= 0 or > 1)
            {
                errors.Add($"{path}.resilience.breaker.failure_ratio: must be in (0, 1]");
            }

            if (r.Breaker.MinThroughput < 2)
            {
                errors.Add($"{path}.resilience.breaker.min_throughput: must be at least 2");
            }

            CheckDuration(r.Breaker.Window, $"{path}.resilience.breaker.window", errors, LongestResilienceDuration);
            CheckDuration(r.Breaker.BreakFor, $"{path}.resilience.breaker.break_for", errors, LongestResilienceDuration);
            if (d.Retires is not null && !DateOnly.TryParseExact(d.Retires, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
            {
                errors.Add($"{path}.retires: '{d.Retires}' is not a date (YYYY-MM-DD)");
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

    private static void ValidateRoutes(TandemConfig config, HashSet<string> deployments, List<string> errors, bool checkKeys)
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

            var policies = (r.Deployment is null ? 0 : 1) + (r.Split is null ? 0 : 1) + (r.Tiers is null ? 0 : 1);
            if (policies != 1)
            {
                errors.Add($"{path}: set exactly one of deployment, split or tiers");
            }

            CheckDeployment(r.Deployment, $"{path}.deployment", deployments, errors);
            if (r.Split is { } split)
            {
                if (split.Count == 0)
                {
                    errors.Add($"{path}.split: needs at least one arm");
                }

                for (var j = 0; j < split.Count; j++)
                {
                    CheckDeployment(split[j].Deployment, $"{path}.split[{j}].deployment", deployments, errors);
                    if (split[j].Weight < 0 || double.IsNaN(split[j].Weight))
                    {
                        errors.Add($"{path}.split[{j}].weight: must be zero or more");
                    }
                }

                if (split.Count > 0 && split.Sum(a => a.Weight) <= 0)
                {
                    errors.Add($"{path}.split: weights must add up to more than zero");
                }
            }

            if (!(r.Sticky is "user" or "none" || r.Sticky.StartsWith("header:", StringComparison.Ordinal) || r.Sticky.StartsWith("metadata:", StringComparison.Ordinal)))
            {
                errors.Add($"{path}.sticky: '{r.Sticky}' is not user, none, header:NAME or metadata:FIELD");
            }

            if (r.Tiers is { } tiers)
            {
                if (tiers.Scorer != "features")
                {
                    errors.Add($"{path}.tiers.scorer: unknown scorer '{tiers.Scorer}' (expected 'features')");
                }

                if (tiers.Levels.Count == 0)
                {
                    errors.Add($"{path}.tiers.levels: needs at least one level");
                }
                else if (!tiers.Levels.Any(l => l.Min <= 0))
                {
                    errors.Add($"{path}.tiers.levels: one level needs min: 0 so every score has a tier");
                }

                for (var j = 0; j < tiers.Levels.Count; j++)
                {
                    CheckDeployment(tiers.Levels[j].Deployment, $"{path}.tiers.levels[{j}].deployment", deployments, errors);
                    if (tiers.Levels[j].Min is < 0 or > 1)
                    {
                        errors.Add($"{path}.tiers.levels[{j}].min: must be between 0 and 1");
                    }
                }
            }

            for (var j = 0; j < r.Fallbacks.Count; j++)
            {
                CheckDeployment(r.Fallbacks[j], $"{path}.fallbacks[{j}]", deployments, errors);
            }

            for (var j = 0; j < r.Rules.Count; j++)
            {
                ValidateRule(r.Rules[j], $"{path}.rules[{j}]", deployments, errors);
            }

            ValidatePersonalData(r, path, errors);

            if (r.Migration is { } m)
            {
                ValidateMigration(m, $"{path}.migration", deployments, errors);
            }

            if (r.Escalation is { } escalation)
            {
                ValidateEscalation(escalation, r, $"{path}.escalation", deployments, errors);
            }

            if (r.Capture is not (CaptureModes.Off or CaptureModes.Redacted or CaptureModes.Full))
            {
                errors.Add($"{path}.capture: unknown mode '{r.Capture}' (expected 'off', 'redacted' or 'full')");
            }
        }

        for (var i = 0; checkKeys && i < config.Auth.Keys.Count; i++)
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

    private static void ValidateRule(RuleConfig rule, string path, HashSet<string> deployments, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(rule.Name))
        {
            errors.Add($"{path}.name: required");
        }

        if (rule.Deployment is null && rule.Only is null)
        {
            errors.Add($"{path}: set deployment, only, or both");
        }

        CheckDeployment(rule.Deployment, $"{path}.deployment", deployments, errors);
        if (rule.Only is { } only)
        {
            if (only.Count == 0)
            {
                errors.Add($"{path}.only: needs at least one deployment");
            }

            for (var k = 0; k < only.Count; k++)
            {
                CheckDeployment(only[k], $"{path}.only[{k}]", deployments, errors);
            }

            if (rule.Deployment is not null && !only.Contains(rule.Deployment))
            {
                errors.Add($"{path}.deployment: '{rule.Deployment}' is not in the rule's own 'only' list");
            }
        }

        var when = rule.When;
        foreach (var f in when.Features ?? [])
        {
            if (f is not ("tools" or "images" or "json" or "stream"))
            {
                errors.Add($"{path}.when.features: unknown feature '{f}' (expected tools, images, json or stream)");
            }
        }
    }

    // One vocabulary per route: the route's patterns and its rules' when.patterns together, usable by every rule's
    // pii list and masked by capture: redacted (Privacy.PersonalDataDetector.ForRoute builds the same set).
    private static void ValidatePersonalData(RouteConfig route, string path, List<string> errors)
    {
        var defined = new Dictionary<string, (string Pattern, string Path)>(StringComparer.Ordinal);
        Define(route.Patterns, $"{path}.patterns");
        for (var j = 0; j < route.Rules.Count; j++)
        {
            Define(route.Rules[j].When.Patterns, $"{path}.rules[{j}].when.patterns");
        }

        if (defined.Count > PersonalDataDetector.MaxCustomKinds)
        {
            errors.Add($"{path}.patterns: at most {PersonalDataDetector.MaxCustomKinds} custom kinds per route ({defined.Count} defined)");
        }

        for (var j = 0; j < route.Rules.Count; j++)
        {
            foreach (var kind in route.Rules[j].When.Pii ?? [])
            {
                if (kind != PersonalDataDetector.Any && !PersonalDataKind.IsBuiltIn(kind) && !defined.ContainsKey(kind))
                {
                    errors.Add($"{path}.rules[{j}].when.pii: unknown kind '{kind}' (expected any, {string.Join(", ", PersonalDataKind.BuiltIn)} or a name in the route's patterns)");
                }
            }
        }

        void Define(IReadOnlyDictionary<string, string>? patterns, string at)
        {
            foreach (var (name, pattern) in patterns ?? new Dictionary<string, string>())
            {
                if (string.IsNullOrWhiteSpace(name) || name == PersonalDataDetector.Any || PersonalDataKind.IsBuiltIn(name))
                {
                    errors.Add($"{at}.{name}: '{name}' cannot name a custom kind (empty, 'any' or built in)");
                    continue;
                }

                try
                {
                    _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException e)
                {
                    errors.Add($"{at}.{name}: invalid regular expression: {e.Message}");
                    continue;
                }

                if (!defined.TryAdd(name, (pattern, $"{at}.{name}")) && defined[name].Pattern != pattern)
                {
                    errors.Add($"{at}.{name}: '{name}' is already defined with a different expression at {defined[name].Path}");
                }
            }
        }
    }

    private static void CheckDeployment(string? name, string path, HashSet<string> deployments, List<string> errors)
    {
        if (name is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add($"{path}: required");
        }
        else if (!deployments.Contains(name))
        {
            errors.Add($"{path}: unknown deployment '{name}'");
        }
    }

    private static void CheckUrl(string value, string path, List<string> errors)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{path}: '{value}' is not an absolute http(s) URL");
        }
    }

    private static void ValidateEscalation(EscalationConfig e, RouteConfig route, string path, HashSet<string> deployments, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(e.Judge))
        {
            errors.Add($"{path}.judge: required");
        }
        else if (!deployments.Contains(e.Judge))
        {
            errors.Add($"{path}.judge: unknown deployment '{e.Judge}'");
        }

        if (string.IsNullOrWhiteSpace(e.To))
        {
            errors.Add($"{path}.to: required");
        }
        else if (!deployments.Contains(e.To))
        {
            errors.Add($"{path}.to: unknown deployment '{e.To}'");
        }
        else if (e.To == route.Deployment)
        {
            errors.Add($"{path}.to: '{e.To}' already serves the route; escalate to a different deployment");
        }

        if (double.IsNaN(e.Below) || e.Below <= 1 || e.Below > 5)
        {
            errors.Add($"{path}.below: must be greater than 1 and at most 5 (judge scores run from 1 to 5)");
        }

        if (e.OnJudgeFailure is not (EscalationFailureModes.Keep or EscalationFailureModes.Escalate))
        {
            errors.Add($"{path}.on_judge_failure: expected '{EscalationFailureModes.Keep}' or '{EscalationFailureModes.Escalate}'");
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
