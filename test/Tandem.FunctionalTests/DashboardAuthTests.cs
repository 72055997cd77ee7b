using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>The dashboard's door at the HTTP level: sign-in, the session cookie, the CSRF token, what a session opens.</summary>
public sealed class DashboardAuthTests
{
    private const string AdminKey = "admin-key-dashboard-5678";

    private const string Config = """
        auth:
          admin_key_env: TANDEM_DASHBOARD_AUTH_ADMIN_KEY
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers:
          - { name: a, base_url: "{sim0}" }
          - { name: b, base_url: "{sim1}" }
        deployments:
          - { name: gpt-4o-mini, provider: a, model: gpt-4o-mini-2024-07-18 }
          - { name: llama-8b, provider: b, model: llama-3.1-8b-instruct }
        routes:
          - name: chat
            deployment: gpt-4o-mini
            migration: { to: llama-8b, stage: shadow, auto: false, evaluate_every: 1h }
        """;

    private static async Task<(HttpClient Browser, string Csrf, string SetCookie)> SignInAsync(TestGateway gateway, HttpClient browser)
    {
        using var response = await browser.PostAsync("dashboard/api/session", new FormUrlEncodedContent([new("key", AdminKey)]), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(("admin", "admin"), (doc.RootElement.GetProperty("name").GetString(), doc.RootElement.GetProperty("role").GetString()));
        return (browser, doc.RootElement.GetProperty("csrf_token").GetString()!, response.Headers.GetValues("Set-Cookie").Single());
    }

    private static HttpClient Browser(TestGateway gateway) =>
        new(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = gateway.App.BaseAddress };

    [Fact]
    public async Task Dashboard_SessionAndCsrf_GuardEveryAction()
    {
        Environment.SetEnvironmentVariable("TANDEM_DASHBOARD_AUTH_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, a, b);
        using var browser = Browser(gateway);

        // Before sign-in: the API answers 401, the admin API too, and a wrong key does not sign in.
        using (var r = await browser.GetAsync("dashboard/api/overview", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        using (var r = await browser.PostAsync("dashboard/api/session", new FormUrlEncodedContent([new("key", "sk-test-key-123456")]), Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.False(r.Headers.Contains("Set-Cookie"));
            Assert.Contains("invalid_api_key", await r.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var r = await browser.PostAsync("dashboard/api/session", new StringContent("{\"key\":\"" + AdminKey + "\"}"), Ct))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
        }

        var (_, csrf, setCookie) = await SignInAsync(gateway, browser);
        Assert.StartsWith("tandem_session=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie, StringComparison.OrdinalIgnoreCase); // plain HTTP on loopback

        // The session reads the dashboard and the admin API (GET only).
        using (var r = await browser.GetAsync("dashboard/api/overview", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using (var r = await browser.GetAsync("admin/migrations/chat", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        using (var r = await browser.PostAsync("admin/migrations/chat/rollback", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }

        // An action without the CSRF token, or with a wrong one, is refused and changes nothing.
        using (var r = await browser.PostAsync("dashboard/api/migrations/chat/rollback", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("csrf_token_invalid", await r.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "dashboard/api/migrations/chat/rollback"))
        {
            wrong.Headers.Add("X-CSRF-Token", csrf[..^1] + (csrf[^1] == 'A' ? 'B' : 'A'));
            using var r = await browser.SendAsync(wrong, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }

        Assert.Equal("shadow", await StageAsync(gateway));

        // With the token it is done, and the history says who did it.
        using (var ok = new HttpRequestMessage(HttpMethod.Post, "dashboard/api/migrations/chat/rollback"))
        {
            ok.Headers.Add("X-CSRF-Token", csrf);
            using var r = await browser.SendAsync(ok, Ct);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
            Assert.Equal(("rolled back", "admin"), (doc.RootElement.GetProperty("stage").GetString(), doc.RootElement.GetProperty("by").GetString()));
        }

        Assert.Equal("rolled back", await StageAsync(gateway));
        using (var admin = Admin(gateway))
        using (var r = await admin.GetAsync("admin/migrations/chat", Ct))
        {
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync(Ct));
            var latest = doc.RootElement.GetProperty("migrations")[0].GetProperty("history")[0];
            Assert.Equal(("rollback", "dashboard:admin"), (latest.GetProperty("kind").GetString(), latest.GetProperty("trigger").GetString()));

            // The dashboard's actions are in the one audit log: the sign-in and the rollback, the refusals too.
            var audit = JsonDocument.Parse(await admin.GetStringAsync("admin/audit?actor=dashboard:admin", Ct)).RootElement.GetProperty("entries");
            var actions = audit.EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("object").GetString(), e.GetProperty("status").GetInt32())).ToList();
            Assert.Contains(("dashboard.migration.rollback", "chat", 200), actions);
            Assert.Contains(("dashboard.session.sign_in", "dashboard", 200), actions);
        }

        // Signing out (itself guarded by the token) ends the session on the server.
        using (var signOut = new HttpRequestMessage(HttpMethod.Delete, "dashboard/api/session"))
        {
            signOut.Headers.Add("X-CSRF-Token", csrf);
            using var r = await browser.SendAsync(signOut, Ct);
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }

        using (var r = await browser.GetAsync("dashboard/api/session", Ct))
        {
            Assert.Equal("{\"signed_in\":false}", await r.Content.ReadAsStringAsync(Ct));
        }

        using (var r = await browser.GetAsync("dashboard/api/overview", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
    }

    [Fact]
    public async Task Dashboard_StolenCookieValueAfterSignOut_OrAnotherSessionsToken_IsRefused()
    {
        Environment.SetEnvironmentVariable("TANDEM_DASHBOARD_AUTH_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, a, b);
        using var first = Browser(gateway);
        using var second = Browser(gateway);
        var (_, csrfFirst, _) = await SignInAsync(gateway, first);
        var (_, csrfSecond, _) = await SignInAsync(gateway, second);
        Assert.NotEqual(csrfFirst, csrfSecond);

        // A token belongs to its session: the first browser cannot act with the second's token.
        using var crossed = new HttpRequestMessage(HttpMethod.Post, "dashboard/api/migrations/chat/pin");
        crossed.Headers.Add("X-CSRF-Token", csrfSecond);
        using var r = await first.SendAsync(crossed, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Equal("shadow", await StageAsync(gateway));
    }

    [Fact]
    public async Task Dashboard_FrontEnd_IsServedFromTheAssemblyWithGzipAndCsp()
    {
        Environment.SetEnvironmentVariable("TANDEM_DASHBOARD_AUTH_ADMIN_KEY", AdminKey);
        await using var a = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var b = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config, a, b);
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = gateway.App.BaseAddress };

        using var index = await http.GetAsync("dashboard/", Ct);
        Assert.Equal(HttpStatusCode.OK, index.StatusCode);
        Assert.Equal("text/html", index.Content.Headers.ContentType!.MediaType);
        Assert.Contains("frame-ancestors 'none'", index.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await index.Content.ReadAsStringAsync(Ct);
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"/dashboard/(assets/[^\"]+\\.js)\"").Groups[1].Value;
        Assert.NotEmpty(script);

        using var request = new HttpRequestMessage(HttpMethod.Get, "dashboard/" + script);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var js = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, js.StatusCode);
        Assert.Equal("gzip", js.Content.Headers.ContentEncoding.Single());
        Assert.Equal("public, max-age=31536000, immutable", js.Headers.CacheControl!.ToString());

        using var missing = await http.GetAsync("dashboard/assets/nothing.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var unknownApi = await http.GetAsync("dashboard/api/nothing", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode);
    }

    private static HttpClient Admin(TestGateway gateway)
    {
        var admin = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return admin;
    }

    private static async Task<string> StageAsync(TestGateway gateway)
    {
        using var admin = Admin(gateway);
        using var doc = JsonDocument.Parse(await admin.GetStringAsync("admin/migrations/chat", Ct));
        return doc.RootElement.GetProperty("migrations")[0].GetProperty("stage").GetString()!;
    }
}
