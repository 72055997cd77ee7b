using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Tandem.Cli.Commands;
using Tandem.FunctionalTests.Infrastructure;
using Tandem.Simulator;
using Xunit;

namespace Tandem.FunctionalTests;

/// <summary><c>tandem keys create|list|show|rotate|revoke</c> and <c>tandem audit list</c> against a running gateway.</summary>
public sealed class KeysCliTests
{
    private const string AdminKeyVariable = "TANDEM_KEYS_CLI_ADMIN_KEY";

    private static async Task<(int Code, string Out, string Err)> RunAsync(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);
        return (code, output.ToString(), error.ToString());
    }

    private static async Task<HttpStatusCode> ChatStatusAsync(TestGateway gateway, string key)
    {
        using var http = new HttpClient { BaseAddress = gateway.App.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.PostAsync("v1/chat/completions", Json("""{"model":"chat","messages":[{"role":"user","content":"hi"}]}"""), Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task KeysCommands_CreateListRotateRevoke_ThroughTheAdminApi_AndAuditListShowsThem()
    {
        Environment.SetEnvironmentVariable(AdminKeyVariable, KeysTests.AdminKey);
        await using var sim = await SimulatorServer.StartAsync(new SimulatorOptions(), cancellationToken: Ct);
        await using var gateway = await TestGateway.StartAsync(KeysTests.Config, sim);
        string[] common = ["--gateway", gateway.App.BaseAddress.ToString(), "--admin-key-env", AdminKeyVariable];

        var (code, stdout, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "create", "--name", "cli-app", "--team", "cards", "--route", "chat", "--route", "other",
            "--metadata", "env=prod", "--expires-in", "30d", "--format", "json", .. common]);
        Assert.True(code == 0, stderr);
        var created = JsonDocument.Parse(stdout).RootElement;
        var id = created.GetProperty("id").GetString()!;
        var secret = created.GetProperty("key").GetString()!;
        Assert.Equal(["chat", "other"], created.GetProperty("routes").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(("cards", "prod"), (created.GetProperty("team").GetString(), created.GetProperty("metadata").GetProperty("env").GetString()));
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, secret));

        (code, stdout, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "list", .. common]);
        Assert.True(code == 0, stderr);
        Assert.Contains(id, stdout, StringComparison.Ordinal);
        Assert.Contains("cli-app", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "rotate", id, .. common]);
        Assert.True(code == 0, stderr);
        var line = Assert.Single(stdout.Split('\n'), l => l.StartsWith("new key (shown once, store it now): ", StringComparison.Ordinal));
        var rotated = line["new key (shown once, store it now): ".Length..].Trim();
        Assert.Matches("^tdm-[A-Za-z0-9_-]{43}$", rotated);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatStatusAsync(gateway, secret));
        Assert.Equal(HttpStatusCode.OK, await ChatStatusAsync(gateway, rotated));

        using var admin = KeysTests.Admin(gateway.App.BaseAddress);
        var newId = JsonDocument.Parse(await admin.GetStringAsync("admin/keys", Ct)).RootElement.GetProperty("keys")[0].GetProperty("id").GetString()!;
        (code, _, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "revoke", newId, .. common]);
        Assert.True(code == 0, stderr);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatStatusAsync(gateway, rotated));

        (code, stdout, stderr) = await RunAsync(AuditCommand.Create(), ["audit", "list", "--actor", "admin", "--format", "json", .. common]);
        Assert.True(code == 0, stderr);
        Assert.Equal(["key.revoke", "key.rotate", "key.create"],
            JsonDocument.Parse(stdout).RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("action").GetString()));

        // Refusals: an unknown id exits 1 with the gateway's message; no admin key exits 2.
        (code, _, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "revoke", "vk_0000000000000000", .. common]);
        Assert.Equal((1, "tandem keys revoke: No key with id 'vk_0000000000000000'."), (code, stderr.Trim()));
        (code, _, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "list", "--gateway", gateway.App.BaseAddress.ToString(), "--admin-key-env", "TANDEM_KEYS_CLI_UNSET"]);
        Assert.Equal((2, "tandem keys list: set the admin key in $TANDEM_KEYS_CLI_UNSET"), (code, stderr.Trim()));
        (code, _, stderr) = await RunAsync(KeysCommand.Create(), ["keys", "create", "--name", "x", "--metadata", "novalue", .. common]);
        Assert.Equal((2, "tandem keys create: --metadata 'novalue' is not key=value"), (code, stderr.Trim()));
    }
}
