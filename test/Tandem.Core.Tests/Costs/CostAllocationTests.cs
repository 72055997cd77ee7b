using Tandem.Configuration;
using Tandem.Costs;
using Xunit;

namespace Tandem.Core.Tests.Costs;

/// <summary>
/// How a fixed-cost deployment's capacity for the window is spread over the lines of a breakdown (by route, key or
/// day): by tokens, by requests when no request of the set has tokens, in both worlds when the baseline needs the
/// capacity and in the actual world only when it does not, and as an idle line when nothing ran on it.
/// </summary>
/// <remarks>
/// The capacity: gpu at 3,000 a 30-day month. Over a 3-day window it costs 3,000 × 3 / 30 = 300.
/// </remarks>
public sealed class CostAllocationTests
{
    private static readonly DateTimeOffset To = new(2026, 12, 3, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = To.AddDays(-3);
    private static readonly DateOnly Day1 = new(2026, 12, 1);
    private static readonly DateOnly Day2 = new(2026, 12, 2);

    private static TandemConfig Config() => new()
    {
        Deployments =
        [
            new DeploymentConfig { Name = "api", Model = "x", Pricing = new PricingConfig { InputPerMtok = 1m, OutputPerMtok = 1m } },
            new DeploymentConfig { Name = "gpu", Model = "y", Pricing = new PricingConfig { FixedMonthly = 3000m } },
        ],
        Routes =
        [
            new RouteConfig { Name = "r1", Deployment = "gpu" },
            new RouteConfig { Name = "r2", Deployment = "gpu" },
            new RouteConfig { Name = "r3", Deployment = "api" },
        ],
    };

    private static UsageRow Row(string route, string deployment, long prompt, long completion, long requests = 1, string key = "k", DateOnly? day = null, decimal cost = 0m) =>
        new() { Day = day ?? Day1, Route = route, Deployment = deployment, Key = key, Requests = requests, PromptTokens = prompt, CompletionTokens = completion, Cost = cost };

    private static Dictionary<string, (decimal Spend, decimal Baseline)> Lines(CostReport report) =>
        report.Groups.ToDictionary(g => g.Name, g => (g.Spend, g.BaselineSpend));

    [Fact]
    public void ByRoute_CapacityTheBaselineNeeds_IsSharedByTokens_InBothWorlds()
    {
        // r1 used 200 + 100 = 300 tokens of gpu, r2 80 + 20 = 100: shares 300 / 400 × 300 = 225 and 100 / 400 × 300 = 75.
        // Both routes stand on gpu, so the baseline pays the same shares. r3 runs on api at 1 $/1M: 1,000 tokens, 0.001.
        UsageRow[] usage = [Row("r1", "gpu", 200, 100), Row("r2", "gpu", 80, 20), Row("r3", "api", 500, 500, cost: 0.001m)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["r1"] = (225m, 225m), ["r2"] = (75m, 75m), ["r3"] = (0.001m, 0.001m) }, Lines(report));
        Assert.Equal((300.001m, 300m), (report.Spend, report.FixedSpend));
    }

    [Fact]
    public void ByRoute_CapacityTheBaselineDoesNotNeed_IsChargedInTheActualWorldOnly()
    {
        // Against --baseline api nothing would run on gpu: the same 225 / 75 shares are spent, and in the baseline the
        // routes' tokens cost api's 1 $/1M: r1 300 tokens → 0.0003, r2 100 → 0.0001.
        UsageRow[] usage = [Row("r1", "gpu", 200, 100), Row("r2", "gpu", 80, 20)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, "api");

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["r1"] = (225m, 0.0003m), ["r2"] = (75m, 0.0001m) }, Lines(report));
        Assert.Equal((300m, 0.0004m, -299.9996m), (report.Spend, report.BaselineSpend, report.Savings));
    }

    [Fact]
    public void ByRoute_NoRequestHasTokens_SharesByRequests()
    {
        // Only failed requests (no tokens): r1 3 requests, r2 1: 3 / 4 × 300 = 225 and 75.
        UsageRow[] usage = [Row("r1", "gpu", 0, 0, requests: 3), Row("r2", "gpu", 0, 0, requests: 1)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["r1"] = (225m, 225m), ["r2"] = (75m, 75m) }, Lines(report));
    }

    [Fact]
    public void ByRoute_SomeRowsHaveTokens_RowsWithoutTokensGetNoShare()
    {
        // r1 has 100 tokens, r2 only failed requests: by tokens, r1 takes all 300 and r2 none.
        UsageRow[] usage = [Row("r1", "gpu", 60, 40), Row("r2", "gpu", 0, 0, requests: 9)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["r1"] = (300m, 300m), ["r2"] = (0m, 0m) }, Lines(report));
    }

    [Fact]
    public void ByRoute_NothingRanOnTheCapacity_ItIsAnIdleLine_InTheActualWorldOnly()
    {
        UsageRow[] usage = [Row("r3", "api", 500, 500, cost: 0.001m)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["(idle capacity: gpu)"] = (300m, 0m), ["r3"] = (0.001m, 0.001m) }, Lines(report));
        Assert.Equal(["(idle capacity: gpu)", "r3"], report.Groups.Select(g => g.Name));
    }

    [Fact]
    public void ByKey_SharesFollowEachKeysTokens()
    {
        // Keys on r1 and r2: a has 100 + 50 = 150 tokens, b 50 + 100 = 150, c only failed requests: of 300 tokens,
        // a and b take 150 / 300 × 300 = 150 each, c nothing.
        UsageRow[] usage =
        [
            Row("r1", "gpu", 100, 50, key: "a"), Row("r2", "gpu", 50, 0, key: "b"), Row("r1", "gpu", 100, 0, key: "b"), Row("r2", "gpu", 0, 0, requests: 5, key: "c"),
        ];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Key, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["a"] = (150m, 150m), ["b"] = (150m, 150m), ["c"] = (0m, 0m) }, Lines(report));
    }

    [Fact]
    public void ByDay_TheCapacityGoesToTheDaysOfItsTraffic()
    {
        // Day 1: 100 tokens on gpu, day 2: 300; day 3 had no traffic and shows none: 100 / 400 × 300 = 75, 225.
        UsageRow[] usage = [Row("r1", "gpu", 100, 0, day: Day1), Row("r2", "gpu", 200, 100, day: Day2)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Day, null);

        Assert.Equal(new Dictionary<string, (decimal, decimal)> { ["2026-12-01"] = (75m, 75m), ["2026-12-02"] = (225m, 225m) }, Lines(report));
    }

    [Fact]
    public void ByDeployment_TheCapacityLineCarriesItWhole()
    {
        UsageRow[] usage = [Row("r1", "gpu", 200, 100), Row("r2", "gpu", 80, 20), Row("r3", "api", 500, 500, cost: 0.001m)];

        var needed = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Deployment, null);
        var notNeeded = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Deployment, "api");

        Assert.Equal((300m, 300m), Lines(needed)["gpu"]);
        // Against api: gpu's 400 tokens would cost 0.0004 there, and its capacity would not be paid.
        Assert.Equal((300m, 0.0004m), Lines(notNeeded)["gpu"]);
        Assert.Equal((0.001m, 0.001m), Lines(notNeeded)["api"]);
    }

    [Fact]
    public void Shares_AddUpToTheWholeCapacity_WhenTheyDoNotDivideEvenly()
    {
        // Three routes with 1 token each: 100 apiece, exactly, and the lines add up to the 300 of the window.
        var config = Config() with { Routes = [.. Config().Routes, new RouteConfig { Name = "r4", Deployment = "gpu" }] };
        UsageRow[] usage = [Row("r1", "gpu", 1, 0), Row("r2", "gpu", 1, 0), Row("r4", "gpu", 1, 0)];

        var report = CostReportBuilder.Build(config, usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal([100m, 100m, 100m], report.Groups.Select(g => g.Spend));
        Assert.Equal(300m, report.Groups.Sum(g => g.Spend));
    }

    [Fact]
    public void TrafficShare_IsRequestsOverAllRequests()
    {
        UsageRow[] usage = [Row("r1", "gpu", 1, 0, requests: 3), Row("r3", "api", 1, 0, requests: 1)];

        var report = CostReportBuilder.Build(Config(), usage, From, To, From, CostGrouping.Route, null);

        Assert.Equal([0.75, 0.25], report.Groups.Select(g => g.TrafficShare));
        Assert.Equal(4, report.Requests);
    }
}
