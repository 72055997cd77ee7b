
namespace Tandem.Configuration;

public static partial class ConfigValidator
{
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

            ValidateAnthropicDeployment(config, d, path, errors);
        }

        return names;
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
}
