using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Tandem.Access;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Server.Access;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>Every mapped admin endpoint has a role, and refuses the role below it (and API keys).</summary>
public sealed class AdminRoleTests
{
    private static List<(string Method, string Pattern)> AdminEndpoints(TestGateway gateway) =>
        [.. gateway.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } p && p.StartsWith("/admin", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e.RoutePattern.RawText!)))
            .OrderBy(e => e.Item2, StringComparer.Ordinal).ThenBy(e => e.m, StringComparer.Ordinal)];

    private static string Concrete(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, "\\{[^}]+\\}", "x").TrimStart('/');

    private static async Task<(HttpStatusCode Status, string? Code)> CallAsync(HttpClient http, string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET" && method != "DELETE")
        {
            request.Content = Json("{}");
        }

        using var response = await http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        string? code = null;
        try
        {
            code = JsonDocument.Parse(text).RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;
        }
        catch (JsonException)
        {
        }

        return (response.StatusCode, code);
    }

    [Fact]
    public async Task EveryAdminEndpoint_HasARole_AndRefusesTheRoleBelow()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(KeysTests.Config, sim);
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);
        var viewer = (await KeysTests.CreateKeyAsync(admin, """{"name":"v","role":"viewer"}""")).GetProperty("key").GetString()!;
        var operatorKey = (await KeysTests.CreateKeyAsync(admin, """{"name":"o","role":"operator"}""")).GetProperty("key").GetString()!;
        var apiKey = (await KeysTests.CreateKeyAsync(admin, """{"name":"api"}""")).GetProperty("key").GetString()!;
        using var asViewer = KeysTests.Admin(gateway.App.BaseAddress, viewer);
        using var asOperator = KeysTests.Admin(gateway.App.BaseAddress, operatorKey);
        using var asApiKey = KeysTests.Admin(gateway.App.BaseAddress, apiKey);
        using var asConfigKey = KeysTests.Admin(gateway.App.BaseAddress, TestGateway.Key);

        var endpoints = AdminEndpoints(gateway);
        // The table and the mapped endpoints agree both ways: a new endpoint without a role, or a stale table row, fails here.
        Assert.DoesNotContain(endpoints, e => AdminOperations.Find(e.Method, e.Pattern) is null);
        Assert.Empty(AdminOperations.Table.Keys.Except(endpoints));
        Assert.Equal(AdminOperations.Table.Count, endpoints.Count);

        var checkedBelow = new List<string>();
        foreach (var (method, pattern) in endpoints)
        {
            var role = AdminOperations.Find(method, pattern)!.Role;
            var path = Concrete(pattern);
            // No admin key at all: 401 for every endpoint, whatever its role.
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), await CallAsync(asApiKey, method, path));
            Assert.Equal((HttpStatusCode.Unauthorized, "invalid_api_key"), await CallAsync(asConfigKey, method, path));
            switch (role)
            {
                case AdminRole.Admin:
                    Assert.Equal((HttpStatusCode.Forbidden, "permission_denied"), await CallAsync(asOperator, method, path));
                    Assert.Equal((HttpStatusCode.Forbidden, "permission_denied"), await CallAsync(asViewer, method, path));
                    checkedBelow.Add(method + " " + pattern);
                    break;
                case AdminRole.Operator:
                    Assert.Equal((HttpStatusCode.Forbidden, "permission_denied"), await CallAsync(asViewer, method, path));
                    checkedBelow.Add(method + " " + pattern);
                    break;
                default:
                    // A viewer reads: whatever the answer (404 for an unknown id), it is not a refusal.
                    var (status, _) = await CallAsync(asViewer, method, path);
                    Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{method} {pattern}: {status}");
                    break;
            }
        }

        // The roles of the issue: migrations and isolation need an operator, keys and configuration an admin.
        Assert.Contains("POST /admin/migrations/{route}/advance", checkedBelow);
        Assert.Contains("POST /admin/deployments/{name}/isolate", checkedBelow);
        Assert.Contains("POST /admin/keys", checkedBelow);
        Assert.Contains("POST /admin/reload", checkedBelow);
        Assert.Equal(AdminRole.Operator, AdminOperations.Find("POST", "/admin/migrations/{route}/pin")!.Role);
        Assert.Equal(AdminRole.Admin, AdminOperations.Find("DELETE", "/admin/keys/{id}")!.Role);
    }

    [Fact]
    public async Task AnOperator_IsolatesADeployment_AndTheActionIsAuditedWithTheBreakerBeforeAndAfter()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(KeysTests.Config, sim);
        using var admin = KeysTests.Admin(gateway.App.BaseAddress);
        var ops = await KeysTests.CreateKeyAsync(admin, """{"name":"night-shift","role":"operator"}""");
        using var asOperator = KeysTests.Admin(gateway.App.BaseAddress, ops.GetProperty("key").GetString()!);

        using var isolated = await asOperator.PostAsync("admin/deployments/gpt/isolate", null, Ct);
        Assert.Equal(HttpStatusCode.OK, isolated.StatusCode);
        using var reload = await asOperator.PostAsync("admin/reload", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, reload.StatusCode);

        var entries = JsonDocument.Parse(await admin.GetStringAsync("admin/audit?actor=night-shift", Ct)).RootElement.GetProperty("entries");
        Assert.Equal(2, entries.GetArrayLength());
        var isolate = entries[1];
        Assert.Equal(("deployment.isolate", "deployment:gpt", 200, ops.GetProperty("id").GetString()),
            (isolate.GetProperty("action").GetString(), isolate.GetProperty("object").GetString(), isolate.GetProperty("status").GetInt32(), isolate.GetProperty("actor_key_id").GetString()));
        Assert.Equal("""{"deployment":"gpt","breaker":"closed"}""", isolate.GetProperty("before").GetRawText());
        Assert.Equal("""{"deployment":"gpt","breaker":"isolated"}""", isolate.GetProperty("after").GetRawText());
        Assert.Equal(("config.reload", 403), (entries[0].GetProperty("action").GetString(), entries[0].GetProperty("status").GetInt32()));
    }
}
