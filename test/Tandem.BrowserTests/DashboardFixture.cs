using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Tandem.Migration;
using Tandem.Server;
using Tandem.Simulator;
using Tandem.Storage;
using Xunit;

namespace Tandem.BrowserTests;

/// <summary>
/// One gateway on loopback in front of two simulators, seeded with traffic through the gateway itself, and one headless
/// Chromium (Debian's, at <c>TANDEM_CHROMIUM</c> or <c>/usr/bin/chromium</c>). When Chromium is absent the tests are
/// skipped with a message, unless <c>TANDEM_REQUIRE_BROWSER=1</c> (CI sets it), which makes its absence a failure.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string AdminKey = "admin-key-browser-tests-0042";
    public const string ClientKey = "sk-browser-client-key-1234";

    /// <summary>Requests sent through route chat, and straight to llama-8b.</summary>
    public const int ChatRequests = 6, DirectRequests = 3;

    private const string Config = """
        auth:
          admin_key_env: TANDEM_BROWSER_TESTS_ADMIN_KEY
          keys: [ { name: web-app, key: sk-browser-client-key-1234 } ]
        providers:
          - { name: openai, base_url: "{sim0}" }
          - { name: onprem, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: openai, model: gpt-4o-mini-2024-07-18, pricing: { input_per_mtok: 0.15, output_per_mtok: 0.60 } }
          - { name: llama-8b, provider: onprem, model: llama-3.1-8b-instruct, pricing: { fixed_monthly: 900, capacity_tokens_per_second: 400 } }
        routes:
          - name: chat
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, auto: false, evaluate_every: 1h }
          - name: support
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, auto: false, evaluate_every: 1h }
          - name: review
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, auto: false, evaluate_every: 1h }
        """;

    private readonly List<IAsyncDisposable> _owned = [];
    private TempDir? _dir;

    public GatewayApp Gateway { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public IBrowser? Browser { get; private set; }

    /// <summary>Why the browser tests cannot run here, or null.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Where screenshots go: <c>TANDEM_SCREENSHOTS</c>, else <c>artifacts/screenshots</c> under the repository.</summary>
    public string Screenshots { get; } = Environment.GetEnvironmentVariable("TANDEM_SCREENSHOTS") is { Length: > 0 } s ? s : Path.Combine(RepositoryRoot(), "artifacts", "screenshots");

    public async ValueTask InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("TANDEM_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            Unavailable = $"Chromium not found at {chromium} (apt-get install chromium, or set TANDEM_CHROMIUM)";
            if (Environment.GetEnvironmentVariable("TANDEM_REQUIRE_BROWSER") == "1")
            {
                throw new InvalidOperationException(Unavailable + "; TANDEM_REQUIRE_BROWSER=1 makes that a failure");
            }

            return;
        }

        Environment.SetEnvironmentVariable("TANDEM_BROWSER_TESTS_ADMIN_KEY", AdminKey);
        var incumbent = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        _owned.Add(incumbent);
        var candidate = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        _owned.Add(candidate);
        _dir = new TempDir("tandem-browser-");
        var path = _dir.File("tandem.yaml");
        await File.WriteAllTextAsync(path, GatewayConfigs.Expand(Config, [incumbent.V1, candidate.V1]), Ct);
        Gateway = GatewayApp.Create(new GatewayAppOptions { ConfigPath = path, Urls = "http://127.0.0.1:0", MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning });
        await Gateway.StartAsync(Ct);
        Admin = new HttpClient { BaseAddress = Gateway.BaseAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        await SeedAsync();

        var playwright = await Playwright.CreateAsync();
        _owned.Add(new DisposeAction(() => playwright.Dispose()));
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
        Directory.CreateDirectory(Screenshots);
    }

    /// <summary>Traffic through the gateway with a client key, as an application would send it; then waits for its records.</summary>
    private async Task SeedAsync()
    {
        using var client = new HttpClient { BaseAddress = Gateway.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
        for (var i = 0; i < ChatRequests + DirectRequests; i++)
        {
            var model = i < ChatRequests ? "chat" : "llama-8b";
            using var response = await client.PostAsJsonAsync("v1/chat/completions", new { model, messages = new[] { new { role = "user", content = "question " + i } } }, Ct);
            response.EnsureSuccessStatusCode();
        }

        // Route review takes no traffic: its shadow samples are these four, so the quality page's figures for it are
        // known (4 samples, 3 compared, 2 agreeing, 3 judged with 4, 5 and 3).
        // They are taken just after the stage began (the gate report reads the samples since then), before now.
        var entered = (await AdminJsonAsync("admin/migrations/review")).GetProperty("migrations")[0].GetProperty("stage_entered_at").GetDateTimeOffset();
        ShadowSample Sample(int i, bool? agree, double? judge, string? candidateLabel) => new()
        {
            Route = "review", RequestId = "review-" + i, Time = entered.AddMilliseconds(i), Stage = "shadow",
            IncumbentLabel = "refund", CandidateLabel = candidateLabel, Agree = agree, JudgeScore = judge,
            CandidateError = agree is null ? "timeout" : null,
        };
        await Gateway.Services.GetRequiredService<IMigrationStore>().AddSamplesAsync(
            [Sample(1, true, 4, "refund"), Sample(2, true, 5, "refund"), Sample(3, false, 3, "billing"), Sample(4, null, null, null)], Ct);

        var writer = Gateway.Services.GetRequiredService<RecordWriter>();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        wait.CancelAfter(TimeSpan.FromSeconds(30));
        while (writer.Written < ChatRequests + DirectRequests || writer.Held > 0)
        {
            await Task.Delay(20, wait.Token);
        }
    }

    /// <summary>A new page signed in with the admin key, its console errors and page errors collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> SignedInPageAsync()
    {
        var (page, errors) = await NewPageAsync();
        await page.GotoAsync(Gateway.BaseAddress + "dashboard/");
        await page.Locator("[data-form=signin] input[name=key]").FillAsync(AdminKey);
        await page.Locator("[data-form=signin] button[type=submit]").ClickAsync();
        await page.Locator("#main[data-page=overview][data-ready=true]").WaitForAsync();
        return (page, errors);
    }

    public async Task<(IPage Page, List<string> Errors)> NewPageAsync()
    {
        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                lock (errors)
                {
                    errors.Add("console: " + m.Text);
                }
            }
        };
        page.PageError += (_, e) =>
        {
            lock (errors)
            {
                errors.Add("page error: " + e);
            }
        };
        return (page, errors);
    }

    public async Task<JsonElement> AdminJsonAsync(string path)
    {
        using var doc = JsonDocument.Parse(await Admin.GetStringAsync(path, Ct));
        return doc.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        Admin?.Dispose();
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _dir?.Dispose();
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tandem.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    private sealed class DisposeAction(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}
