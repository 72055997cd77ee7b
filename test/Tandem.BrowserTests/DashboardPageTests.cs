using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit;

namespace Tandem.BrowserTests;

/// <summary>The dashboard in headless Chromium against a seeded gateway.</summary>
public sealed class DashboardPageTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static readonly string[] Pages = ["overview", "migrations", "deployments", "costs", "quality", "requests"];

    private void SkipWithoutBrowser() => Assert.SkipWhen(fixture.Unavailable is not null, fixture.Unavailable ?? "");

    private async Task OpenAsync(IPage page, string name)
    {
        await page.GotoAsync(fixture.Gateway.BaseAddress + "dashboard/#/" + name);
        await page.Locator($"#main[data-page={name}][data-ready=true]").WaitForAsync();
    }

    [Fact]
    public async Task EveryPage_LoadsWithoutConsoleErrors_AndIsPhotographed()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        foreach (var name in Pages)
        {
            await OpenAsync(page, name);
            Assert.Equal("", string.Join(" | ", await page.Locator("#main .error").AllTextContentsAsync()));
            var file = Path.Combine(fixture.Screenshots, name + ".png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
            TestContext.Current.SendDiagnosticMessage("screenshot: " + file);
        }

        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_WrongKey_IsRefusedAndShowsNothing()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Gateway.BaseAddress + "dashboard/");
        await page.Locator("[data-form=signin] input[name=key]").FillAsync(DashboardFixture.ClientKey);
        await page.Locator("[data-form=signin] button[type=submit]").ClickAsync();
        await page.Locator("[data-signin-error]").WaitForAsync();
        Assert.Equal("That is not the admin key.", await page.Locator("[data-signin-error]").TextContentAsync());
        Assert.True(await page.Locator("#nav").IsHiddenAsync());

        // Going straight to a page still shows the sign-in form.
        await page.GotoAsync(fixture.Gateway.BaseAddress + "dashboard/#/costs");
        await page.ReloadAsync();
        await page.Locator("#main[data-page=signin][data-ready=true]").WaitForAsync();
        Assert.Equal(0, await page.Locator("[data-table]").CountAsync());

        // The browser saw the 401 of the refused sign-in, and nothing else went wrong.
        Assert.Equal(["console: Failed to load resource: the server responded with a status of 401 (Unauthorized)"], errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Overview_ShowsTheSeededFigures_AsTheAdminApiReportsThem()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        var requests = await page.Locator("[data-figure=today-requests]").GetAttributeAsync("data-value");
        Assert.Equal((DashboardFixture.ChatRequests + DashboardFixture.DirectRequests).ToString(CultureInfo.InvariantCulture), requests);

        // Requests per deployment in the traffic table: 6 on gpt-4o-mini (route chat's incumbent), 3 on llama-8b.
        Assert.Equal("6", await page.Locator("[data-table=traffic] tr[data-row='gpt-4o-mini'] td[data-col=requests]").TextContentAsync());
        Assert.Equal("3", await page.Locator("[data-table=traffic] tr[data-row='llama-8b'] td[data-col=requests]").TextContentAsync());
        Assert.Equal("6", await page.Locator("[data-chart=traffic-share]").GetAttributeAsync("data-series-gpt_4o_mini"));

        Assert.Equal("3", await page.Locator("[data-chart=traffic-share]").GetAttributeAsync("data-series-llama_8b"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CostsAndDeployments_TablesMatchTheAdminApi()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await OpenAsync(page, "costs");
        var costs = await fixture.AdminJsonAsync("admin/costs?since=30d&by=deployment");
        foreach (var group in costs.GetProperty("groups").EnumerateArray())
        {
            var row = page.Locator($"[data-table=costs-by-deployment] tr[data-row='{group.GetProperty("name").GetString()}']");
            Assert.Equal(group.GetProperty("requests").GetInt64().ToString(CultureInfo.InvariantCulture), await row.Locator("td[data-col=requests]").TextContentAsync());
        }

        Assert.Equal(2, costs.GetProperty("groups").GetArrayLength());
        // The same 30-day window on both sides: the spend (fixed capacity share included) is the API's to the digit.
        var spend = decimal.Parse((await page.Locator("[data-figure=costs-spend]").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture);
        Assert.Equal(costs.GetProperty("spend").GetDecimal(), spend);
        Assert.True(spend > 900m, $"spend {spend}: llama-8b's 900 a month over 30 days, plus gpt-4o-mini's tokens");
        Assert.Equal(1, await page.Locator("[data-table=break-even] tr[data-row='llama-8b']").CountAsync());

        await OpenAsync(page, "deployments");
        foreach (var (name, count) in new[] { ("gpt-4o-mini", DashboardFixture.ChatRequests), ("llama-8b", DashboardFixture.DirectRequests) })
        {
            var row = page.Locator($"[data-table=deployments] tr[data-row='{name}']");
            Assert.Equal(count.ToString(CultureInfo.InvariantCulture), await row.Locator("td[data-col=requests]").TextContentAsync());
            Assert.Equal("closed", await row.Locator("td[data-col=breaker]").TextContentAsync());
            var latency = await fixture.AdminJsonAsync("admin/latency?since=1d&deployment=" + name);
            Assert.Equal(latency.GetProperty("p95_ms").GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " ms", await row.Locator("td[data-col=p95]").TextContentAsync());
        }

        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Requests_FilterByRoute_ListsThatRoutesRecordsAndShowsADecision()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await page.GotoAsync(fixture.Gateway.BaseAddress + "dashboard/#/requests?route=chat");
        await page.Locator("#main[data-page=requests][data-ready=true]").WaitForAsync();
        var expected = await fixture.AdminJsonAsync("admin/records?route=chat&limit=50");
        var ids = expected.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
        Assert.Equal(DashboardFixture.ChatRequests, ids.Count);
        Assert.Equal(string.Join(',', ids), await page.Locator("[data-table=requests] tbody").EvaluateAsync<string>("b => [...b.rows].map(r => r.dataset.row).join(',')"));

        await page.Locator($"a[data-request='{ids[0]}']").ClickAsync();
        var decision = await page.Locator($"[data-decision='{ids[0]}']").TextContentAsync();
        var record = await fixture.AdminJsonAsync("admin/records/" + ids[0]);
        Assert.Equal(record.GetProperty("decision").GetString(), decision);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Quality_ShowsTheSeededShadowSamples_AndTheAdminApisGates()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await OpenAsync(page, "quality");
        // Route review's four samples (DashboardFixture): 3 compared, 2 agreeing (66.7%), 3 judged: (4 + 5 + 3) / 3 = 4.00.
        var review = (await fixture.AdminJsonAsync("admin/migrations/review")).GetProperty("migrations")[0];
        var day = review.GetProperty("stage_entered_at").GetDateTimeOffset().AddMilliseconds(1).UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var row = page.Locator($"[data-table=quality-days-review] tr[data-row='{day}']");
        string[] columns = ["samples", "compared", "agreed", "agreement", "judged", "judge"];
        var cells = new List<string>();
        foreach (var column in columns)
        {
            cells.Add((await row.Locator($"td[data-col={column}]").TextContentAsync())!);
        }

        Assert.Equal(["4", "3", "2", "66.7%", "3", "4.00"], cells);

        // The current figures are the admin API's gate report for the route.
        var gates = review.GetProperty("gates");
        var agreement = gates.GetProperty("agreement").GetDouble();
        Assert.Equal(agreement, double.Parse((await page.Locator("[data-agreement=review]").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture));
        var disagreements = gates.GetProperty("top_disagreements");
        Assert.Equal(disagreements.GetArrayLength(), await page.Locator("[data-table=quality-disagreements-review] tbody tr").CountAsync());
        for (var i = 0; i < disagreements.GetArrayLength(); i++)
        {
            var cellsOf = await page.Locator("[data-table=quality-disagreements-review] tbody tr").Nth(i).Locator("td").AllTextContentsAsync();
            var d = disagreements[i];
            Assert.Equal([d.GetProperty("incumbent").GetString()!, d.GetProperty("candidate").GetString()!, d.GetProperty("count").GetInt32().ToString(CultureInfo.InvariantCulture)], cellsOf);
        }

        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Rollback_ClickAndConfirm_ChangesTheRoutesStage()
    {
        SkipWithoutBrowser();
        var (page, errors) = await fixture.SignedInPageAsync();
        await OpenAsync(page, "migrations");
        Assert.Equal("shadow", await page.Locator("[data-stage=support]").TextContentAsync());

        await page.Locator("button[data-action=rollback][data-route=support]").ClickAsync();
        // Nothing is sent before the confirmation.
        Assert.Equal("shadow", (await fixture.AdminJsonAsync("admin/migrations/support")).GetProperty("migrations")[0].GetProperty("stage").GetString());
        await page.Locator("[data-migration=support] [data-confirm-yes=rollback]").ClickAsync();
        await page.Locator("[data-stage=support]", new PageLocatorOptions { HasTextString = "rolled back" }).WaitForAsync();

        var after = (await fixture.AdminJsonAsync("admin/migrations/support")).GetProperty("migrations")[0];
        Assert.Equal("rolled back", after.GetProperty("stage").GetString());
        Assert.Equal("dashboard:admin", after.GetProperty("history")[0].GetProperty("trigger").GetString());
        Assert.Equal("dashboard:admin", await page.Locator("[data-table=history-support] tbody tr td[data-col=trigger]").First.TextContentAsync());
        // The other route is untouched.
        Assert.Equal("shadow", (await fixture.AdminJsonAsync("admin/migrations/chat")).GetProperty("migrations")[0].GetProperty("stage").GetString());
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Action_WithoutCsrfToken_IsRefusedInTheBrowserToo()
    {
        SkipWithoutBrowser();
        var (page, _) = await fixture.SignedInPageAsync();
        // A script in the page (or a forged form) that posts with the cookie but without the token.
        var status = await page.EvaluateAsync<int>("() => fetch('/dashboard/api/migrations/chat/pin', { method: 'POST', credentials: 'same-origin' }).then(r => r.status)");
        Assert.Equal(403, status);
        Assert.Equal("shadow", (await fixture.AdminJsonAsync("admin/migrations/chat")).GetProperty("migrations")[0].GetProperty("stage").GetString());
        await page.Context.CloseAsync();
    }
}
