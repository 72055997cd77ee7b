using Tandem.Configuration;

namespace Tandem.Costs;

/// <summary>Aggregated usage of one (day, route, deployment, key), as storage returns it.</summary>
public sealed record UsageRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; init; }

    /// <summary>The route, or null for requests that named a deployment directly (and for refused requests).</summary>
    public string? Route { get; init; }

    /// <summary>The deployment that served; empty for a request refused before any deployment was chosen.</summary>
    public string Deployment { get; init; } = "";

    /// <summary>The gateway key's name.</summary>
    public string Key { get; init; } = "";

    /// <summary>Requests.</summary>
    public long Requests { get; init; }

    /// <summary>Requests that ended in an error.</summary>
    public long Errors { get; init; }

    /// <summary>Prompt tokens, cached included.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Cached prompt tokens.</summary>
    public long CachedTokens { get; init; }

    /// <summary>Completion tokens, reasoning included.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Reasoning tokens.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Recorded variable cost (US dollars).</summary>
    public decimal Cost { get; init; }

    /// <summary>Requests whose tokens were estimated.</summary>
    public long EstimatedRequests { get; init; }
}

/// <summary>How to group a cost report.</summary>
public enum CostGrouping
{
    /// <summary>By deployment.</summary>
    Deployment,

    /// <summary>
    /// By route: requests naming a deployment directly appear as <c>(direct)</c>, requests refused before a deployment
    /// was chosen (bad request, unknown model) as <c>(refused)</c>.
    /// </summary>
    Route,

    /// <summary>By gateway key.</summary>
    Key,

    /// <summary>By UTC day.</summary>
    Day,
}

/// <summary>One line of a cost report.</summary>
public sealed record CostGroup
{
    /// <summary>The deployment, route, key or day.</summary>
    public string Name { get; init; } = "";

    /// <summary>Requests.</summary>
    public long Requests { get; init; }

    /// <summary>Share of all requests in the window (0–1).</summary>
    public double TrafficShare { get; init; }

    /// <summary>Requests that ended in an error.</summary>
    public long Errors { get; init; }

    /// <summary>Prompt tokens.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Cached prompt tokens.</summary>
    public long CachedTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Reasoning tokens.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Requests with estimated token counts.</summary>
    public long EstimatedRequests { get; init; }

    /// <summary>
    /// Spend: token costs plus this group's share of fixed capacity cost. A fixed-cost deployment's capacity is
    /// charged to the traffic that has it as its baseline (the routes it serves anyway), in the same shares in both
    /// worlds; traffic moved onto spare capacity pays only the marginal price. Capacity no baseline needs is charged
    /// to the traffic it served, or shown as idle. By deployment, each deployment's line carries its own capacity.
    /// </summary>
    public decimal Spend { get; init; }

    /// <summary>What the same requests would have cost on their baseline deployment, capacity included.</summary>
    public decimal BaselineSpend { get; init; }

    /// <summary><see cref="BaselineSpend"/> minus <see cref="Spend"/>.</summary>
    public decimal Savings { get; init; }
}

/// <summary>Cost figures of one fixed-cost (self-hosted) deployment.</summary>
public sealed record FixedCapacityReport
{
    /// <summary>The deployment.</summary>
    public string Deployment { get; init; } = "";

    /// <summary>Its fixed monthly cost.</summary>
    public decimal FixedMonthly { get; init; }

    /// <summary>Fixed cost falling in the window (monthly cost × window days / 30) plus marginal token costs.</summary>
    public decimal WindowCost { get; init; }

    /// <summary>Tokens (input and output) it served in the window.</summary>
    public long Tokens { get; init; }

    /// <summary>Served tokens as a share of what the configured capacity could serve in the window, when configured.</summary>
    public double? Utilisation { get; init; }

    /// <summary>Window cost per million served tokens; null when it served none.</summary>
    public decimal? EffectiveCostPerMtok { get; init; }

    /// <summary>The API deployment it is compared with.</summary>
    public string? Alternative { get; init; }

    /// <summary>The alternative's price per token for the observed input/cached/output mix, per million tokens.</summary>
    public decimal? BlendedAlternativePerMtok { get; init; }

    /// <summary>
    /// Monthly tokens at which the fixed cost equals the alternative's bill: fixed monthly ÷ (blended API price per
    /// token − marginal price per token). Null without an alternative, without traffic, or when never reached.
    /// </summary>
    public decimal? BreakEvenTokensPerMonth { get; init; }

    /// <summary>Observed tokens per 30 days, at the rate seen in the window.</summary>
    public decimal ObservedTokensPerMonth { get; init; }

    /// <summary>Tokens the configured capacity serves in 30 days (capacity tokens per second × 30 days), when configured.</summary>
    public decimal? CapacityTokensPerMonth { get; init; }

    /// <summary>
    /// The sustained utilisation break-even needs: <see cref="BreakEvenTokensPerMonth"/> ÷
    /// <see cref="CapacityTokensPerMonth"/>. Above 1, the capacity can never serve enough to pay for itself.
    /// </summary>
    public double? BreakEvenUtilisation { get; init; }

    /// <summary>
    /// True when the alternative's blended price for this mix is no higher than the marginal price, so that no volume
    /// ever pays for the fixed cost.
    /// </summary>
    public bool BreakEvenNever { get; init; }

    /// <summary>Observed monthly tokens as a share of break-even (1 = at break-even), when break-even is known.</summary>
    public double? ObservedShareOfBreakEven { get; init; }
}

/// <summary>Spend, savings against a baseline, projection and break-even, for a time window.</summary>
public sealed record CostReport
{
    /// <summary>Start of the window.</summary>
    public DateTimeOffset From { get; init; }

    /// <summary>End of the window (the report's time).</summary>
    public DateTimeOffset To { get; init; }

    /// <summary>Length of the window in days.</summary>
    public double WindowDays { get; init; }

    /// <summary>
    /// Days from the first record in the window (or the window's start, when records cover all of it) to its end: the
    /// base of projections. At least one minute.
    /// </summary>
    public double ObservedDays { get; init; }

    /// <summary><c>deployment</c>, <c>route</c>, <c>key</c> or <c>day</c>.</summary>
    public string By { get; init; } = "deployment";

    /// <summary>The baseline deployment forced with <c>--baseline</c>, or null for each route's incumbent.</summary>
    public string? Baseline { get; init; }

    /// <summary>Requests in the window.</summary>
    public long Requests { get; init; }

    /// <summary>Total spend: token costs plus fixed capacity cost falling in the window.</summary>
    public decimal Spend { get; init; }

    /// <summary>The part of <see cref="Spend"/> that is fixed capacity cost.</summary>
    public decimal FixedSpend { get; init; }

    /// <summary>What the window would have cost had every request gone to its baseline deployment.</summary>
    public decimal BaselineSpend { get; init; }

    /// <summary><see cref="BaselineSpend"/> − <see cref="Spend"/>.</summary>
    public decimal Savings { get; init; }

    /// <summary>Spend over a 30-day month at the observed rate: token spend ÷ observed days × 30 + fixed monthly costs.</summary>
    public decimal ProjectedMonthlySpend { get; init; }

    /// <summary>Savings over a 30-day month at the observed rate.</summary>
    public decimal ProjectedMonthlySavings { get; init; }

    /// <summary>The report's lines.</summary>
    public IReadOnlyList<CostGroup> Groups { get; init; } = [];

    /// <summary>Fixed-cost deployments: utilisation, effective price and break-even.</summary>
    public IReadOnlyList<FixedCapacityReport> FixedCapacity { get; init; } = [];

    /// <summary>Deployments that served traffic without a known price (their cost counts as zero).</summary>
    public IReadOnlyList<string> Unpriced { get; init; } = [];

    /// <summary>Requests refused before a deployment was chosen (bad request, unknown model): no cost, shown as <c>(refused)</c>.</summary>
    public long RefusedRequests { get; init; }

    /// <summary>
    /// What a reader should know to read the figures right: a window that records cover only in part while its fixed
    /// cost is charged in full, a projection from a short history, a break-even that cannot be reached, refused requests.
    /// </summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
