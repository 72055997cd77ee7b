using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// Cost report decisions at their edges: grouping names, a window of zero length, the baseline of refused requests,
/// recorded costs kept where traffic stays, projections from a 3-day window, the alternative a capacity is compared
/// with, and a break-even at exactly the margin. Every figure is worked out by hand beside its assertion.
/// </summary>
public sealed class CostReportEdgeTests
{
    private static readonly DateTimeOffset To = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = To.AddDays(-3);
    private static readonly DateOnly Day = new(2026, 12, 2);

    private static DeploymentConfig Api(string name, decimal input = 1m, decimal output = 1m) =>
        new() { Name = name, Model = "x", Pricing = new PricingConfig { InputPerMtok = input, OutputPerMtok = output } };

    private static DeploymentConfig Gpu(string name, decimal monthly = 3000m, decimal marginal = 0m, double? capacity = null) =>
        new() { Name = name, Model = "y", Pricing = new PricingConfig { FixedMonthly = monthly, MarginalPerMtok = marginal, CapacityTokensPerSecond = capacity } };

    private static UsageRow Row(string? route, string deployment, long prompt, long completion, long requests = 1, decimal cost = 0m) =>
        new() { Day = Day, Route = route, Deployment = deployment, Key = "k", Requests = requests, PromptTokens = prompt, CompletionTokens = completion, Cost = cost };

    [Theory]
    [InlineData(null, CostGrouping.Deployment)]
    [InlineData("", CostGrouping.Deployment)]
    [InlineData("deployment", CostGrouping.Deployment)]
    [InlineData("ROUTE", CostGrouping.Route)]
    [InlineData("key", CostGrouping.Key)]
    [InlineData("Day", CostGrouping.Day)]
    public void TryParseGrouping_KnownNames(string? text, CostGrouping expected)
    {
        Assert.True(CostReportBuilder.TryParseGrouping(text, out var grouping));
        Assert.Equal(expected, grouping);
    }

    [Fact]
    public void TryParseGrouping_UnknownName_IsRefused()
    {
        Assert.False(CostReportBuilder.TryParseGrouping("model", out var grouping));
        Assert.Equal(default, grouping);
    }

    [Fact]
    public void Build_WindowOfZeroLength_IsRefused_AndArgumentsAreRequired()
    {
        var config = new TandemConfig();

        var e = Assert.Throws<ArgumentException>("to", () => CostReportBuilder.Build(config, [], To, To, null, CostGrouping.Deployment, null));
        Assert.StartsWith("the window must end after it starts", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>("config", () => CostReportBuilder.Build(null!, [], From, To, null, CostGrouping.Deployment, null));
        Assert.Throws<ArgumentNullException>("usage", () => CostReportBuilder.Build(config, null!, From, To, null, CostGrouping.Deployment, null));
    }

    [Fact]
    public void Build_RefusedRequests_NeverMakeTheBaselineNeedACapacity()
    {
        // Compared with the fixed-cost gpu, but the only traffic was refused before a deployment was chosen: the
        // baseline pays for no capacity (a baseline of "" would be no deployment at all).
        var config = new TandemConfig { Deployments = [Gpu("gpu")] };
        UsageRow[] usage = [Row(null, "", 0, 0, requests: 4)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, "gpu");

        // gpu's 3 days: 3,000 × 3 / 30 = 300 in the actual world, nothing in the baseline.
        Assert.Equal((300m, 0m, -300m), (report.Spend, report.BaselineSpend, report.Savings));
    }

    [Fact]
    public void Build_TrafficThatStaysOnItsBaseline_KeepsItsRecordedCost()
    {
        // The recorded 0.5 stands for what the upstream billed (e.g. a price change since): where the baseline is the
        // deployment that served, the baseline world costs the same 0.5, not the configured price of its tokens.
        var config = new TandemConfig { Deployments = [Api("api")], Routes = [new RouteConfig { Name = "r", Deployment = "api" }] };
        UsageRow[] usage = [Row("r", "api", 1000, 1000, cost: 0.5m)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal((0.5m, 0.5m, 0m), (report.Spend, report.BaselineSpend, report.Savings));
    }

    [Fact]
    public void Build_ByRoute_DirectCallsAreTheirOwnLine_AndATieredRoutesIncumbentIsItsTopTier()
    {
        var config = new TandemConfig
        {
            Deployments = [Api("small", 1m, 1m), Api("big", 10m, 10m)],
            Routes =
            [
                new RouteConfig
                {
                    Name = "t",
                    Tiers = new TiersConfig { Levels = [new TierConfig { Min = 0, Deployment = "small" }, new TierConfig { Min = 0.6, Deployment = "big" }] },
                },
            ],
        };
        // Tier route traffic on small, compared with its incumbent big: 1,000 tokens at 10 $/1M = 0.01 instead of 0.001.
        UsageRow[] usage = [Row("t", "small", 500, 500, cost: 0.001m), Row(null, "small", 100, 0, cost: 0.0001m)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Route, null);

        var lines = report.Groups.ToDictionary(g => g.Name, g => (g.Spend, g.BaselineSpend));
        Assert.Equal((0.0001m, 0.0001m), lines["(direct)"]);
        Assert.Equal((0.001m, 0.01m), lines["t"]);
    }

    [Fact]
    public void Build_NoTraffic_IdleCapacityHasNoTrafficShare()
    {
        var config = new TandemConfig { Deployments = [Gpu("gpu")] };

        var report = CostReportBuilder.Build(config, [], From, To, null, CostGrouping.Route, null);

        var idle = Assert.Single(report.Groups);
        Assert.Equal(("(idle capacity: gpu)", 0.0, 300m), (idle.Name, idle.TrafficShare, idle.Spend));
    }

    [Fact]
    public void Build_ThreeDayWindow_ProjectsTenTimesTheVariableCostPlusAMonthOfCapacity()
    {
        // Routes on api, compared with --baseline api2 (twice the price): 3 days of records → × 10 for 30 days.
        var config = new TandemConfig { Deployments = [Api("api", 1m, 1m), Api("api2", 2m, 2m), Gpu("gpu", 900m)] };
        UsageRow[] usage = [Row("r", "api", 600, 400, cost: 0.001m)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, "api2");

        // Actual: 0.001 × 10 + 900 (gpu's month) = 900.01. Baseline: 1,000 tokens at 2 $/1M = 0.002 × 10 = 0.02, and
        // no gpu (nothing would run on it). Savings: 0.02 − 900.01.
        Assert.Equal(3.0, report.ObservedDays);
        Assert.Equal(900.01m, report.ProjectedMonthlySpend);
        Assert.Equal(0.02m - 900.01m, report.ProjectedMonthlySavings);
    }

    [Fact]
    public void Build_RecordsOnlySecondsOld_ProjectFromAtLeastAMinute()
    {
        var config = new TandemConfig { Deployments = [Api("api")] };
        UsageRow[] usage = [Row("r", "api", 600, 400, cost: 0.001m)];

        var report = CostReportBuilder.Build(config, usage, From, To, To.AddSeconds(-20), CostGrouping.Deployment, null);

        // 20 s of history count as 1 minute: 1 / 1,440 of a day; 30 days ÷ that = 43,200 times 0.001.
        Assert.Equal(1.0 / 1440, report.ObservedDays, 12);
        Assert.Equal(43.2m, Math.Round(report.ProjectedMonthlySpend, 6));
    }

    [Fact]
    public void Build_SharesByTokens_EvenWhenAnswersOutweighPrompts()
    {
        // Only completion tokens: r1 300 (1 request), r2 100 (3 requests). By tokens r1 takes 300 / 400 × 300 = 225.
        var config = new TandemConfig
        {
            Deployments = [Gpu("gpu")],
            Routes = [new RouteConfig { Name = "r1", Deployment = "gpu" }, new RouteConfig { Name = "r2", Deployment = "gpu" }],
        };
        UsageRow[] usage = [Row("r1", "gpu", 0, 300, requests: 1), Row("r2", "gpu", 0, 100, requests: 3)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal([225m, 75m], report.Groups.Select(g => g.Spend));
    }

    [Fact]
    public void Build_FixedCapacities_AndUnpricedDeployments_AreListedInNameOrder()
    {
        var config = new TandemConfig { Deployments = [Gpu("zeta"), Gpu("alpha"), new DeploymentConfig { Name = "u2", Model = "m" }, new DeploymentConfig { Name = "u1", Model = "m" }] };
        UsageRow[] usage = [Row(null, "u2", 1, 1), Row(null, "u1", 1, 1), Row(null, "u2", 1, 1)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, null);

        Assert.Equal(["alpha", "zeta"], report.FixedCapacity.Select(c => c.Deployment));
        Assert.Equal(["u1", "u2"], report.Unpriced);
    }

    [Fact]
    public void CapacityReport_WindowCostUtilisationAndEffectivePrice()
    {
        // gpu: 3,000 a month, marginal 10 $/1M, 2 tokens/s. Over 3 days: 300 fixed plus the recorded marginal cost of
        // 60,000 tokens, 0.6 → 300.6. Utilisation: 60,000 ÷ (2 × 3 × 86,400) = 60,000 ÷ 518,400 = 0.115741.
        // Effective price: 300.6 ÷ 60,000 × 1M = 5,010 $/1M.
        var config = new TandemConfig { Deployments = [Gpu("gpu", 3000m, 10m, 2)], Routes = [new RouteConfig { Name = "r", Deployment = "gpu" }] };
        UsageRow[] usage = [Row("r", "gpu", 40_000, 20_000, cost: 0.6m)];

        var capacity = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, null).FixedCapacity.Single();

        Assert.Equal((300.6m, 60_000L), (capacity.WindowCost, capacity.Tokens));
        Assert.Equal(60_000.0 / 518_400, capacity.Utilisation!.Value, 12);
        Assert.Equal(5010m, capacity.EffectiveCostPerMtok);
        Assert.Equal(2m * 30 * 86_400, capacity.CapacityTokensPerMonth);
        Assert.Null(capacity.Alternative); // its only route stands on it: nothing to compare with
    }

    [Fact]
    public void CapacityReport_NoTokens_HasNoEffectivePrice()
    {
        var config = new TandemConfig { Deployments = [Gpu("gpu")] };

        var capacity = CostReportBuilder.Build(config, [], From, To, null, CostGrouping.Deployment, null).FixedCapacity.Single();

        Assert.Equal((0L, (decimal?)null, 300m), (capacity.Tokens, capacity.EffectiveCostPerMtok, capacity.WindowCost));
    }

    [Fact]
    public void CapacityReport_Alternative_IsTheIncumbentOfMostRequests_NotTheBiggestRow()
    {
        // gpu serves traffic of routes whose incumbents are a (two rows of 10 requests: 20) and b (one row of 15), and
        // direct calls (no route). The alternative is a: 20 requests against 15.
        var config = new TandemConfig
        {
            Deployments = [Api("a"), Api("b"), Gpu("gpu")],
            Routes = [new RouteConfig { Name = "ra", Deployment = "a" }, new RouteConfig { Name = "ra2", Deployment = "a" }, new RouteConfig { Name = "rb", Deployment = "b" }],
        };
        UsageRow[] usage = [Row("ra", "gpu", 10, 10, requests: 10), Row("ra2", "gpu", 10, 10, requests: 10), Row("rb", "gpu", 10, 10, requests: 15), Row(null, "gpu", 10, 10, requests: 50)];

        var byIncumbents = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, null).FixedCapacity.Single();
        var byItself = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, "gpu").FixedCapacity.Single();
        var byBaseline = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, "b").FixedCapacity.Single();

        Assert.Equal("a", byIncumbents.Alternative);
        Assert.Equal("a", byItself.Alternative); // compared with itself means nothing: the incumbents again
        Assert.Equal("b", byBaseline.Alternative);
    }

    [Fact]
    public void CapacityReport_AlternativeAtExactlyTheMarginalPrice_NeverBreaksEven()
    {
        // api at 0.02 $/1M in and out, gpu's margin 0.02 $/1M: each token saves nothing, so no volume pays back the
        // fixed cost.
        var config = new TandemConfig
        {
            Deployments = [Api("api", 0.02m, 0.02m), Gpu("gpu", 3000m, 0.02m, 100)],
            Routes = [new RouteConfig { Name = "r", Deployment = "api" }],
        };
        UsageRow[] usage = [Row("r", "gpu", 1000, 1000, cost: 0.00004m)];

        var capacity = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, null).FixedCapacity.Single();

        Assert.Equal(("api", 0.02m, true), (capacity.Alternative, capacity.BlendedAlternativePerMtok, capacity.BreakEvenNever));
        Assert.Null(capacity.BreakEvenTokensPerMonth);
        Assert.Null(capacity.BreakEvenUtilisation);
        Assert.Null(capacity.ObservedShareOfBreakEven);
    }

    [Fact]
    public void CapacityReport_FreeCapacity_BreaksEvenAtOnce_WithoutDividingByZero()
    {
        // fixed_monthly 0 (hardware already paid for): break-even at 0 tokens; no share of 0 and no utilisation of
        // a capacity of 0 tokens/s.
        var config = new TandemConfig
        {
            Deployments = [Api("api", 1m, 1m), Gpu("gpu", 0m, 0m, 0)],
            Routes = [new RouteConfig { Name = "r", Deployment = "api" }],
        };
        UsageRow[] usage = [Row("r", "gpu", 1000, 1000)];

        var capacity = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Deployment, null).FixedCapacity.Single();

        Assert.Equal((0m, false), (capacity.BreakEvenTokensPerMonth, capacity.BreakEvenNever));
        Assert.Null(capacity.ObservedShareOfBreakEven);
        Assert.Null(capacity.BreakEvenUtilisation);
    }
}
