using System.Globalization;
using Tandem.Configuration;

namespace Tandem.Costs;

/// <summary>Builds a <see cref="CostReport"/> from aggregated usage and the configuration's prices and routes.</summary>
/// <remarks>
/// Two worlds are compared over the window. In the actual one every request cost what it was recorded to cost, and
/// every fixed-cost deployment's capacity is paid. In the baseline one every request goes to its baseline deployment
/// (the route's incumbent, or <c>--baseline</c>) at that deployment's variable price, and a fixed-cost deployment's
/// capacity is paid in full when some request would run on it. Capacity that both worlds pay cancels out, so moving
/// traffic onto spare capacity saves the API price minus the marginal price, whatever share of the capacity's tokens
/// that traffic is.
/// </remarks>
public static class CostReportBuilder
{
    private const decimal DaysPerMonth = 30m;
    private const decimal PerMillion = 1_000_000m;

    /// <summary>The shortest history a projection is taken from; a record seconds old would otherwise multiply without bound.</summary>
    private static readonly TimeSpan ShortestObservation = TimeSpan.FromMinutes(1);

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
    /// <param name="to">End of the window; must be after <paramref name="from"/>.</param>
    /// <param name="firstSeen">Time of the first record in the window, or null when there is none.</param>
    /// <param name="by">Grouping.</param>
    /// <param name="baseline">A deployment every request is compared with, or null for each route's configured deployment.</param>
    public static CostReport Build(TandemConfig config, IReadOnlyList<UsageRow> usage, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset? firstSeen, CostGrouping by, string? baseline)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(usage);
        if (to <= from)
        {
            throw new ArgumentException("the window must end after it starts", nameof(to));
        }

        var prices = config.Deployments.ToDictionary(d => d.Name, DeploymentPrice.For, StringComparer.Ordinal);
        // A route's incumbent, as RoutePolicy.Incumbent defines it: its single deployment, else the heaviest split arm,
        // else the highest complexity tier.
        var incumbents = config.Routes.ToDictionary(r => r.Name, r => r.Deployment
            ?? r.Split?.OrderByDescending(a => a.Weight).First().Deployment
            ?? r.Tiers!.Levels.OrderByDescending(l => l.Min).First().Deployment, StringComparer.Ordinal);
        var windowDays = (to - from).TotalDays;
        var windowDaysExact = (decimal)windowDays;
        decimal FixedInWindow(decimal monthly) => monthly * windowDaysExact / DaysPerMonth;
        var observedStart = firstSeen is { } f && f > from ? f : from;
        var observed = to - observedStart < ShortestObservation ? ShortestObservation : to - observedStart;
        var observedDays = Math.Min(observed.TotalDays, windowDays);

        DeploymentPrice PriceOf(string name) => prices.TryGetValue(name, out var p) ? p
            : name.StartsWith(Routing.LocalStage.DeploymentPrefix, StringComparison.Ordinal) ? DeploymentPrice.Local : DeploymentPrice.Unpriced;
        static bool Refused(UsageRow r) => r.Deployment.Length == 0;
        string? BaselineOf(UsageRow r) => Refused(r) ? null
            : baseline ?? (r.Route is not null && incumbents.TryGetValue(r.Route, out var inc) ? inc : r.Deployment);

        // Variable cost in the baseline world: the recorded cost where the request stays, else the baseline's price.
        decimal BaselineVariable(UsageRow r) => BaselineOf(r) is not { } b ? 0
            : b == r.Deployment ? r.Cost
            : PriceOf(b).CostOf(r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.ReasoningTokens);

        var fixedDeployments = prices.Where(p => p.Value.Kind == PriceKind.Fixed).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var neededByBaseline = usage.Select(BaselineOf).OfType<string>().Where(fixedDeployments.ContainsKey).ToHashSet(StringComparer.Ordinal);
        var allocations = AllocateCapacity(usage, fixedDeployments, neededByBaseline, BaselineOf, FixedInWindow);

        string GroupOf(UsageRow r) => by switch
        {
            _ when Refused(r) && by is CostGrouping.Deployment or CostGrouping.Route => CostNotes.RefusedLabel,
            CostGrouping.Route => r.Route ?? "(direct)",
            CostGrouping.Key => r.Key,
            CostGrouping.Day => r.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ => r.Deployment,
        };

        string GroupOfAllocation(CapacityAllocation a) => a.Row is { } r ? GroupOf(r) : "(idle capacity: " + a.Deployment + ")";

        var totalRequests = usage.Sum(r => r.Requests);
        // By deployment, each line carries its own capacity whole (exact, with no shares to add up again).
        var capacityByGroup = by == CostGrouping.Deployment
            ? fixedDeployments.ToDictionary(p => p.Key, p => (Actual: FixedInWindow(p.Value.FixedMonthly),
                Baseline: neededByBaseline.Contains(p.Key) ? FixedInWindow(p.Value.FixedMonthly) : 0m), StringComparer.Ordinal)
            : allocations.GroupBy(GroupOfAllocation, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (Actual: g.Sum(a => a.Actual), Baseline: g.Sum(a => a.Baseline)), StringComparer.Ordinal);
        var rowsByGroup = usage.GroupBy(GroupOf, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var groups = new List<CostGroup>();
        foreach (var name in rowsByGroup.Keys.Union(capacityByGroup.Keys).Order(StringComparer.Ordinal))
        {
            var rows = rowsByGroup.GetValueOrDefault(name) ?? [];
            var capacity = capacityByGroup.GetValueOrDefault(name);
            var spend = rows.Sum(r => r.Cost) + capacity.Actual;
            var baselineSpend = rows.Sum(BaselineVariable) + capacity.Baseline;
            var requests = rows.Sum(r => r.Requests);
            groups.Add(new CostGroup
            {
                Name = name,
                Requests = requests,
                TrafficShare = totalRequests == 0 ? 0 : (double)requests / totalRequests,
                Errors = rows.Sum(r => r.Errors),
                PromptTokens = rows.Sum(r => r.PromptTokens),
                CachedTokens = rows.Sum(r => r.CachedTokens),
                CompletionTokens = rows.Sum(r => r.CompletionTokens),
                ReasoningTokens = rows.Sum(r => r.ReasoningTokens),
                EstimatedRequests = rows.Sum(r => r.EstimatedRequests),
                Spend = spend,
                BaselineSpend = baselineSpend,
                Savings = baselineSpend - spend,
            });
        }

        var tokenSpend = usage.Sum(r => r.Cost);
        var fixedSpend = FixedInWindow(fixedDeployments.Values.Sum(p => p.FixedMonthly));
        var spendTotal = tokenSpend + fixedSpend;
        var baselineVariable = usage.Sum(BaselineVariable);
        var baselineFixedMonthly = neededByBaseline.Sum(d => fixedDeployments[d].FixedMonthly);
        var baselineTotal = baselineVariable + FixedInWindow(baselineFixedMonthly);
        var perDay = DaysPerMonth / (decimal)observedDays;
        var projected = (tokenSpend * perDay) + fixedDeployments.Values.Sum(p => p.FixedMonthly);
        var projectedBaseline = (baselineVariable * perDay) + baselineFixedMonthly;

        var capacityReports = fixedDeployments.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => CapacityReport(p.Key, p.Value, usage, incumbents, baseline, PriceOf, FixedInWindow(p.Value.FixedMonthly), windowDays, perDay))
            .ToList();
        var refused = usage.Where(Refused).Sum(r => r.Requests);
        var notes = CostNotes.For(new CostNotes.Facts(by, windowDays, to - observedStart, firstSeen is not null, fixedSpend, refused, capacityReports,
            fixedDeployments.ToDictionary(p => p.Key, p => p.Value.MarginalPerMtok, StringComparer.Ordinal)));

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
            FixedCapacity = capacityReports,
            Unpriced = usage.Where(r => !Refused(r)).Select(r => r.Deployment).Distinct(StringComparer.Ordinal)
                .Where(d => PriceOf(d).Kind == PriceKind.Unpriced).Order(StringComparer.Ordinal).ToList(),
            RefusedRequests = refused,
            Notes = notes,
        };
    }

    /// <summary>One share of a fixed-cost deployment's capacity for the window, in the actual and the baseline world.</summary>
    /// <param name="Deployment">The fixed-cost deployment.</param>
    /// <param name="Row">The usage the share is charged to; null for idle capacity.</param>
    /// <param name="Actual">Share of the capacity paid in the actual world.</param>
    /// <param name="Baseline">Share of the capacity paid in the baseline world.</param>
    private sealed record CapacityAllocation(string Deployment, UsageRow? Row, decimal Actual, decimal Baseline);

    /// <summary>
    /// Shares out each fixed-cost deployment's capacity for the window:
    /// <code>
    ///   some request has it as baseline?  ─yes─► charged to those requests (by tokens), same shares in both worlds
    ///          │ no
    ///   it served requests?               ─yes─► charged to them (by tokens) in the actual world only
    ///          │ no
    ///   idle: one line, actual world only
    /// </code>
    /// Requests without tokens (errors) are weighed by request count when no request of the set has tokens.
    /// </summary>
    private static List<CapacityAllocation> AllocateCapacity(IReadOnlyList<UsageRow> usage, Dictionary<string, DeploymentPrice> fixedDeployments,
        HashSet<string> neededByBaseline, Func<UsageRow, string?> baselineOf, Func<decimal, decimal> fixedInWindow)
    {
        var allocations = new List<CapacityAllocation>();
        foreach (var (name, price) in fixedDeployments)
        {
            var cost = fixedInWindow(price.FixedMonthly);
            var needed = neededByBaseline.Contains(name);
            var rows = needed
                ? usage.Where(r => baselineOf(r) == name).ToList()
                : usage.Where(r => r.Deployment == name).ToList();
            if (rows.Count == 0)
            {
                allocations.Add(new CapacityAllocation(name, null, cost, 0));
                continue;
            }

            var byTokens = rows.Sum(r => r.PromptTokens + r.CompletionTokens) > 0;
            decimal Weight(UsageRow r) => byTokens ? r.PromptTokens + r.CompletionTokens : r.Requests;
            var total = rows.Sum(Weight);
            foreach (var r in rows)
            {
                var share = cost * Weight(r) / total;
                allocations.Add(new CapacityAllocation(name, r, share, needed ? share : 0));
            }
        }

        return allocations;
    }

    private static FixedCapacityReport CapacityReport(string name, DeploymentPrice p, IReadOnlyList<UsageRow> usage, Dictionary<string, string> incumbents,
        string? baseline, Func<string, DeploymentPrice> priceOf, decimal fixedInWindow, double windowDays, decimal perDay)
    {
        var rows = usage.Where(r => r.Deployment == name).ToList();
        var tokens = rows.Sum(r => r.PromptTokens + r.CompletionTokens);
        var windowCost = fixedInWindow + rows.Sum(r => r.Cost);
        var alternative = baseline is not null && baseline != name
            ? baseline
            : rows.Where(r => r.Route is not null && incumbents.ContainsKey(r.Route!) && incumbents[r.Route!] != name)
                .GroupBy(r => incumbents[r.Route!], StringComparer.Ordinal)
                .OrderByDescending(g => g.Sum(r => r.Requests)).Select(g => g.Key).FirstOrDefault();
        decimal? blended = null;
        decimal? breakEven = null;
        var never = false;
        if (alternative is not null && priceOf(alternative) is { Kind: PriceKind.Tokens } alt && tokens > 0)
        {
            var altCost = rows.Sum(r => alt.CostOf(r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.ReasoningTokens));
            var perToken = altCost / tokens;
            blended = perToken * PerMillion;
            var margin = perToken - (p.MarginalPerMtok / PerMillion);
            breakEven = margin > 0 ? p.FixedMonthly / margin : null;
            never = margin <= 0;
        }

        decimal? capacityPerMonth = p.CapacityTokensPerSecond is double tps ? (decimal)tps * DaysPerMonth * 86_400m : null;
        var observedPerMonth = tokens * perDay;
        return new FixedCapacityReport
        {
            Deployment = name,
            FixedMonthly = p.FixedMonthly,
            WindowCost = windowCost,
            Tokens = tokens,
            Utilisation = p.CapacityTokensPerSecond is double c ? tokens / (c * windowDays * 86_400) : null,
            EffectiveCostPerMtok = tokens == 0 ? null : windowCost / tokens * PerMillion,
            Alternative = alternative,
            BlendedAlternativePerMtok = blended,
            BreakEvenTokensPerMonth = breakEven,
            ObservedTokensPerMonth = observedPerMonth,
            CapacityTokensPerMonth = capacityPerMonth,
            BreakEvenUtilisation = breakEven is decimal be && capacityPerMonth is decimal cap && cap > 0 ? (double)(be / cap) : null,
            BreakEvenNever = never,
            ObservedShareOfBreakEven = breakEven is decimal b && b > 0 ? (double)(observedPerMonth / b) : null,
        };
    }
}
