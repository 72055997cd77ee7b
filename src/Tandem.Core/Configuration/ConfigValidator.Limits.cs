namespace Tandem.Configuration;

public static partial class ConfigValidator
{
    private static void ValidateLimits(TandemConfig config, List<string> errors)
    {
        var l = config.Limits;
        if (l.Store is not (LimitStores.Database or LimitStores.Redis))
        {
            errors.Add($"limits.store: unknown store '{l.Store}' (expected '{LimitStores.Database}' or '{LimitStores.Redis}')");
        }

        if (l.Store == LimitStores.Redis)
        {
            if (string.IsNullOrWhiteSpace(l.RedisConnectionEnv))
            {
                errors.Add("limits.redis_connection_env: required for store redis");
            }
            else if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(l.RedisConnectionEnv)))
            {
                errors.Add($"limits.redis_connection_env: environment variable '{l.RedisConnectionEnv}' is not set");
            }
        }

        if (l.OnStoreFailure is not (LimitStoreFailure.Open or LimitStoreFailure.Closed))
        {
            errors.Add($"limits.on_store_failure: unknown value '{l.OnStoreFailure}' (expected '{LimitStoreFailure.Open}' or '{LimitStoreFailure.Closed}')");
        }

        if (l.DefaultMaxTokens <= 0)
        {
            errors.Add("limits.default_max_tokens: must be positive");
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < l.AlertThresholds.Count; i++)
        {
            var t = l.AlertThresholds[i];
            if (t is < 1 or > 100)
            {
                errors.Add($"limits.alert_thresholds[{i}]: {t} is not a percentage from 1 to 100");
            }
            else if (!seen.Add(t))
            {
                errors.Add($"limits.alert_thresholds[{i}]: duplicate threshold {t}");
            }
        }

        if (l.AlertWebhook is not null)
        {
            CheckUrl(l.AlertWebhook, "limits.alert_webhook", errors);
        }

        // Key and team names are not checked against auth.keys: keys created through the admin API carry names and
        // teams the file does not know.
        foreach (var (name, rule) in l.Keys)
        {
            CheckRule(rule, $"limits.keys.{name}", errors);
        }

        foreach (var (name, rule) in l.Teams)
        {
            CheckRule(rule, $"limits.teams.{name}", errors);
        }

        foreach (var (name, rule) in l.Routes)
        {
            CheckRule(rule, $"limits.routes.{name}", errors);
            if (!config.Routes.Any(r => r.Name == name) && !config.Deployments.Any(d => d.Name == name))
            {
                errors.Add($"limits.routes.{name}: no route or deployment named '{name}'");
            }
        }
    }

    private static void CheckRule(LimitRule? rule, string path, List<string> errors)
    {
        if (rule is null)
        {
            errors.Add($"{path}: sets no limit");
            return;
        }

        var set = 0;
        Check(rule.RequestsPerMinute, "requests_per_minute");
        Check(rule.TokensPerMinute, "tokens_per_minute");
        Check(rule.DailyRequests, "daily_requests");
        Check(rule.MonthlyRequests, "monthly_requests");
        Check(rule.DailyTokens, "daily_tokens");
        Check(rule.MonthlyTokens, "monthly_tokens");
        CheckUsd(rule.DailyUsd, "daily_usd");
        CheckUsd(rule.MonthlyUsd, "monthly_usd");
        if (set == 0)
        {
            errors.Add($"{path}: sets no limit (requests_per_minute, tokens_per_minute, daily_/monthly_requests, daily_/monthly_tokens, daily_/monthly_usd)");
        }

        void Check(long? value, string name)
        {
            if (value is { } v)
            {
                set++;
                if (v <= 0)
                {
                    errors.Add($"{path}.{name}: must be positive");
                }
            }
        }

        void CheckUsd(decimal? value, string name)
        {
            if (value is { } v)
            {
                set++;
                if (v <= 0)
                {
                    errors.Add($"{path}.{name}: must be positive");
                }
                else if (v > 1_000_000_000m)
                {
                    errors.Add($"{path}.{name}: {v} is too large (at most 1000000000)");
                }
            }
        }
    }
}
