using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.Cli.Commands;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Runtime;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary>
/// Durations that overflow or are not numbers, wherever the one parser reads them: <c>config check</c>, hot reload,
/// <c>POST /admin/reload</c> and <c>GET /admin/costs?since=</c> (issue 18, item 10a); and the warning about an unset
/// admin key variable (item 12b).
/// </summary>
public sealed class DurationInputTests
{
    private const string AdminKey = "admin-key-for-duration-tests";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Config(string firstByte) => $$"""
        auth:
          admin_key_sha256: {{KeyRing.HashHex(AdminKey)}}
          keys:
            - name: test
              key: sk-test-key-123456
        providers:
          - name: sim
            base_url: {sim0}
            timeouts: { connect: 2s, first_byte: {{firstByte}}, total: 20s }
        deployments:
          - name: gpt
            provider: sim
            model: gpt-4o-mini-2024-07-18
        routes:
          - name: chat
            deployment: gpt
        """;

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { ConfigCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("1e300s", "providers[0].timeouts.first_byte: '1e300s' is too long (at most 24d)")]
    [InlineData("NaNs", "providers[0].timeouts.first_byte: 'NaNs' is not a positive duration (e.g. 500ms, 5s, 2m)")]
    public async Task ConfigCheck_OverflowingOrNaNDuration_ListsItWithItsPath(string firstByte, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("tandem-dur-").FullName;
        try
        {
            var path = Path.Combine(dir, "tandem.yaml");
            await File.WriteAllTextAsync(path, Config(firstByte).Replace("{sim0}", "http://127.0.0.1:9/v1", StringComparison.Ordinal), Ct);
            var (code, output, error) = await RunAsync("config", "check", path);
            Assert.Equal(1, code);
            Assert.Equal("", output);
            Assert.Equal(expected + Environment.NewLine, error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ConfigCheck_UnsetAdminKeyVariable_WarnsAndPasses()
    {
        var dir = Directory.CreateTempSubdirectory("tandem-dur-").FullName;
        try
        {
            var path = Path.Combine(dir, "tandem.yaml");
            await File.WriteAllTextAsync(path, "auth: { disabled: true, admin_key_env: TANDEM_TEST_ADMIN_NEVER_SET_9 }\n", Ct);
            var (code, output, error) = await RunAsync("config", "check", path);
            Assert.Equal(0, code);
            Assert.Equal("ok: 0 providers, 0 deployments, 0 routes" + Environment.NewLine, output);
            Assert.Equal("warning: auth.admin_key_env: environment variable 'TANDEM_TEST_ADMIN_NEVER_SET_9' is not set; the admin API (/admin/*) will refuse every request"
                + Environment.NewLine, error);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Gateway_UnsetAdminKeyVariable_LogsTheWarningAtStart()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Configs.Single.Replace("auth:\n", "auth:\n  admin_key_env: TANDEM_TEST_ADMIN_NEVER_SET_9\n", StringComparison.Ordinal), sim);
        Assert.Contains(gateway.Logs.Lines, l => l.StartsWith("Warning Tandem.Configuration[5] Configuration ", StringComparison.Ordinal)
            && l.Contains(": auth.admin_key_env: environment variable 'TANDEM_TEST_ADMIN_NEVER_SET_9' is not set", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HotReloadAndAdminReload_OverflowingDuration_AreRefusedWithTheReason()
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("5s"), sim);

        // The file watcher's reload: refused, reported, version kept (before: an unhandled exception, nothing logged).
        var outcome = await gateway.RewriteConfigAsync(Config("1e300s"));
        Assert.False(outcome.Succeeded);
        Assert.Equal(["providers[0].timeouts.first_byte: '1e300s' is too long (at most 24d)"], outcome.Errors);
        Assert.Equal(1, gateway.App.State.Current.Version);
        Assert.Equal(outcome.Errors, gateway.App.State.LastReloadErrors);

        // The admin API's reload of the same file: a 422 naming the problem (before: a 500 with an empty body).
        using var request = new HttpRequestMessage(HttpMethod.Post, "admin/reload");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.False(doc.RootElement.GetProperty("reloaded").GetBoolean());
        Assert.Equal("providers[0].timeouts.first_byte: '1e300s' is too long (at most 24d)", doc.RootElement.GetProperty("errors")[0].GetString());

        // Still serving on version 1.
        using var chat = await gateway.Http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }

    [Theory]
    [InlineData("99999999999999999999")]
    [InlineData("99999999999999999999d")]
    [InlineData("1e300d")]
    [InlineData("1e15ms")]
    [InlineData("NaNd")]
    public async Task AdminCosts_OverflowingOrNaNSince_Gets400NamingTheParameter(string since)
    {
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(Config("5s"), sim);
        using var request = new HttpRequestMessage(HttpMethod.Get, "admin/costs?since=" + Uri.EscapeDataString(since));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await gateway.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(["message", "type", "param", "code"], error.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("since", "invalid_parameter", "invalid_request_error"),
            (error.GetProperty("param").GetString(), error.GetProperty("code").GetString(), error.GetProperty("type").GetString()));
        Assert.Equal($"'{since}' is not a window such as 30d, 12h or 90m (longest 3660d).", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("1e300d")]
    [InlineData("NaNd")]
    [InlineData("99999999999999999999")]
    public async Task CostsCommand_OverflowingOrNaNSince_IsAUsageErrorNotACrash(string since)
    {
        var dir = Directory.CreateTempSubdirectory("tandem-dur-").FullName;
        try
        {
            var path = Path.Combine(dir, "tandem.yaml");
            await File.WriteAllTextAsync(path, Config("5s").Replace("{sim0}", "http://127.0.0.1:9/v1", StringComparison.Ordinal), Ct);
            var e = await Assert.ThrowsAsync<ArgumentException>(() => CostsCommand.ComputeAsync(path, since, "deployment", null, TimeProvider.System.GetUtcNow(), Ct));
            Assert.Equal($"--since: '{since}' is not a window such as 30d, 12h or 90m (longest 3660d)", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
