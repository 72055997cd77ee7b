using System.Globalization;

namespace Tandem.Limits;

/// <summary>What a limit counts.</summary>
public enum LimitMeasure : byte
{
    /// <summary>Requests admitted.</summary>
    Requests,

    /// <summary>Prompt plus completion tokens.</summary>
    Tokens,

    /// <summary>Spend, counted in micro-dollars (USD × 10⁶) so that every counter is an integer.</summary>
    Usd,
}

/// <summary>The fixed window a limit counts in (UTC).</summary>
public enum LimitPeriod : byte
{
    /// <summary>A clock minute: a rate limit.</summary>
    Minute,

    /// <summary>A UTC day: a daily budget.</summary>
    Day,

    /// <summary>A UTC calendar month: a monthly budget.</summary>
    Month,
}

/// <summary>Whose allowance a limit is.</summary>
public enum LimitScope : byte
{
    /// <summary>One gateway key.</summary>
    Key,

    /// <summary>Every key of a team.</summary>
    Team,

    /// <summary>Every caller of a route (or of a deployment named directly).</summary>
    Route,
}

/// <summary>One limit: who, what, over which window, and the cap (requests, tokens or micro-dollars).</summary>
public sealed class LimitSpec
{
    /// <summary>Creates a limit.</summary>
    public LimitSpec(LimitScope scope, string name, LimitMeasure measure, LimitPeriod period, long cap)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap);
        Scope = scope;
        Name = name;
        Measure = measure;
        Period = period;
        Cap = cap;
        // The name goes last, so that no name can make two limits share a counter.
        _kind = string.Concat(MeasureCode(measure), PeriodCode(period), ":");
        _suffix = string.Concat(":", ScopeCode(scope), ":", name);
    }

    private readonly string _kind;
    private readonly string _suffix;

    /// <summary>Whose allowance it is.</summary>
    public LimitScope Scope { get; }

    /// <summary>The key, team or route name.</summary>
    public string Name { get; }

    /// <summary>What it counts.</summary>
    public LimitMeasure Measure { get; }

    /// <summary>Its window.</summary>
    public LimitPeriod Period { get; }

    /// <summary>The cap per window: requests, tokens or micro-dollars.</summary>
    public long Cap { get; }

    /// <summary>A budget (day or month) rather than a rate limit (minute).</summary>
    public bool IsBudget => Period != LimitPeriod.Minute;

    /// <summary>The counter of this limit in the window starting at <paramref name="windowStart"/> (Unix ms).</summary>
    internal string CounterId(long windowStart) => string.Concat(_kind, windowStart.ToString(CultureInfo.InvariantCulture), _suffix);

    /// <summary>The cap in the unit people use (dollars for money).</summary>
    public string CapText => Measure == LimitMeasure.Usd
        ? (Cap / 1_000_000m).ToString("0.######", CultureInfo.InvariantCulture) + " USD"
        : Cap.ToString(CultureInfo.InvariantCulture) + (Measure == LimitMeasure.Tokens ? " tokens" : " requests");

    /// <summary>How the limit reads in messages and logs, e.g. <c>key 'app' daily tokens</c>.</summary>
    public string Describe() =>
        string.Concat(ScopeWord(Scope), " '", Name, "' ", Period switch
        {
            LimitPeriod.Minute => Measure == LimitMeasure.Requests ? "requests per minute" : "tokens per minute",
            LimitPeriod.Day => "daily " + MeasureWord(Measure),
            _ => "monthly " + MeasureWord(Measure),
        });

    /// <summary>Lowercase names for metrics and alerts.</summary>
    public static string ScopeWord(LimitScope scope) => scope switch
    {
        LimitScope.Key => "key",
        LimitScope.Team => "team",
        _ => "route",
    };

    /// <summary>Lowercase names for metrics and alerts.</summary>
    public static string MeasureWord(LimitMeasure measure) => measure switch
    {
        LimitMeasure.Requests => "requests",
        LimitMeasure.Tokens => "tokens",
        _ => "usd",
    };

    /// <summary>Lowercase names for metrics and alerts.</summary>
    public static string PeriodWord(LimitPeriod period) => period switch
    {
        LimitPeriod.Minute => "minute",
        LimitPeriod.Day => "day",
        _ => "month",
    };

    private static string ScopeCode(LimitScope s) => s switch { LimitScope.Key => "k", LimitScope.Team => "t", _ => "r" };

    private static string MeasureCode(LimitMeasure m) => m switch { LimitMeasure.Requests => "r", LimitMeasure.Tokens => "t", _ => "u" };

    private static string PeriodCode(LimitPeriod p) => p switch { LimitPeriod.Minute => "m", LimitPeriod.Day => "d", _ => "M" };
}
