using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Runtime;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// <c>GET /admin/config</c> (which file, which version, since when, why the last reload was refused) and
/// <c>POST /admin/reload</c> (taken or refused with the reasons), with the file watcher off so that only the admin
/// API reloads.
/// </summary>
public sealed class AdminConfigTests
{
    private const string AdminKey = "admin-key-for-config-tests";

    private static string Config(string routes) => $$"""
        auth:
          admin_key_sha256: {{KeyRing.HashHex(AdminKey)}}
          keys: [ { name: test, key: sk-test-key-123456 } ]
        providers: [ { name: sim, base_url: "{sim0}" } ]
        deployments: [ { name: gpt, provider: sim, model: gpt-4o-mini-2024-07-18 } ]
        routes: {{routes}}
        """;

    private static HttpRequestMessage Admin(HttpMethod method, string path, string? key = AdminKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(TestGateway gateway, HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await gateway.Http.SendAsync(request, Ct);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            return (response.StatusCode, doc.RootElement.Clone());
        }
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static async Task<HttpStatusCode> ChatAsync(TestGateway gateway, string model)
    {
        using var response = await gateway.Http.PostAsync("v1/chat/completions", Json($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task ConfigAndReload_ReportVersionTimeAndErrors_AndServeTheNewConfiguration()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        var beforeStart = TimeProvider.System.GetUtcNow();
        await using var gateway = await TestGateway.StartAsync(Config("[ { name: chat, deployment: gpt } ]"), o => o with { WatchConfig = false }, [sim.V1.ToString()]);
        var afterStart = TimeProvider.System.GetUtcNow();

        // As started: version 1, loaded between the two instants, no reload errors.
        var (status, config) = await SendAsync(gateway, Admin(HttpMethod.Get, "admin/config"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(gateway.ConfigPath, config.GetProperty("path").GetString());
        Assert.Equal(1, config.GetProperty("version").GetInt64());
        var loadedAt = config.GetProperty("loaded_at").GetDateTimeOffset();
        Assert.InRange(loadedAt, beforeStart, afterStart);
        Assert.Empty(Strings(config.GetProperty("last_reload_errors")));

        // A broken edit: refused with its reason, version 1 kept and still serving.
        await File.WriteAllTextAsync(gateway.ConfigPath, TestGateway.Expand(Config("[ { name: chat, deployment: nope } ]"), [sim]), Ct);
        var (refusedStatus, refused) = await SendAsync(gateway, Admin(HttpMethod.Post, "admin/reload"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refusedStatus);
        Assert.False(refused.GetProperty("reloaded").GetBoolean());
        Assert.Equal(1, refused.GetProperty("config_version").GetInt64());
        Assert.Equal(["routes[0].deployment: unknown deployment 'nope'"], Strings(refused.GetProperty("errors")));
        var (_, afterRefusal) = await SendAsync(gateway, Admin(HttpMethod.Get, "admin/config"));
        Assert.Equal(1, afterRefusal.GetProperty("version").GetInt64());
        Assert.Equal(loadedAt, afterRefusal.GetProperty("loaded_at").GetDateTimeOffset());
        Assert.Equal(["routes[0].deployment: unknown deployment 'nope'"], Strings(afterRefusal.GetProperty("last_reload_errors")));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, "chat"));
        Assert.Equal(HttpStatusCode.NotFound, await ChatAsync(gateway, "chat2"));

        // A good edit adds a route: taken as version 2, the errors cleared, the new route served.
        await File.WriteAllTextAsync(gateway.ConfigPath, TestGateway.Expand(Config("[ { name: chat, deployment: gpt }, { name: chat2, deployment: gpt } ]"), [sim]), Ct);
        var beforeReload = TimeProvider.System.GetUtcNow();
        var (takenStatus, taken) = await SendAsync(gateway, Admin(HttpMethod.Post, "admin/reload"));
        var afterReload = TimeProvider.System.GetUtcNow();
        Assert.Equal(HttpStatusCode.OK, takenStatus);
        Assert.True(taken.GetProperty("reloaded").GetBoolean());
        Assert.Equal(2, taken.GetProperty("config_version").GetInt64());
        Assert.Empty(Strings(taken.GetProperty("errors")));
        var (_, afterReloadConfig) = await SendAsync(gateway, Admin(HttpMethod.Get, "admin/config"));
        Assert.Equal(2, afterReloadConfig.GetProperty("version").GetInt64());
        Assert.InRange(afterReloadConfig.GetProperty("loaded_at").GetDateTimeOffset(), beforeReload, afterReload);
        Assert.Empty(Strings(afterReloadConfig.GetProperty("last_reload_errors")));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, "chat2"));
        Assert.Equal(2, gateway.App.State.Current.Version);
    }

    [Fact]
    public async Task Reload_WithoutTheAdminKey_Is401_AndReloadsNothing()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("[ { name: chat, deployment: gpt } ]"), o => o with { WatchConfig = false }, [sim.V1.ToString()]);

        foreach (var key in new[] { null, "wrong-admin-key", TestGateway.Key })
        {
            using var request = Admin(HttpMethod.Post, "admin/reload", key);
            using var response = await gateway.Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(1, gateway.App.State.Current.Version);
    }
}
