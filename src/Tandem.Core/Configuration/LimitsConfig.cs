namespace Tandem.Configuration;

/// <summary>
/// Budgets and rate limits (YAML <c>limits:</c>): per key, per team and per route, counted in one shared store so
/// that every gateway instance enforces the same totals.
/// </summary>
public sealed record LimitsConfig
{
    /// <summary>
    /// Where the counters live: <c>database</c> (default: the <c>storage:</c> database, PostgreSQL for several instances)
    /// or <c>redis</c> (<see cref="RedisConnectionEnv"/>). Read at start-up.
    /// </summary>
    public string Store { get; set; } = LimitStores.Database;

    /// <summary>Environment variable holding the StackExchange.Redis connection string (e.g. <c>127.0.0.1:6379</c>), for <c>store: redis</c>.</summary>
    public string? RedisConnectionEnv { get; set; }

    /// <summary>
    /// What a request meets when the shared store cannot be reached: <c>open</c> (default: each instance counts on its
    /// own in memory until the store answers again) or <c>closed</c> (503 <c>limits_unavailable</c>).
    /// </summary>
    public string OnStoreFailure { get; set; } = LimitStoreFailure.Open;

    /// <summary>Completion tokens reserved at admission for a request that sets no <c>max_tokens</c> (default 1024).</summary>
    public int DefaultMaxTokens { get; set; } = 1024;

    /// <summary>Percentages of a budget at which an alert fires once per budget period (default 50, 80, 100).</summary>
    public IReadOnlyList<int> AlertThresholds { get; set; } = [50, 80, 100];

    /// <summary>URL that receives a JSON POST for every alert (retried, never on the request path); null: log and metric only.</summary>
    public string? AlertWebhook { get; set; }

    /// <summary>Limits per gateway key, by key name.</summary>
    public IReadOnlyDictionary<string, LimitRule> Keys { get; set; } = new Dictionary<string, LimitRule>();

    /// <summary>Limits per team (<c>auth.keys[].team</c>), shared by every key of the team.</summary>
    public IReadOnlyDictionary<string, LimitRule> Teams { get; set; } = new Dictionary<string, LimitRule>();

    /// <summary>Limits per route (or deployment named directly), shared by every caller of it.</summary>
    public IReadOnlyDictionary<string, LimitRule> Routes { get; set; } = new Dictionary<string, LimitRule>();
}

/// <summary>The limits of one key, team or route. Every field is optional; a limit that is not set does not apply.</summary>
public sealed record LimitRule
{
    /// <summary>Requests per minute (fixed one-minute windows, UTC).</summary>
    public long? RequestsPerMinute { get; set; }

    /// <summary>Tokens (prompt + completion) per minute.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Requests per UTC day.</summary>
    public long? DailyRequests { get; set; }

    /// <summary>Requests per UTC calendar month.</summary>
    public long? MonthlyRequests { get; set; }

    /// <summary>Tokens per UTC day.</summary>
    public long? DailyTokens { get; set; }

    /// <summary>Tokens per UTC calendar month.</summary>
    public long? MonthlyTokens { get; set; }

    /// <summary>Spend per UTC day in USD, from the deployments' prices.</summary>
    public decimal? DailyUsd { get; set; }

    /// <summary>Spend per UTC calendar month in USD.</summary>
    public decimal? MonthlyUsd { get; set; }
}

/// <summary>Values of <c>limits.store</c>.</summary>
public static class LimitStores
{
    /// <summary>The <c>storage:</c> database (SQLite for one instance, PostgreSQL for several).</summary>
    public const string Database = "database";

    /// <summary>A Redis server.</summary>
    public const string Redis = "redis";
}

/// <summary>Values of <c>limits.on_store_failure</c>.</summary>
public static class LimitStoreFailure
{
    /// <summary>Admit against a per-instance in-memory count while the store is down.</summary>
    public const string Open = "open";

    /// <summary>Refuse with 503 while the store is down.</summary>
    public const string Closed = "closed";
}
