using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Tandem.Configuration;
using Tandem.Records;
using Tandem.Server;
using Tandem.Storage;
using Xunit;

namespace Tandem.BrowserTests;

/// <summary>
/// A measurement, not a test: the overview's time to first render over 1,000,000 records. Runs only with
/// <c>TANDEM_DASHBOARD_BENCH=1</c> (it seeds for minutes); prints its figures and writes them to
/// <c>artifacts/dashboard-bench.txt</c>. It asserts nothing about time. Command in docs/DASHBOARD.md.
/// </summary>
public sealed class OverviewBenchmark
{
    private const string Config = """
        auth:
          admin_key_env: TANDEM_BENCH_ADMIN_KEY
          keys: [ { name: bench, key: sk-bench-key-123456 } ]
        providers:
          - { name: openai, base_url: "http://127.0.0.1:9/v1" }
          - { name: onprem, base_url: "http://127.0.0.1:9/v1" }
        deployments:
          - { name: gpt-4o-mini, provider: openai, model: gpt-4o-mini-2024-07-18, pricing: { input_per_mtok: 0.15, output_per_mtok: 0.60 } }
          - { name: llama-3.1-8b@vllm, provider: onprem, model: meta-llama/Llama-3.1-8B-Instruct, pricing: { fixed_monthly: 900, capacity_tokens_per_second: 400 } }
        routes:
          - { name: intent, deployment: gpt-4o-mini }
          - { name: support-chat, deployment: gpt-4o-mini }
          - { name: summarise, deployment: gpt-4o-mini }
        """;

    [Fact]
    public async Task Overview_OneMillionRecords_TimeToFirstRender()
    {
        Assert.SkipUnless(Environment.GetEnvironmentVariable("TANDEM_DASHBOARD_BENCH") == "1", "a measurement: set TANDEM_DASHBOARD_BENCH=1 to run it");
        var count = int.Parse(Environment.GetEnvironmentVariable("TANDEM_DASHBOARD_BENCH_RECORDS") ?? "1000000", CultureInfo.InvariantCulture);
        var chromium = Environment.GetEnvironmentVariable("TANDEM_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        using var dir = new TempDir("tandem-bench-");
        var path = dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, Config, Ct);
        Environment.SetEnvironmentVariable("TANDEM_BENCH_ADMIN_KEY", "admin-bench-key-000");

        // 1,000,000 records spread evenly over the last 14 days up to now, as the overview reads them.
        var seed = Stopwatch.StartNew();
        var now = TimeProvider.System.GetUtcNow();
        await using (var database = StorageFactory.Open(new StorageConfig(), dir.Path))
        {
            await database.MigrateAsync(Ct);
            var random = new Random(42);
            var step = TimeSpan.FromDays(14) / count;
            string[] keys = ["team-search", "team-support", "batch-jobs", "mobile-app"];
            string[] routes = ["intent", "support-chat", "summarise"];
            string[] deployments = ["gpt-4o-mini", "llama-3.1-8b@vllm"];
            for (var offset = 0; offset < count; offset += 5000)
            {
                var batch = new List<RequestRecord>(5000);
                for (var i = offset; i < Math.Min(count, offset + 5000); i++)
                {
                    var route = routes[random.Next(routes.Length)];
                    var deployment = deployments[random.Next(deployments.Length)];
                    var (prompt, completion) = (random.Next(50, 4000), random.Next(1, 800));
                    var failed = random.Next(100) == 0;
                    var r = new RequestRecord
                    {
                        Id = "req_" + i.ToString("D8", CultureInfo.InvariantCulture),
                        Time = now - TimeSpan.FromDays(14) + (step * i),
                        Operation = "chat",
                        Key = keys[random.Next(keys.Length)],
                        Route = route,
                        Deployment = deployment,
                        Decision = "route " + route + " → " + deployment,
                        Status = failed ? 502 : 200,
                        Error = failed ? "upstream_error" : null,
                        TotalMs = 250 + (random.NextDouble() * 3000),
                        PromptTokens = prompt,
                        CompletionTokens = completion,
                        Cost = deployment == "gpt-4o-mini" ? ((prompt * 0.15m) + (completion * 0.6m)) / 1_000_000m : 0,
                    };
                    r.Attempts.Add(new AttemptRecord(deployment, r.Status, r.Error, r.TotalMs));
                    batch.Add(r);
                }

                await database.Records.WriteAsync(batch, Guid.CreateVersion7(), Ct);
            }

            // The steady state: the gateway's maintenance pass (at start-up, then hourly) has rolled up every complete day.
            await database.Records.MaintainAsync(now, Ct);
        }

        seed.Stop();
        await using var gateway = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning });
        await gateway.StartAsync(Ct);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(gateway.BaseAddress + "dashboard/");
        await page.Locator("[data-form=signin] input[name=key]").FillAsync("admin-bench-key-000");
        await page.Locator("[data-form=signin] button[type=submit]").ClickAsync();
        await page.Locator("#main[data-page=overview][data-ready=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 300_000 });

        // Three fresh loads of the signed-in overview (the session cookie stays): navigation start to the figures shown.
        var lines = new List<string> { $"records: {count:#,##0} over 14 days (seeded and rolled up in {seed.Elapsed.TotalSeconds:0} s), SQLite, {Environment.ProcessorCount} cores" };
        for (var run = 1; run <= 3; run++)
        {
            await page.GotoAsync(gateway.BaseAddress + "dashboard/#/overview", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
            await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Commit });
            await page.WaitForFunctionAsync("() => document.querySelector('#main[data-page=overview][data-ready=true] [data-figure]') !== null", null, new PageWaitForFunctionOptions { Timeout = 300_000 });
            var rendered = await page.EvaluateAsync<double>("() => performance.now()");
            var fcp = await page.EvaluateAsync<double>("() => (performance.getEntriesByName('first-contentful-paint')[0] || { startTime: -1 }).startTime");
            var api = await page.EvaluateAsync<double>("() => { const e = performance.getEntriesByType('resource').filter(r => r.name.endsWith('/dashboard/api/overview')).pop(); return e ? e.responseEnd - e.requestStart : -1; }");
            var value = await page.Locator("[data-figure=today-requests]").GetAttributeAsync("data-value");
            lines.Add(FormattableString.Invariant($"run {run}: figures rendered at {rendered:0} ms after navigation start; first contentful paint {fcp:0} ms; /dashboard/api/overview {api:0} ms; requests today {value}"));
        }

        if (File.Exists("/proc/loadavg"))
        {
            lines.Add("load average (1, 5, 15 min) after the runs: " + string.Join(", ", (await File.ReadAllTextAsync("/proc/loadavg", Ct)).Split(' ').Take(3)));
        }

        var report = string.Join(Environment.NewLine, lines) + Environment.NewLine;
        var output = Path.Combine(DashboardFixture.RepositoryRoot(), "artifacts", "dashboard-bench.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, report, Ct);
        TestContext.Current.SendDiagnosticMessage(report);
        Console.WriteLine(report);
    }
}
