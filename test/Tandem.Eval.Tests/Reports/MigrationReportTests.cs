using Tandem.Eval.Reports.Migration;
using Tandem.Migration;
using Xunit;

namespace Tandem.Eval.Tests.Reports;

/// <summary>The migration success report, with its figures worked out by hand.</summary>
public sealed class MigrationReportTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static MigrationEvent Event(long id, double hours, string kind, string? to, string trigger) =>
        new() { Id = id, Route = "support", Time = T0.AddHours(hours), Kind = kind, To = to, Trigger = trigger };

    private static MigrationReport Report(string route = "support") => MigrationReportBuilder.Build(route, "cutover",
        new SideFigures { Deployment = "gpt-4o", Requests = 900, Errors = 9, Cost = 1.35m, P95Ms = 800 },
        new SideFigures { Deployment = "llama-8b", Requests = 100, Errors = 2, Cost = 0.02m, P95Ms = 400 },
        // Out of order on purpose; the drift event has no stage and is skipped.
        [Event(3, 72, "advance", "cutover", "dashboard:admin"), Event(1, 0, "start", "shadow", "config"), Event(4, 50, "drift", null, "auto"), Event(2, 48, "advance", "canary", "auto")],
        agreement: 0.93, judgeScore: 4.2, from: T0, now: T0.AddHours(78));

    [Fact]
    public void Build_BeforeAndAfter_CostPerThousandErrorRateAndShare()
    {
        var r = Report();
        // Before: $1.35 ÷ 900 × 1,000 = $1.50; 9 ÷ 900 = 1 %; 900 ÷ 1,000 = 90 %. After: $0.02 ÷ 100 × 1,000 = $0.20; 2 %; 10 %.
        Assert.Equal((1.5m, 0.01, 0.9), (r.Before.CostPerThousand!.Value, r.Before.ErrorRate!.Value, r.Before.TrafficShare));
        Assert.Equal((0.2m, 0.02, 0.1), (r.After.CostPerThousand!.Value, r.After.ErrorRate!.Value, r.After.TrafficShare));
        Assert.Equal(-1.3m, r.CostPerThousandChange);
        Assert.Equal((0.93, 4.2), (r.Agreement!.Value, r.JudgeScore!.Value));
    }

    [Fact]
    public void Build_Stages_LastUntilTheNextChangeOrTheReport()
    {
        // shadow 0 → 48 h, canary 48 → 72 h, cutover 72 → 78 h (the report's time).
        Assert.Equal(
            [new StageTime("shadow", T0, 48, "config"), new StageTime("canary", T0.AddHours(48), 24, "auto"), new StageTime("cutover", T0.AddHours(72), 6, "dashboard:admin")],
            Report().Stages);
    }

    [Fact]
    public void Build_NoTraffic_LeavesRatesUnknown()
    {
        var r = MigrationReportBuilder.Build("r", "shadow", new SideFigures { Deployment = "a" }, new SideFigures { Deployment = "b" }, [], null, null, T0, T0);
        Assert.Equal(((decimal?)null, (double?)null, 0.0, (decimal?)null), (r.Before.CostPerThousand, r.Before.ErrorRate, r.Before.TrafficShare, r.CostPerThousandChange));
        Assert.Empty(r.Stages);
    }

    [Fact]
    public void Html_IsSelfContainedAndShowsTheFigures()
    {
        var html = MigrationReportHtml.Render(Report("<b>x</b>"));
        Assert.Contains("data-before=\"cost_per_1000\">$1.5000</td>", html, StringComparison.Ordinal);
        Assert.Contains("data-after=\"cost_per_1000\">$0.2000</td>", html, StringComparison.Ordinal);
        Assert.Contains("data-after=\"share\">10.0%</td>", html, StringComparison.Ordinal);
        Assert.Contains("changed by <strong>−$1.3000</strong>", html, StringComparison.Ordinal);
        Assert.Contains("route &lt;b&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_CarriesTheSameFigures()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(MigrationReportHtml.Json(Report()));
        Assert.Equal(0.2m, doc.RootElement.GetProperty("after").GetProperty("cost_per_thousand").GetDecimal());
        Assert.Equal(3, doc.RootElement.GetProperty("stages").GetArrayLength());
    }
}
