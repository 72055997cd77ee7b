using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// Fixed-cost capacity in cost reports: savings when one self-hosted deployment serves several routes, projections
/// from histories shorter than a day, break-even against capacity, and refused requests (issue 18, items 3 and 13a).
/// </summary>
public sealed class CostReportCapacityTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly Today = new(2026, 12, 2);

    /// <summary>The README's shape: route r-onprem runs on onprem, and r-split sends 30 % of its traffic there too.</summary>
    private static TandemConfig Config(decimal apiIn = 0.15m, decimal apiOut = 0.60m, double capacity = 2500) => new()
    {
        Deployments =
        [
            new DeploymentConfig { Name = "api", Model = "x", Pricing = new PricingConfig { InputPerMtok = apiIn, OutputPerMtok = apiOut } },
            new DeploymentConfig { Name = "onprem", Model = "y", Pricing = new PricingConfig { FixedMonthly = 1200m, MarginalPerMtok = 0.02m, CapacityTokensPerSecond = capacity } },
        ],
        Routes =
        [
            new RouteConfig { Name = "r-api", Deployment = "api" },
            new RouteConfig { Name = "r-onprem", Deployment = "onprem" },
            new RouteConfig { Name = "r-split", Split = [new SplitArmConfig { Deployment = "api", Weight = 70 }, new SplitArmConfig { Deployment = "onprem", Weight = 30 }] },
        ],
    };

    // Recorded costs, by hand: onprem charges 0.02 $/1M tokens at the margin; api 0.15 $/1M in and 0.60 $/1M out.
    //   r-onprem on onprem: 2,000 + 1,000 = 3,000 tokens × 0.02 = 60 µ$
    //   r-split  on onprem: 1,100 +   700 = 1,800 tokens × 0.02 = 36 µ$   (on api it would be 1,100 × 0.15 + 700 × 0.60 = 585 µ$)
    //   r-split  on api:    2,900 × 0.15 + 2,800 × 0.60 = 435 + 1,680 = 2,115 µ$
    //   r-api    on api:    1,000 × 0.15 +   500 × 0.60 = 150 +   300 =   450 µ$
    private static UsageRow[] Usage =>
    [
        new() { Day = Today, Route = "r-onprem", Deployment = "onprem", Key = "k", Requests = 50, PromptTokens = 2_000, CompletionTokens = 1_000, Cost = 0.000060m },
        new() { Day = Today, Route = "r-split", Deployment = "onprem", Key = "k", Requests = 30, PromptTokens = 1_100, CompletionTokens = 700, Cost = 0.000036m },
        new() { Day = Today, Route = "r-split", Deployment = "api", Key = "k", Requests = 70, PromptTokens = 2_900, CompletionTokens = 2_800, Cost = 0.002115m },
        new() { Day = Today, Route = "r-api", Deployment = "api", Key = "k", Requests = 10, PromptTokens = 1_000, CompletionTokens = 500, Cost = 0.000450m },
    ];

    [Fact]
    public void Build_FixedCostDeploymentServingSeveralRoutes_SavesTheApiPriceMinusTheMarginalPrice()
    {
        var report = CostReportBuilder.Build(Config(), Usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Route, null);

        // Actual: 60 + 36 + 2,115 + 450 = 2,661 µ$ of tokens, plus 1,200 for 30 days of onprem.
        // Baseline (each route's incumbent; r-split's is api, its heaviest arm): r-onprem stays on onprem, which is
        // therefore paid in full there too: 60 µ$ + 1,200; r-split's onprem traffic at api prices 585 µ$; the rest
        // as recorded, 2,115 + 450 µ$. Savings: 585 − 36 = 549 µ$, the API price of the moved tokens minus their margin.
        Assert.Equal(1200.002661m, report.Spend);
        Assert.Equal(1200.003210m, report.BaselineSpend);
        Assert.Equal(0.000549m, report.Savings);

        // Per route, the capacity r-onprem pays for in both worlds cancels out; r-split saved what it moved.
        var byRoute = report.Groups.ToDictionary(g => g.Name);
        Assert.Equal(["r-api", "r-onprem", "r-split"], byRoute.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((1200.000060m, 1200.000060m, 0m), (byRoute["r-onprem"].Spend, byRoute["r-onprem"].BaselineSpend, byRoute["r-onprem"].Savings));
        Assert.Equal((0.002151m, 0.002700m, 0.000549m), (byRoute["r-split"].Spend, byRoute["r-split"].BaselineSpend, byRoute["r-split"].Savings));
        Assert.Equal(0m, byRoute["r-api"].Savings);

        // The 30-day projection agrees in sign and size: the window is a whole month of history.
        Assert.Equal(30.0, report.ObservedDays);
        Assert.Equal(1200.002661m, report.ProjectedMonthlySpend);
        Assert.Equal(0.000549m, report.ProjectedMonthlySavings);
    }

    [Fact]
    public void Build_ByDeployment_EachLineCarriesItsOwnCapacity()
    {
        var report = CostReportBuilder.Build(Config(), Usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Deployment, null);
        var onprem = report.Groups.Single(g => g.Name == "onprem");
        // Actual: 60 + 36 µ$ + 1,200. Baseline: 60 µ$ (stays) + 585 µ$ (on api) + 1,200 (r-onprem needs it anyway).
        Assert.Equal((1200.000096m, 1200.000645m, 0.000549m), (onprem.Spend, onprem.BaselineSpend, onprem.Savings));
        Assert.Equal(0m, report.Groups.Single(g => g.Name == "api").Savings);
    }

    [Fact]
    public void Build_BreakEven_IsComparedWithCapacity()
    {
        var report = CostReportBuilder.Build(Config(), Usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Deployment, null);
        var onprem = report.FixedCapacity.Single();

        // onprem's 4,800 tokens at api prices: r-onprem 2,000 × 0.15 + 1,000 × 0.60 = 900 µ$, r-split 585 µ$:
        // 1,485 µ$ ÷ 4,800 tokens = 0.309375 $/1M. Break-even: 1,200 ÷ (0.309375 − 0.02) $/1M = 4,146,868,250.54 tokens a
        // month. Capacity: 2,500 tokens/s × 2,592,000 s = 6,480,000,000 tokens a month, so break-even needs 64.0 %.
        Assert.Equal("api", onprem.Alternative);
        Assert.Equal(0.309375m, onprem.BlendedAlternativePerMtok);
        Assert.Equal(4_146_868_250.54m, Math.Round(onprem.BreakEvenTokensPerMonth!.Value, 2));
        Assert.Equal(6_480_000_000m, onprem.CapacityTokensPerMonth);
        Assert.Equal(0.639949, onprem.BreakEvenUtilisation!.Value, 6);
        Assert.False(onprem.BreakEvenNever);
        Assert.Equal(4_800m, onprem.ObservedTokensPerMonth);
        Assert.Equal(4_800 / 4_146_868_250.54, onprem.ObservedShareOfBreakEven!.Value, 12);
        Assert.Equal(["onprem: break-even against api needs 64 % sustained utilisation (1,600 of 2,500 tokens/s); observed traffic is 0.0001 % of it."],
            report.Notes);
    }

    [Fact]
    public void Build_BreakEvenAboveCapacity_SaysItCannotPayForItself()
    {
        // 10 tokens/s: 25,920,000 tokens a month, 160 times less than the 4,146,868,250.54 break-even needs (15,999 %).
        var report = CostReportBuilder.Build(Config(capacity: 10), Usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Deployment, null);
        var onprem = report.FixedCapacity.Single();
        Assert.Equal(4_146_868_250.54 / 25_920_000, onprem.BreakEvenUtilisation!.Value, 6);
        Assert.Contains("onprem: break-even against api needs 4,146,868,251 tokens a month, 15,999 % of what its capacity serves (25,920,000 at 10 tokens/s): "
            + "it cannot pay for itself at this capacity.", report.Notes);
    }

    [Fact]
    public void Build_ApiCheaperThanTheMargin_BreakEvenNever()
    {
        // api at 0.01 $/1M in and out is below onprem's 0.02 $/1M margin: no volume pays back 1,200 a month.
        var report = CostReportBuilder.Build(Config(apiIn: 0.01m, apiOut: 0.01m), Usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Deployment, null);
        var onprem = report.FixedCapacity.Single();
        Assert.True(onprem.BreakEvenNever);
        Assert.Null(onprem.BreakEvenTokensPerMonth);
        Assert.Null(onprem.BreakEvenUtilisation);
        Assert.Equal(0.01m, onprem.BlendedAlternativePerMtok);
        Assert.Equal(["onprem: api costs $0.01 per 1M tokens of this mix, no more than the marginal $0.02: no volume pays back the fixed cost against api."],
            report.Notes);
    }

    [Theory]
    [InlineData(12.0, 12.0, 60)] // --since 12h, records all through it: 30 days ÷ 0.5 day
    [InlineData(720.0, 3.0, 240)] // --since 30d on a deployment's first day, 3 hours of records: 30 days ÷ 0.125 day
    [InlineData(720.0, 36.0, 20)] // 36 hours of records: 30 ÷ 1.5
    public void Build_ProjectionFromLessThanAWindowOrADay_UsesTheObservedRate(double windowHours, double historyHours, int multiplier)
    {
        UsageRow[] usage = [new() { Day = Today, Route = "r-api", Deployment = "api", Key = "k", Requests = 4, PromptTokens = 1_000, CompletionTokens = 500, Cost = 0.000450m }];
        var report = CostReportBuilder.Build(Config(), usage, Now.AddHours(-windowHours), Now, Now.AddHours(-historyHours), CostGrouping.Deployment, null);
        Assert.Equal(historyHours / 24, report.ObservedDays, 12);
        // Token spend × multiplier, plus onprem's 1,200 a month.
        Assert.Equal(Math.Round((0.000450m * multiplier) + 1200m, 12), Math.Round(report.ProjectedMonthlySpend, 12));
    }

    [Fact]
    public void Build_RecordsCoverAFewMinutesOfTheWindow_NotesTheWholeFixedChargeAndTheRoughProjection()
    {
        UsageRow[] usage = [new() { Day = Today, Route = "r-api", Deployment = "api", Key = "k", Requests = 4, PromptTokens = 1_000, CompletionTokens = 500, Cost = 0.000450m }];
        var report = CostReportBuilder.Build(Config(), usage, Now.AddDays(-30), Now, Now.AddMinutes(-10), CostGrouping.Day, null);
        Assert.Equal(
        [
            "Records cover only the last 10 minutes of the window of 30 days, but fixed capacity is charged for the whole window: $1,200.00.",
            "Projections scale 10 minutes of records up to 30 days; so short a history makes them rough.",
            "By day, a capacity's fixed cost goes to the days of the traffic it is charged to, by tokens; a day without that traffic shows none of it.",
        ], report.Notes);
    }

    [Fact]
    public void Build_RefusedRequests_AreTheirOwnLineAtNoCostAndNeverUnpriced()
    {
        // Refused after authentication (unknown model, bad JSON): recorded with no route and no deployment.
        UsageRow[] usage =
        [
            new() { Day = Today, Route = "r-api", Deployment = "api", Key = "k", Requests = 4, PromptTokens = 1_000, CompletionTokens = 500, Cost = 0.000450m },
            new() { Day = Today, Route = null, Deployment = "", Key = "k", Requests = 3, Errors = 3 },
        ];
        var byDeployment = CostReportBuilder.Build(Config(), usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Deployment, "api");
        var refused = byDeployment.Groups.Single(g => g.Name == "(refused)");
        Assert.Equal((3L, 3L, 0m, 0m), (refused.Requests, refused.Errors, refused.Spend, refused.BaselineSpend));
        Assert.Empty(byDeployment.Unpriced);
        Assert.Equal(3, byDeployment.RefusedRequests);
        Assert.Contains("3 request(s) were refused before a deployment was chosen (bad request, unknown model, or a route the key may not use): listed as (refused), at no cost.",
            byDeployment.Notes);
        Assert.DoesNotContain(byDeployment.Groups, g => g.Name.Length == 0);

        var byRoute = CostReportBuilder.Build(Config(), usage, Now.AddDays(-30), Now, Now.AddDays(-30), CostGrouping.Route, null);
        Assert.Equal(["(idle capacity: onprem)", "(refused)", "r-api"], byRoute.Groups.Select(g => g.Name));
    }
}
