using Tandem.Configuration;

namespace Tandem.Costs;

/// <summary>Aggregated usage of one (day, route, deployment, key), as storage returns it.</summary>
public sealed record UsageRow
{
    /// <summary>UTC day.</summary>
    public DateOnly Day { get; init; }

    /// <summary>The route, or null for requests that named a deployment directly.</summary>
    public string? Route { get; init; }

    /// <summary>The deployment that served.</summary>
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

    /// <summary>By route (requests naming a deployment directly appear as <c>(direct)</c>).</summary>
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

    /// <summary>Spend: token costs plus the share of fixed capacity cost this group's tokens used.</summary>
    public decimal Spend { get; init; }

    /// <summary>What the same requests would have cost on their baseline deployment.</summary>
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

    /// <summary>Days of the window with traffic-bearing history (at least 1), the base of projections.</summary>
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
}

/// <summary>Builds a <see cref="CostReport"/> from aggregated usage and the configuration's prices and routes.</summary>
public static class CostReportBuilder
{
    private const decimal DaysPerMonth = 30m;
    private const decimal PerMillion = 1_000_000m;

    /// <summary>Parses a grouping name.</summary>
    public static bool TryParseGrouping(string? text, out CostGrouping grouping)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "" or "deployment":
                grouping = CostGrouping.Deployment;
                return true;
            case "route":
                grouping = CostGrouping.Route;
                return true;
            case "key":
                grouping = CostGrouping.Key;
                return true;
            case "day":
                grouping = CostGrouping.Day;
                return true;
            default:
                grouping = default;
                return false;
        }
    }

    /// <summary>Builds the report.</summary>
    /// <param name="config">Prices and routes (the current configuration).</param>
    /// <param name="usage">Usage rows of the window.</param>
    /// <param name="from">Start of the window.</param>
    /// <param name="to">End of the window.</param>
    /// <param name="firstSeen">Time of the first record in the window, or null when there is none.</param>
    /// <param name="by">Grouping.</param>
    /// <param name="baseline">A deployment every request is compared with, or null for each route's configured deployment.</param>
    public static CostReport Build(TandemConfig config, IReadOnlyList<UsageRow> usage, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset? firstSeen, CostGrouping by, string? baseline)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(usage);
        var prices = config.Deployments.ToDictionary(d => d.Name, DeploymentPrice.For, StringComparer.Ordinal);
        // A route's incumbent, as RoutePolicy.Incumbent defines it: its single deployment, else the heaviest split arm,
        // else the highest complexity tier.
        var incumbents = config.Routes.ToDictionary(r => r.Name, r => r.Deployment
            ?? r.Split?.OrderByDescending(a => a.Weight).First().Deployment
            ?? r.Tiers!.Levels.OrderByDescending(l => l.Min).First().Deployment, StringComparer.Ordinal);
        var windowDays = Math.Max((to - from).TotalDays, 1.0 / 24);
        var windowDaysExact = (decimal)windowDays;
        decimal FixedInWindow(decimal monthly) => monthly * windowDaysExact / DaysPerMonth;
        var observedStart = firstSeen is { } f && f > from ? f : from;
        var observedDays = Math.Clamp((to - observedStart).TotalDays, 1, windowDays < 1 ? 1 : windowDays);

        DeploymentPrice PriceOf(string name) => prices.TryGetValue(name, out var p) ? p : DeploymentPrice.Unpriced;
        string BaselineOf(UsageRow r) => baseline ?? (r.Route is not null && incumbents.TryGetValue(r.Route, out var inc) ? inc : r.Deployment);

        // Fixed capacity costs fall in the window whether or not it is used; they are shared out over the tokens served.
        var fixedDeployments = prices.Where(p => p.Value.Kind == PriceKind.Fixed).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var tokensByDeployment = usage.GroupBy(r => r.Deployment, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(r => r.PromptTokens + r.CompletionTokens), StringComparer.Ordinal);
        var totalRequests = usage.Sum(r => r.Requests);

        decimal FixedShare(UsageRow r)
        {
            if (!fixedDeployments.TryGetValue(r.Deployment, out var p))
            {
                return 0;
            }

            var all = tokensByDeployment.GetValueOrDefault(r.Deployment);
            return all == 0 ? 0 : FixedInWindow(p.FixedMonthly) * (r.PromptTokens + r.CompletionTokens) / all;
        }

        decimal BaselineCost(UsageRow r)
        {
            var b = BaselineOf(r);
            return b == r.Deployment ? r.Cost + FixedShare(r) : PriceOf(b).CostOf(r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.ReasoningTokens);
        }

        string GroupOf(UsageRow r) => by switch
        {
            CostGrouping.Route => r.Route ?? "(direct)",
            CostGrouping.Key => r.Key,
            CostGrouping.Day => r.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            _ => r.Deployment,
        };

        var groups = new List<CostGroup>();
        foreach (var g in usage.GroupBy(GroupOf, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var spend = g.Sum(r => r.Cost + FixedShare(r));
            var baselineSpend = g.Sum(BaselineCost);
            var requests = g.Sum(r => r.Requests);
            groups.Add(new CostGroup
            {
                Name = g.Key,
                Requests = requests,
                TrafficShare = totalRequests == 0 ? 0 : (double)requests / totalRequests,
                Errors = g.Sum(r => r.Errors),
                PromptTokens = g.Sum(r => r.PromptTokens),
                CachedTokens = g.Sum(r => r.CachedTokens),
                CompletionTokens = g.Sum(r => r.CompletionTokens),
                ReasoningTokens = g.Sum(r => r.ReasoningTokens),
                EstimatedRequests = g.Sum(r => r.EstimatedRequests),
                Spend = spend,
                BaselineSpend = baselineSpend,
                Savings = baselineSpend - spend,
            });
        }

        // Fixed capacity that served nothing still costs its share of the window.
        var idle = fixedDeployments.Where(p => tokensByDeployment.GetValueOrDefault(p.Key) == 0).ToList();
        foreach (var (name, p) in idle)
        {
            var cost = FixedInWindow(p.FixedMonthly);
            var label = by == CostGrouping.Deployment ? name : "(idle capacity: " + name + ")";
            groups.Add(new CostGroup { Name = label, Spend = cost, BaselineSpend = 0, Savings = -cost });
        }

        var tokenSpend = usage.Sum(r => r.Cost);
        var fixedSpend = FixedInWindow(fixedDeployments.Values.Sum(p => p.FixedMonthly));
        var spendTotal = tokenSpend + fixedSpend;
        var baselineTotal = groups.Sum(g => g.BaselineSpend);
        var baselineVariable = usage.Where(r => BaselineOf(r) != r.Deployment).Sum(BaselineCost) + usage.Where(r => BaselineOf(r) == r.Deployment).Sum(r => r.Cost);
        var baselineFixedMonthly = usage.Select(BaselineOf).Distinct(StringComparer.Ordinal)
            .Where(fixedDeployments.ContainsKey).Sum(d => fixedDeployments[d].FixedMonthly);
        var perDay = DaysPerMonth / (decimal)observedDays;
        var projected = (tokenSpend * perDay) + fixedDeployments.Values.Sum(p => p.FixedMonthly);
        var projectedBaseline = (baselineVariable * perDay) + baselineFixedMonthly;

        var capacity = new List<FixedCapacityReport>();
        foreach (var (name, p) in fixedDeployments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var rows = usage.Where(r => r.Deployment == name).ToList();
            var tokens = rows.Sum(r => r.PromptTokens + r.CompletionTokens);
            var windowCost = FixedInWindow(p.FixedMonthly) + rows.Sum(r => r.Cost);
            var alternative = baseline is not null && baseline != name
                ? baseline
                : rows.Where(r => r.Route is not null && incumbents.ContainsKey(r.Route!) && incumbents[r.Route!] != name)
                    .GroupBy(r => incumbents[r.Route!], StringComparer.Ordinal)
                    .OrderByDescending(g => g.Sum(r => r.Requests)).Select(g => g.Key).FirstOrDefault();
            decimal? blended = null;
            decimal? breakEven = null;
            if (alternative is not null && PriceOf(alternative) is { Kind: PriceKind.Tokens } alt && tokens > 0)
            {
                var altCost = rows.Sum(r => alt.CostOf(r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.ReasoningTokens));
                var perToken = altCost / tokens;
                blended = perToken * PerMillion;
                var margin = perToken - (p.MarginalPerMtok / PerMillion);
                breakEven = margin > 0 ? p.FixedMonthly / margin : null;
            }

            capacity.Add(new FixedCapacityReport
            {
                Deployment = name,
                FixedMonthly = p.FixedMonthly,
                WindowCost = windowCost,
                Tokens = tokens,
                Utilisation = p.CapacityTokensPerSecond is double tps ? tokens / (tps * windowDays * 86_400) : null,
                EffectiveCostPerMtok = tokens == 0 ? null : windowCost / tokens * PerMillion,
                Alternative = alternative,
                BlendedAlternativePerMtok = blended,
                BreakEvenTokensPerMonth = breakEven,
                ObservedTokensPerMonth = tokens * perDay,
            });
        }

        return new CostReport
        {
            From = from,
            To = to,
            WindowDays = windowDays,
            ObservedDays = observedDays,
            By = by.ToString().ToLowerInvariant(),
            Baseline = baseline,
            Requests = totalRequests,
            Spend = spendTotal,
            FixedSpend = fixedSpend,
            BaselineSpend = baselineTotal,
            Savings = baselineTotal - spendTotal,
            ProjectedMonthlySpend = projected,
            ProjectedMonthlySavings = projectedBaseline - projected,
            Groups = groups,
            FixedCapacity = capacity,
            Unpriced = usage.Select(r => r.Deployment).Distinct(StringComparer.Ordinal).Where(d => PriceOf(d).Kind == PriceKind.Unpriced).Order(StringComparer.Ordinal).ToList(),
        };
    }
}
