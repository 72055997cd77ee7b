using System.Net;
using System.Text.Json;
using OpenAI.Chat;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// The reports over the admin API and the dashboard's door (<c>/admin/reports/*</c>, <c>/dashboard/api/reports/decision</c>),
/// on a gateway with six requests of known size. Every figure is worked out by hand in the comments.
/// </summary>
public sealed class ReportEndpointsTests
{
    private static string Config => $$"""
        auth:
          admin_key_sha256: {{KeysTests.AdminHash}}
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: gpt, provider: a, model: gpt-4o-mini, pricing: { input_per_mtok: 2.00, output_per_mtok: 8.00 } }
          - { name: llama, provider: b, model: llama-3.1-8b-instruct, pricing: { fixed_monthly: 3000, capacity_tokens_per_second: 100 } }
        routes:
          - name: chat
            deployment: gpt
            capture: redacted
            migration: { to: llama, stage: shadow, auto: false, evaluate_every: 1h }
          - { name: plain, deployment: gpt }
        """;

    private const string Answers = """{ "model_size": "8b", "quantisation": "fp16", "gpu_hourly_usd": { "L4": 0.80 }, "ops_monthly_usd": 500 }""";

    /// <summary>A gateway with six requests on route chat: "Hello there" is 7 prompt tokens, and each answer 20 (see CostsTests).</summary>
    private static async Task<(TestGateway Gateway, SimulatorServer Api, SimulatorServer Gpu)> SeededAsync()
    {
        var api = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        var gpu = await SimulatorServer.StartAsync(new SimulatorOptions { OutputTokens = 20 }, cancellationToken: Ct);
        var gateway = await TestGateway.StartAsync(Config, api, gpu);
        for (var i = 0; i < 6; i++)
        {
            ChatCompletion c = await gateway.Chat("chat").CompleteChatAsync([new UserChatMessage("Hello there")], cancellationToken: Ct);
            Assert.Equal((7, 20), (c.Usage.InputTokenCount, c.Usage.OutputTokenCount));
        }

        await gateway.WaitForRecordsAsync(6, Ct);
        return (gateway, api, gpu);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : Json(body) };
        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static (string? Param, string? Code, string? Message) Error(JsonElement body)
    {
        var e = body.GetProperty("error");
        return (e.GetProperty("param").GetString(), e.GetProperty("code").GetString(), e.GetProperty("message").GetString());
    }

    [Fact]
    public async Task DecisionReport_SixRequests_AnswersTheHandWorkedFigures()
    {
        var (gateway, api, gpu) = await SeededAsync();
        await using var _ = gateway;
        await using var __ = api;
        await using var ___ = gpu;
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);

        var (status, r) = await SendAsync(admin, HttpMethod.Post, "admin/reports/decision?since=1d", Answers);
        Assert.Equal(HttpStatusCode.OK, status);
        var t = r.GetProperty("traffic");
        // 6 × (7 + 20) tokens; token-priced spend 6 × (7 × $2 + 20 × $8) / 1M = $0.001044; each request's context 27 tokens.
        Assert.Equal((6L, 42L, 120L, 0.001044m, 27), (t.GetProperty("requests").GetInt64(), t.GetProperty("prompt_tokens").GetInt64(),
            t.GetProperty("completion_tokens").GetInt64(), t.GetProperty("api_spend").GetDecimal(), t.GetProperty("p95_context_tokens").GetInt32()));
        Assert.Equal(["chat"], t.GetProperty("sensitive_routes").EnumerateArray().Select(e => e.GetString()));
        // $0.001044 ÷ 162 tokens × 1M = $6.4444 per million tokens.
        Assert.Equal(6.4444m, r.GetProperty("api_price_per_mtok").GetDecimal());

        // One L4 (1 × $0.80 × 730 h = $584) + $500 operations = $1,084 a month, against an API bill of at most dollars: stay.
        var observed = r.GetProperty("observed");
        Assert.Equal((1084.00m, "L4", 1), (observed.GetProperty("self_host_monthly").GetDecimal(), observed.GetProperty("option").GetProperty("gpu").GetString(),
            observed.GetProperty("option").GetProperty("gpus").GetInt32()));
        Assert.Equal("Stay", r.GetProperty("recommendation").GetString());
        // Break-even: $1,084 ÷ ($0.001044 ÷ 162 tokens) = 168,206,896.55 tokens a month (independent of the window's length).
        Assert.Equal(168_206_896.5517, r.GetProperty("break_even_tokens_per_month").GetDouble(), 4);

        // GPU sizing of the L4 for a 27-token context: weights 8.03e9 × 2 = 16.06 GB; KV 131,072 B/token × 27 = 3,538,944 B a
        // sequence; ⌊(21.6e9 − 16.06e9) ÷ 3,538,944⌋ = 1,565 sequences; memory allows 1,565 × 300e9 ÷ (16.06e9 + 1,565 × 3,538,944)
        // = 21,737.67 tokens/s, compute 121e12 FLOP/s ÷ (2 × 8.03e9) = 7,534.25 tokens/s: the lower one.
        var l4 = r.GetProperty("gpus").EnumerateArray().Single(g => g.GetProperty("gpu").GetString() == "L4");
        Assert.Equal((1, 1565, 1, 584.00m), (l4.GetProperty("gpus_per_replica").GetInt32(), l4.GetProperty("concurrent_sequences").GetInt32(),
            l4.GetProperty("replicas").GetInt32(), l4.GetProperty("monthly_cost").GetDecimal()));
        Assert.Equal(7_534.25, l4.GetProperty("replica_tokens_per_second").GetDouble(), 2);
        Assert.Equal(5, r.GetProperty("gpus").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("gpus")[1].GetProperty("monthly_cost").ValueKind);

        // The checklist the dashboard's form is built from: the defaults and the choices.
        var (listStatus, list) = await SendAsync(admin, HttpMethod.Get, "admin/reports/decision");
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal(("none", "some", 0.5), (list.GetProperty("defaults").GetProperty("privacy").GetString(),
            list.GetProperty("defaults").GetProperty("team_skills").GetString(), list.GetProperty("defaults").GetProperty("target_utilisation").GetDouble()));
        Assert.Equal(["L4", "A10G", "L40S", "A100-80GB", "H100-SXM"], list.GetProperty("gpus").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["none", "some_routes", "all_data"], list.GetProperty("privacy").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("""{"privacy": "sometimes", "team_skills": "lots"}""", "privacy 'sometimes' is not one of none, some_routes, all_data; team_skills 'lots' is not one of none, some, mlops")]
    [InlineData("""{"gpu_hourly_usd": {"l4": 0.8}}""", "gpu_hourly_usd: 'l4' is not a GPU of the sizing table (L4, A10G, L40S, A100-80GB, H100-SXM)")]
    [InlineData("""{"model_size": "13b", "target_utilisation": 1.5}""", "model_size '13b' is not in the sizing table (8b, 70b); target_utilisation must be above 0 and at most 1")]
    [InlineData("""{"budget_monthly_usd": -1, "gpu_hourly_usd": null}""", "budget_monthly_usd must not be negative (leave it out for no cap); gpu_hourly_usd must be an object of GPU name and hourly price, such as { \"L4\": 0.80 }")]
    [InlineData("null", "The answers are null: send an object such as { \"privacy\": \"none\", \"gpu_hourly_usd\": { \"L4\": 0.80 } }.")]
    public async Task DecisionReport_AnswersTheRulesDoNotKnow_Is400NamingEach(string body, string message)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim, sim);
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);
        var (status, r) = await SendAsync(admin, HttpMethod.Post, "admin/reports/decision", body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("answers", "invalid_parameter", message), Error(r));
    }

    [Fact]
    public async Task Reports_MalformedInput_Is400AndAnUnknownRouteIs404()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim, sim);
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);

        var (status, r) = await SendAsync(admin, HttpMethod.Post, "admin/reports/decision", """{"privacy": """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("The answers are not the checklist's JSON (docs/DECISION.md): ", Error(r).Message, StringComparison.Ordinal);

        // A misspelt answer is refused, not silently left at its default.
        (status, r) = await SendAsync(admin, HttpMethod.Post, "admin/reports/decision", """{"privasy": "all_data"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'privasy'", Error(r).Message, StringComparison.Ordinal);

        (status, r) = await SendAsync(admin, HttpMethod.Post, "admin/reports/decision?since=forever", "{}");
        Assert.Equal((HttpStatusCode.BadRequest, "since"), (status, Error(r).Param));

        (status, r) = await SendAsync(admin, HttpMethod.Get, "admin/reports/migration/chat?format=pdf");
        Assert.Equal((HttpStatusCode.BadRequest, "format", "'pdf' is not one of json, html."), (status, Error(r).Param, Error(r).Message));

        (status, r) = await SendAsync(admin, HttpMethod.Get, "admin/reports/migration/chat?since=0d");
        Assert.Equal((HttpStatusCode.BadRequest, "since"), (status, Error(r).Param));

        // Route plain exists but has no migration; route nowhere does not exist: both 404.
        foreach (var route in (string[])["plain", "nowhere"])
        {
            (status, r) = await SendAsync(admin, HttpMethod.Get, "admin/reports/migration/" + route);
            Assert.Equal((HttpStatusCode.NotFound, "route", "not_found", $"Route '{route}' has no migration."), (status, Error(r).Param, Error(r).Code, Error(r).Message));
        }
    }

    [Fact]
    public async Task MigrationReport_SixRequests_JsonAndTheCliSelfContainedHtml()
    {
        var (gateway, api, gpu) = await SeededAsync();
        await using var _ = gateway;
        await using var __ = api;
        await using var ___ = gpu;
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);

        var (status, r) = await SendAsync(admin, HttpMethod.Get, "admin/reports/migration/chat?since=1d");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("chat", "shadow"), (r.GetProperty("route").GetString(), r.GetProperty("stage").GetString()));
        var before = r.GetProperty("before");
        // $0.001044 over 6 requests = $0.174 per 1,000; all of the route's traffic on the incumbent (shadow calls are not records of the route's traffic).
        Assert.Equal(("gpt", 6L, 0L, 0.174m, 1.0, 0.0), (before.GetProperty("deployment").GetString(), before.GetProperty("requests").GetInt64(),
            before.GetProperty("errors").GetInt64(), before.GetProperty("cost_per_thousand").GetDecimal(), before.GetProperty("traffic_share").GetDouble(),
            before.GetProperty("error_rate").GetDouble()));
        var after = r.GetProperty("after");
        Assert.Equal(("llama", 0L, JsonValueKind.Null, 0.0), (after.GetProperty("deployment").GetString(), after.GetProperty("requests").GetInt64(),
            after.GetProperty("cost_per_thousand").ValueKind, after.GetProperty("traffic_share").GetDouble()));
        var stages = r.GetProperty("stages");
        Assert.Equal((1, "shadow", "config"), (stages.GetArrayLength(), stages[0].GetProperty("stage").GetString(), stages[0].GetProperty("trigger").GetString()));

        using var html = await admin.GetAsync("admin/reports/migration/chat?since=1d&format=html", Ct);
        Assert.Equal(HttpStatusCode.OK, html.StatusCode);
        Assert.Equal("text/html", html.Content.Headers.ContentType!.MediaType);
        Assert.Equal(("inline", "chat-migration.html"), (html.Content.Headers.ContentDisposition!.DispositionType, html.Content.Headers.ContentDisposition.FileNameStar));
        Assert.Equal("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            html.Headers.GetValues("Content-Security-Policy").Single());
        var page = await html.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("<!doctype html>", page, StringComparison.Ordinal);
        Assert.Contains("<h1>Migration report: route chat</h1>", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\" data-before=\"cost_per_1000\">$0.1740</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td class=\"n\" data-before=\"share\">100.0%</td>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", page, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Reports_OnlyAdminKeysAndSignedInSessionsWithTheToken_MayRunThem()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, sim, sim);
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);

        // An API key (from the configuration or made through the admin API) is no admin key: 401 on both reports.
        var apiKey = (await KeysTests.CreateKeyAsync(admin, """{"name":"app"}""")).GetProperty("key").GetString()!;
        foreach (var key in (string[])[TestGateway.Key, apiKey])
        {
            using var client = KeysTests.Admin(gateway.App.BaseAddress, key);
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), await StatusAsync(client, HttpMethod.Post, "admin/reports/decision", Answers));
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), await StatusAsync(client, HttpMethod.Get, "admin/reports/migration/chat"));
        }

        // A viewer, the least admin role, reads both.
        var viewer = (await KeysTests.CreateKeyAsync(admin, """{"name":"auditor","role":"viewer"}""")).GetProperty("key").GetString()!;
        using (var asViewer = KeysTests.Admin(gateway.App.BaseAddress, viewer))
        {
            Assert.Equal((HttpStatusCode.OK, null), await StatusAsync(asViewer, HttpMethod.Post, "admin/reports/decision", Answers));
            Assert.Equal((HttpStatusCode.OK, null), await StatusAsync(asViewer, HttpMethod.Get, "admin/reports/migration/chat"));
        }

        // The dashboard: a session's POST needs its CSRF token; the cookie alone opens no POST under /admin.
        using var browser = new HttpClient(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = gateway.App.BaseAddress };
        using var signIn = await browser.PostAsync("dashboard/api/session", new FormUrlEncodedContent([new("key", KeysTests.AdminKey)]), Ct);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var csrf = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("csrf_token").GetString()!;
        Assert.Equal((HttpStatusCode.Forbidden, "csrf_token_invalid"), await StatusAsync(browser, HttpMethod.Post, "dashboard/api/reports/decision", Answers));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), await StatusAsync(browser, HttpMethod.Post, "admin/reports/decision", Answers));
        Assert.Equal((HttpStatusCode.OK, null), await StatusAsync(browser, HttpMethod.Get, "admin/reports/migration/chat"));
        Assert.Equal((HttpStatusCode.OK, null), await StatusAsync(browser, HttpMethod.Get, "admin/reports/decision"));

        using var withToken = new HttpRequestMessage(HttpMethod.Post, "dashboard/api/reports/decision?since=1d") { Content = Json(Answers) };
        withToken.Headers.Add("X-CSRF-Token", csrf);
        using var answered = await browser.SendAsync(withToken, Ct);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        var report = JsonDocument.Parse(await answered.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal((1084.00m, "Stay"), (report.GetProperty("observed").GetProperty("self_host_monthly").GetDecimal(), report.GetProperty("recommendation").GetString()));
    }

    private static async Task<(HttpStatusCode, string?)> StatusAsync(HttpClient http, HttpMethod method, string path, string? body = null)
    {
        var (status, r) = await SendAsync(http, method, path, body);
        return (status, r.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null);
    }
}
