using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

public sealed class CostReportBuilderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    private static TandemConfig Config => new()
    {
        Deployments =
        [
            new DeploymentConfig { Name = "api", Model = "x", Pricing = new PricingConfig { InputPerMtok = 1m, OutputPerMtok = 4m } },
            new DeploymentConfig { Name = "gpu", Model = "y", Pricing = new PricingConfig { FixedMonthly = 900m, MarginalPerMtok = 0.5m } },
            new DeploymentConfig { Name = "spare", Model = "z", Pricing = new PricingConfig { FixedMonthly = 300m } },
        ],
        Routes = [new RouteConfig { Name = "chat", Deployment = "api" }],
    };

    [Fact]
    public void Build_MigratedTrafficOnMarginallyPricedCapacity_ComputesSavingsAndBreakEven()
    {
        // 10 days of a route whose incumbent is api, half of it moved to gpu.
        UsageRow[] usage =
        [
            new() { Day = new DateOnly(2026, 11, 25), Route = "chat", Deployment = "api", Key = "k", Requests = 100, PromptTokens = 1_000_000, CompletionTokens = 250_000, Cost = 2m },
            new() { Day = new DateOnly(2026, 11, 25), Route = "chat", Deployment = "gpu", Key = "k", Requests = 100, PromptTokens = 1_000_000, CompletionTokens = 250_000, Cost = 0.625m },
        ];
        var report = CostReportBuilder.Build(Config, usage, Now.AddDays(-10), Now, Now.AddDays(-10), CostGrouping.Deployment, null);

        // Fixed: (900 + 300) × 10 / 30 = 400. Spend = 2 + 0.625 + 400. Baseline: gpu's tokens on api = 2, so 4.
        Assert.Equal(400m, report.FixedSpend);
        Assert.Equal(402.625m, report.Spend);
        Assert.Equal(4m, report.BaselineSpend);
        Assert.Equal(4m - 402.625m, report.Savings);
        Assert.Equal(10.0, report.ObservedDays);
        Assert.Equal((2.625m * 3) + 1200m, report.ProjectedMonthlySpend);
        Assert.Equal(300m / 3 * -1 - 0m, report.Groups.Single(g => g.Name == "spare").Savings);

        var gpu = report.FixedCapacity.Single(f => f.Deployment == "gpu");
        Assert.Equal("api", gpu.Alternative);
        Assert.Equal(1.6m, gpu.BlendedAlternativePerMtok); // $2 for 1.25M tokens
        // 900 ÷ (1.6 − 0.5) per 1M tokens = 818.18M tokens a month.
        Assert.Equal(Math.Round(900m / 1.1m * 1_000_000m, 0), Math.Round(gpu.BreakEvenTokensPerMonth!.Value, 0));
        Assert.Equal(1_250_000m * 3, gpu.ObservedTokensPerMonth);
        Assert.Null(gpu.Utilisation);
        var spare = report.FixedCapacity.Single(f => f.Deployment == "spare");
        Assert.Equal((0L, (decimal?)null), (spare.Tokens, spare.EffectiveCostPerMtok));
    }

    [Fact]
    public void Build_ByDayAndKey_GroupsAndShares()
    {
        UsageRow[] usage =
        [
            new() { Day = new DateOnly(2026, 11, 28), Deployment = "api", Key = "a", Requests = 3, Cost = 0.3m },
            new() { Day = new DateOnly(2026, 11, 29), Deployment = "api", Key = "b", Requests = 1, Cost = 0.1m },
        ];
        var byDay = CostReportBuilder.Build(new TandemConfig { Deployments = [Config.Deployments[0]] }, usage, Now.AddDays(-7), Now, null, CostGrouping.Day, null);
        Assert.Equal(["2026-11-28", "2026-11-29"], byDay.Groups.Select(g => g.Name));
        Assert.Equal(0.75, byDay.Groups[0].TrafficShare);
        Assert.True(CostReportBuilder.TryParseGrouping("key", out var key));
        var byKey = CostReportBuilder.Build(new TandemConfig { Deployments = [Config.Deployments[0]] }, usage, Now.AddDays(-7), Now, null, key, null);
        Assert.Equal(["a", "b"], byKey.Groups.Select(g => g.Name));
        Assert.False(CostReportBuilder.TryParseGrouping("colour", out _));
    }
}
