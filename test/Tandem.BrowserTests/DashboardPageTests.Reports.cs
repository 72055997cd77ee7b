using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit;

namespace Tandem.BrowserTests;

/// <summary>The decision and migration report pages: what they show is what the admin API answers for the same inputs.</summary>
public sealed partial class DashboardPageTests
{
    private static string Number(JsonElement e) => e.ValueKind == JsonValueKind.Null ? "" : e.GetRawText();

    [Fact]
    public async Task Decision_FormWithPrices_ShowsWhatTheAdminApiAnswersForTheSameAnswers()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await OpenAsync(page, "decision");
        // The defaults ran on opening: no GPU has a price, so the report says so.
        await page.Locator("[data-decision-report][data-ready=true][data-runs='1']").WaitForAsync();
        Assert.Equal("Stay", await page.Locator("[data-figure=decision-recommendation]").GetAttributeAsync("data-value"));

        await page.Locator("[data-form=decision] input[name='gpu:L4']").FillAsync("0.80");
        await page.Locator("[data-form=decision] input[name=ops_monthly_usd]").FillAsync("500");
        await page.Locator("[data-form=decision] select[name=privacy]").SelectOptionAsync("some_routes");
        await page.Locator("[data-form=decision] button[type=submit]").ClickAsync();
        await page.Locator("[data-decision-report][data-ready=true][data-runs='2']").WaitForAsync();

        using var response = await fixture.Admin.PostAsync("admin/reports/decision?since=30d", JsonContent.Create(new Dictionary<string, object?>
        {
            ["privacy"] = "some_routes", ["customisation"] = "none", ["team_skills"] = "some", ["budget_monthly_usd"] = null, ["model_size"] = "8b",
            ["quantisation"] = "fp16", ["gpu_hourly_usd"] = new Dictionary<string, decimal> { ["L4"] = 0.80m }, ["ops_monthly_usd"] = 500, ["target_utilisation"] = 0.5,
        }), Ct);
        response.EnsureSuccessStatusCode();
        var api = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;

        // Privacy some_routes lifts "stay" to hybrid (docs/DECISION.md rule 5), whatever the costs.
        Assert.Equal("Hybrid", api.GetProperty("recommendation").GetString());
        Assert.Equal(api.GetProperty("recommendation").GetString(), await page.Locator("[data-figure=decision-recommendation]").GetAttributeAsync("data-value"));
        Assert.Equal(api.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!), await page.Locator("[data-reasons] li").AllTextContentsAsync());
        var traffic = api.GetProperty("traffic");
        Assert.Equal(Number(traffic.GetProperty("requests")), await page.Locator("[data-figure=decision-requests]").GetAttributeAsync("data-value"));
        Assert.Equal((DashboardFixture.ChatRequests + DashboardFixture.DirectRequests).ToString(CultureInfo.InvariantCulture), Number(traffic.GetProperty("requests")));
        Assert.Equal(Number(traffic.GetProperty("p95_context_tokens")), await page.Locator("[data-figure=decision-context]").GetAttributeAsync("data-value"));
        Assert.Equal(api.GetProperty("api_price_per_mtok").GetDecimal(), decimal.Parse((await page.Locator("[data-figure=decision-price]").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture));
        // Two runs a moment apart: the token-priced spend is the same, though the fixed capacity's share of the window (taken
        // out of it) is not, so the last of 28 decimals may differ; four decimals of the break-even are asserted.
        Assert.Equal(api.GetProperty("break_even_tokens_per_month").GetDouble(),
            double.Parse((await page.Locator("[data-figure=decision-break-even]").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture), 4);

        // TCO: the self-hosted cost (one L4 at $0.80 × 730 h + $500) is the API's to the cent, and so is each GPU row.
        var observed = api.GetProperty("observed");
        Assert.Equal(1084.00m, observed.GetProperty("self_host_monthly").GetDecimal());
        Assert.Equal("$1084.00 (1 × L4 + operations)", await page.Locator("[data-table=decision-tco] tr[data-row=observed] td[data-col=self_host]").TextContentAsync());
        foreach (var gpu in api.GetProperty("gpus").EnumerateArray())
        {
            var row = page.Locator($"[data-table=decision-gpus] tr[data-row='{gpu.GetProperty("gpu").GetString()}']");
            Assert.Equal(
                [Number(gpu.GetProperty("gpus_per_replica")), Number(gpu.GetProperty("concurrent_sequences")), gpu.GetProperty("replica_tokens_per_second").GetDouble().ToString("0.0", CultureInfo.InvariantCulture),
                 Number(gpu.GetProperty("replicas")), Number(gpu.GetProperty("gpus")),
                 gpu.GetProperty("monthly_cost").ValueKind == JsonValueKind.Null ? "no price" : "$" + gpu.GetProperty("monthly_cost").GetDecimal().ToString("0.00", CultureInfo.InvariantCulture)],
                (await row.Locator("td").AllTextContentsAsync()).Skip(1));
        }

        Assert.Equal(api.GetProperty("gpus").GetArrayLength(), await page.Locator("[data-table=decision-gpus] tbody tr").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.Screenshots, "decision-report.png"), FullPage = true });
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Decision_AnAnswerTheApiRefuses_ShowsItsMessage()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await OpenAsync(page, "decision");
        await page.Locator("[data-decision-report][data-ready=true][data-runs='1']").WaitForAsync();
        // 0 passes the form's own constraints (0 to 1) but not the rules (above 0): the API's 400 is what the page shows.
        await page.Locator("[data-form=decision] input[name=target_utilisation]").FillAsync("0");
        await page.Locator("[data-form=decision] button[type=submit]").ClickAsync();
        await page.Locator("[data-decision-report][data-ready=true][data-runs='2']").WaitForAsync();
        Assert.Equal("target_utilisation must be above 0 and at most 1", await page.Locator("[data-decision-error]").TextContentAsync());
        // The browser logs the refused request's 400 and nothing else.
        Assert.Equal(["console: Failed to load resource: the server responded with a status of 400 (Bad Request)"], errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task MigrationReport_ShowsTheAdminApisReport_AndItsDownloadsOpen()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Gateway.BaseAddress + "dashboard/#/report?route=chat");
        await page.Locator("#main[data-page=report][data-ready=true]").WaitForAsync();
        var api = await fixture.AdminJsonAsync("admin/reports/migration/chat");
        Assert.Equal(api.GetProperty("stage").GetString(), await page.Locator("[data-report-stage=chat]").TextContentAsync());

        static string Money(JsonElement e) => e.ValueKind == JsonValueKind.Null ? "—" : "$" + e.GetDecimal().ToString("0.0000", CultureInfo.InvariantCulture);
        static string Percent(JsonElement e) => e.ValueKind == JsonValueKind.Null ? "—" : (e.GetDouble() * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        foreach (var side in (string[])["before", "after"])
        {
            var s = api.GetProperty(side);
            string Cell(string row) => $"[data-table=report-sides] tr[data-row={row}] td[data-col={side}]";
            string?[] expected =
            [
                s.GetProperty("deployment").GetString(), s.GetProperty("requests").GetInt64().ToString("#,##0", CultureInfo.InvariantCulture), Percent(s.GetProperty("traffic_share")),
                Money(s.GetProperty("cost_per_thousand")), Percent(s.GetProperty("error_rate")),
            ];
            string?[] shown =
            [
                await page.Locator(Cell("deployment")).TextContentAsync(), await page.Locator(Cell("requests")).TextContentAsync(), await page.Locator(Cell("share")).TextContentAsync(),
                await page.Locator(Cell("cost_per_1000")).TextContentAsync(), await page.Locator(Cell("error_rate")).TextContentAsync(),
            ];
            Assert.Equal(expected, shown);
        }

        // Route chat's traffic: the six requests of the fixture, all on the incumbent.
        Assert.Equal((DashboardFixture.ChatRequests, "gpt-4o-mini"), (api.GetProperty("before").GetProperty("requests").GetInt32(), api.GetProperty("before").GetProperty("deployment").GetString()));
        Assert.Equal(api.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("stage").GetString()!), await page.Locator("[data-table=report-stages] td[data-col=stage]").AllTextContentsAsync());

        // The downloads are the admin API's HTML and JSON, opened with the session cookie.
        Assert.Equal("/admin/reports/migration/chat?format=html", await page.Locator("[data-download=html]").GetAttributeAsync("href"));
        var html = await page.EvaluateAsync<string>("() => fetch(document.querySelector('[data-download=html]').href).then(r => r.status + ' ' + r.headers.get('content-type'))");
        Assert.Equal("200 text/html; charset=utf-8", html);
        var json = await page.EvaluateAsync<string>("() => fetch(document.querySelector('[data-download=json]').href).then(r => r.json()).then(j => j.route + ' ' + j.before.requests)");
        Assert.Equal("chat 6", json);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.Screenshots, "migration-report.png"), FullPage = true });

        // Picking another route shows its report.
        await page.Locator("select[name=route]").SelectOptionAsync("review");
        await page.Locator("[data-report-stage=review]").WaitForAsync();
        var review = await fixture.AdminJsonAsync("admin/reports/migration/review");
        Assert.Equal(review.GetProperty("before").GetProperty("requests").GetInt64().ToString("#,##0", CultureInfo.InvariantCulture),
            await page.Locator("[data-table=report-sides] tr[data-row=requests] td[data-col=before]").TextContentAsync());
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
